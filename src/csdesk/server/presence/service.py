"""Presence rows: one heartbeat per agent, read back as "who else is here".

A client announces the conversation it has open when the agent opens it, when typing starts
or stops, and every few seconds while it stays open. Entries older than the TTL are ignored on
read, so a crashed or offline desktop drops out without anyone cleaning up. Other users' stale
rows are never purged from a heartbeat: the table holds at most one row per user anyway, and
deleting rows that concurrent heartbeats are upserting would make them lock each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from csdesk.server.deps import realm_of
from csdesk.server.errors import ApiError
from csdesk.storage import models as m
from csdesk.storage.upsert import insert_for


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str
    display_name: str
    typing: bool
    seen_at: datetime


def visible_conversation(session: Session, user: m.User, conversation_id: str) -> m.Conversation:
    """The conversation, if this user may work on it; otherwise 404.

    Another realm's conversation answers exactly like a missing one, so a trainee cannot even
    learn that a production id exists.
    """
    conv = session.get(m.Conversation, conversation_id)
    if conv is None or conv.realm != realm_of(user):
        raise ApiError(404, "not_found", "no conversation with id {id}", id=repr(conversation_id))
    if conv.deleted_at is not None:
        raise ApiError(404, "not_found", "this conversation was deleted by an administrator")
    return conv


def announce(
    session: Session, user: m.User, conversation_id: str, typing: bool, now: datetime
) -> None:
    """Record that ``user`` has ``conversation_id`` open (replacing any other one).

    An upsert, not read-then-write: two heartbeats of one user racing (a retry overtaking
    the original) must not fail on the primary key.
    """
    values = {
        "user_id": user.id,
        "conversation_id": conversation_id,
        "typing": typing,
        "seen_at": now,
    }
    dialect = session.get_bind().dialect.name
    ins: Any = insert_for(dialect, m.Presence)
    stmt = ins.values(values).on_conflict_do_update(
        index_elements=["user_id"],
        set_={
            "conversation_id": ins.excluded.conversation_id,
            "typing": ins.excluded.typing,
            "seen_at": ins.excluded.seen_at,
        },
    )
    session.execute(stmt)


def leave(session: Session, user: m.User) -> None:
    session.execute(delete(m.Presence).where(m.Presence.user_id == user.id))


def others(
    session: Session, user: m.User, conv: m.Conversation, now: datetime, ttl: timedelta
) -> list[Viewer]:
    """Everyone but ``user`` seen on ``conv`` within ``ttl``, by name.

    Users whose realm is not the conversation's are left out too: a row can outlive a role
    change by up to the TTL, and a trainee's presence must never show on production work.
    """
    rows = session.execute(
        select(m.Presence, m.User)
        .join(m.User, m.User.id == m.Presence.user_id)
        .where(
            m.Presence.conversation_id == conv.id,
            m.Presence.user_id != user.id,
            m.Presence.seen_at >= now - ttl,
            m.User.active.is_(True),
        )
        .order_by(m.User.display_name, m.User.id)
    ).all()
    return [
        Viewer(u.id, u.display_name, p.typing, p.seen_at)
        for p, u in rows
        if realm_of(u) == conv.realm
    ]
