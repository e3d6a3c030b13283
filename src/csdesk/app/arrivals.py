"""What to tell an agent when a conversation lands in "Mine": new for them, back from a
snooze, or a callback that is due now.

The server wakes snoozes (``server.sync.snooze``) and keeps ``snoozed_until`` on the woken,
open conversation, so every desk can tell a snooze that ran out from a new assignment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus
from csdesk.i18n import _
from csdesk.storage import models as m

#: The tag a scheduled (or missed-call) callback carries; see ``server.channels.calls``.
CALLBACK_TAG = "callback"


def arrival_notice(session: Session, conversation_id: str, now: datetime) -> str | None:
    """The sentence to announce for ``conversation_id`` newly in this agent's list."""
    conv = session.get(m.Conversation, conversation_id)
    if conv is None or conv.deleted_at is not None:
        return None
    cust = session.get(m.Customer, conv.customer_id)
    who = cust.name if cust is not None and cust.name else _("Unknown customer")
    title = conv.subject or conv.preview
    woke = (
        conv.status == ConversationStatus.OPEN.value
        and conv.snoozed_until is not None
        and conv.snoozed_until <= now
    )
    if woke and CALLBACK_TAG in (conv.tags or []):
        if _has_callback_task(session, conv.id):
            return None  # the callback task announces itself (ui/callback_desk.py): once
        return _("Callback due: {who} — {title}").format(who=who, title=title)
    if woke:
        return _("Snooze over: {who} — {title}").format(who=who, title=title)
    return _("New conversation for you: {who} — {title}").format(who=who, title=title)


def _has_callback_task(session: Session, conversation_id: str) -> bool:
    """A wrap-up's callback is also a callback task (issue 11), announced on its own."""
    from sqlalchemy import select

    from csdesk.domain.callbacks import OPEN_STATUSES

    found = session.scalar(
        select(m.Callback.id).where(
            m.Callback.conversation_id == conversation_id,
            m.Callback.call_id.is_not(None),
            m.Callback.status.in_(sorted(OPEN_STATUSES)),
        )
    )
    return found is not None
