"""The demo's side conversation (docs/side-conversations.md): in one of the demo agent's open
email conversations, the thread forwarded to the kettle supplier and the supplier's answer,
listed by Ctrl+Alt+Shift+D, never in the customer's thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import side_mail as rules
from csdesk.domain.enums import Channel, ConversationStatus, Realm
from csdesk.server.feed import log as feed
from csdesk.storage import models as m

SIDE_ID = "5de0c0de-0000-4000-8000-000000000001"
OUT_ID = "5de0c0de-0000-4000-8000-000000000002"
REPLY_ID = "5de0c0de-0000-4000-8000-000000000003"
SUPPLIER = "orders@kettle-supplies.example"
NOTE = "Hello, a customer's order arrived damaged. Could you send a replacement today?"
REPLY = (
    "Hello, thank you for letting us know. A replacement leaves our warehouse today; "
    "tracking number 1Z999AA10123456784."
)


def seed(s: Session, at: datetime) -> int:
    """The side conversation above; the number of feed items written."""
    demo = s.scalar(select(m.User).where(m.User.username == "demo"))
    if demo is None:
        return 0
    C = m.Conversation
    conv = s.scalar(
        select(C)
        .where(
            C.realm == Realm.PRODUCTION.value,
            C.assignee_id == demo.id,
            C.channel == Channel.EMAIL.value,
            C.status == ConversationStatus.OPEN.value,
        )
        .order_by(C.id.desc())
        .limit(1)
    )
    if conv is None:
        return 0
    sent, answered = at - timedelta(hours=3), at - timedelta(hours=1)
    side = m.SideConversation(
        id=SIDE_ID,
        realm=conv.realm,
        conversation_id=conv.id,
        scope=rules.Scope.THREAD.value,
        to_address=SUPPLIER,
        subject=rules.clean_subject(f"Fwd: {conv.subject}" if conv.subject else "Fwd: an order"),
        token=rules.token_for(SIDE_ID),
        created_by_id=demo.id,
        created_by_name=demo.display_name,
        reply_count=1,
        last_in_at=answered,
        created_at=sent,
        updated_at=answered,
    )
    s.add(side)
    s.flush()
    rows: list[m.Base] = [
        m.SideMessage(
            id=OUT_ID, realm=conv.realm, side_conversation_id=SIDE_ID, conversation_id=conv.id,
            direction=rules.Direction.OUT.value, author_name=demo.display_name,
            from_address="support@store.example", body_text=NOTE,
            status=rules.SideStatus.SENT.value, provider_message_id=f"<side.{OUT_ID}@demo>",
            sent_at=sent, attempts=1, created_at=sent, updated_at=sent,
        ),
        m.SideMessage(
            id=REPLY_ID, realm=conv.realm, side_conversation_id=SIDE_ID, conversation_id=conv.id,
            direction=rules.Direction.IN.value, author_name="Kettle Supplies Orders",
            from_address=SUPPLIER, body_text=REPLY, status=rules.SideStatus.RECEIVED.value,
            provider_message_id="<reply.1@kettle-supplies.example>", sent_at=answered,
            attempts=0, created_at=answered, updated_at=answered,
        ),
    ]  # fmt: skip
    s.add_all(rows)
    s.flush()
    feed.append(s, [feed.item_for(r) for r in [side, *rows]])
    return 1 + len(rows)
