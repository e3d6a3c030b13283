"""The demo's scheduled reply and follow-up reminder (docs/scheduled-send.md): in one of the
demo agent's open email conversations, a reply the server holds for two days later ("Scheduled
for …" above the composer) and a reminder for tomorrow, only if the customer has not replied
(listed by Ctrl+Alt+Shift+L, on the demo agent's desk alone)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, Realm
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.server.feed import log as feed
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

SCHEDULED_ID = "5c4ed01e-0000-4000-8000-000000000001"
REMINDER_ID = "5c4ed01e-0000-4000-8000-000000000002"
TEXT = (
    "Hello again! As promised, here is an update: your replacement has left our warehouse "
    "and should reach you within two working days."
)


def seed(s: Session, at: datetime) -> int:
    """The scheduled reply and reminder above; the number of feed items written."""
    if at < utcnow() - timedelta(days=1):
        # A demo anchored in the past (tests pin it) would have sent its reply long ago: it
        # has none, so the same seed still makes the same rows.
        return 0
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
        .order_by(C.id)
        .limit(1)
    )
    if conv is None:
        return 0
    ahead = max(at, utcnow())
    rows: list[m.Base] = [
        m.ScheduledMessage(
            id=SCHEDULED_ID,
            realm=conv.realm,
            conversation_id=conv.id,
            author_id=demo.id,
            author_name=demo.display_name,
            body_text=TEXT,
            subject=f"Re: {conv.subject}"[:300] if conv.subject else "",
            send_at=ahead + timedelta(days=2),
            status=ScheduledStatus.SCHEDULED.value,
            created_at=at,
            updated_at=at,
        ),
        m.Reminder(
            id=REMINDER_ID,
            realm=conv.realm,
            owner_id=demo.id,
            conversation_id=conv.id,
            due_at=ahead + timedelta(days=1),
            only_if_no_reply=True,
            note="Check the replacement arrived",
            status=ReminderStatus.PENDING.value,
            scope="personal",
            created_at=at,
            updated_at=at,
        ),
    ]
    s.add_all(rows)
    s.flush()
    feed.append(s, [feed.item_for(r) for r in rows])
    return len(rows)
