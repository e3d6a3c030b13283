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


def live(session: Session, conv: m.Conversation) -> m.Conversation | None:
    """Where a customer's new message for ``conv`` goes: ``follow``'s answer, or None when
    the conversation it was merged into (or one further down the chain) was deleted by an
    administrator since. The merged-away conversation is closed, empty and hidden for ever
    (its messages went into the deleted one), so a message there would be seen by nobody:
    the caller places it as a message to a deleted conversation (docs/merge-split.md), i.e.
    in the customer's live conversation or a new one, where the inbox shows it."""
    end = follow(session, conv)
    return None if end.merged_into_id is not None else end
