"""Recording a resolution that was undone (``conversation_reopens``, see docs/kpis.md).

Called just before the code that reopens a resolved conversation clears ``resolved_at``: the
row keeps the resolution it undid and who owned it, so the reopen rate and first-contact
resolution can count every resolution, kept or undone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session, object_session

from csdesk.domain.enums import ConversationStatus
from csdesk.storage import models as m

CUSTOMER: Final = "customer"
AGENT: Final = "agent"
CALLBACK: Final = "callback"


def record(
    conv: m.Conversation,
    at: datetime,
    cause: str,
    *,
    by_user_id: str | None = None,
    session: Session | None = None,
) -> bool:
    """Record that resolved ``conv`` is being reopened at ``at``; False (nothing recorded)
    when it is not resolved. Call before ``resolved_at`` is cleared."""
    if conv.status != ConversationStatus.RESOLVED.value or conv.resolved_at is None:
        return False
    owner = session if session is not None else object_session(conv)
    if owner is None:
        return False
    owner.add(
        m.ConversationReopen(
            conversation_id=conv.id,
            realm=conv.realm,
            resolved_at=conv.resolved_at,
            reopened_at=at,
            cause=cause,
            assignee_id=conv.assignee_id,
            by_user_id=by_user_id,
        )
    )
    return True
