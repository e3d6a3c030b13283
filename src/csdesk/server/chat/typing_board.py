"""Visitors' typing notices, kept in the database so every server process sees them.

Behind several server processes the widget's notice and the agent's question reach different
processes, so process memory is not enough.  The ``presence`` table is keyed by user and a
visitor is not one; the chat session's own row is: a chat conversation's route
(``conversation_routes``, kind ``chat_visitor``, written when the visitor first writes) is
server-only, never synced, one row per conversation.  Its ``visitor_typing_until`` carries the
notice: a time in the future means "typing until then"; stopping or sending clears it.  The
route's ``updated_at`` keeps meaning when the route itself last changed.

The widget refreshes its notice every few seconds while keys are pressed and says when the
visitor stops; ``TYPING_TTL`` ends a notice whose stop was lost (a closed tab).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from csdesk.domain.enums import IdentityKind
from csdesk.storage import models as m

#: A notice without a refresh expires after this (the widget refreshes every 3 s of typing).
TYPING_TTL: Final = timedelta(seconds=6)


def _route(conversation_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        m.ConversationRoute.conversation_id == conversation_id,
        m.ConversationRoute.kind == IdentityKind.CHAT_VISITOR.value,
    )


def set_typing(session: Session, conversation_id: str, typing: bool, now: datetime) -> None:
    """Record the visitor's notice (the caller commits); one indexed single-row UPDATE.

    ``updated_at`` is set to itself: otherwise its ``onupdate`` would stamp every keystroke
    burst as a route change."""
    route = m.ConversationRoute
    until = now + TYPING_TTL if typing else None
    session.execute(
        update(route)
        .where(*_route(conversation_id))
        .values(visitor_typing_until=until, updated_at=route.updated_at)
        .execution_options(synchronize_session=False)
    )


def is_typing(session: Session, conversation_id: str, now: datetime) -> bool:
    until = session.scalars(
        select(m.ConversationRoute.visitor_typing_until).where(*_route(conversation_id))
    ).first()
    return until is not None and until > now
