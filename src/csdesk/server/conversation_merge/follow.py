"""Where a merged conversation lives now: inbound threading follows the pointer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from csdesk.storage import models as m


def follow(session: Session, conv: m.Conversation) -> m.Conversation:
    """The conversation a merged one now lives in (``conv`` itself when not merged): an
    inbound message that would have threaded into a merged conversation lands there."""
    seen = {conv.id}
    while conv.merged_into_id is not None:
        nxt = session.get(m.Conversation, conv.merged_into_id)
        if nxt is None or nxt.id in seen or nxt.deleted_at is not None:
            break
        seen.add(nxt.id)
        conv = nxt
    return conv
