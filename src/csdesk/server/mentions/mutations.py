"""Mentions: recorded with the internal note that makes them (``message.send`` with
``mentions``), marked read by the mentioned user (``mention.read``).

The ids are checked here, never trusted: each must be an active user who can read the
conversation (a trainee's sandbox or production, ``domain.access.can_read``); the writer's own
id is dropped (nobody needs telling what they wrote). One ``Mention`` row per teammate, an audit
entry each; the feed carries a row to the mentioned user's desk alone (``wire.FEED_PERSONAL``),
so another agent never learns whom a note mentioned from the feed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import mentions as rules
from csdesk.domain.access import can_read
from csdesk.protocol import MutationType, RejectCode
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import SendArgs

#: A user id as the desk sends it (uuid-like); anything else is refused before a lookup.
UserId = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.:-]+$")]
Mentions = Annotated[list[UserId], Field(default_factory=list, max_length=rules.MAX_MENTIONS)]


class ReadArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    mention_id: str = Field(min_length=1, max_length=36)


def record(session: Session, user: m.User, conv: m.Conversation, a: SendArgs) -> None:
    """The mention rows of the note ``a`` (already added to ``session``) on ``conv``."""
    from csdesk.server.sync.mutations import Reject

    if not a.mentions:
        return
    if not a.is_note:
        raise Reject(
            RejectCode.INVALID,
            "Teammates can be mentioned only in an internal note, never to a customer.",
        )
    wanted = [uid for uid in dict.fromkeys(a.mentions) if uid != user.id]
    if not wanted:
        return
    found = {u.id: u for u in session.scalars(select(m.User).where(m.User.id.in_(wanted))).all()}
    for uid in wanted:
        teammate = found.get(uid)
        if teammate is None or not teammate.active:
            raise Reject(
                RejectCode.NOT_FOUND, "A mentioned teammate ({user}) does not exist.", user=uid
            )
        if not can_read(teammate.role, conv.realm):
            raise Reject(
                RejectCode.FORBIDDEN,
                "{name} cannot read this conversation, so cannot be mentioned in it.",
                name=teammate.display_name,
            )
    now = utcnow()
    line = rules.excerpt(a.body_text)
    for uid in wanted:
        row = m.Mention(
            id=rules.mention_id(a.message_id, uid),
            realm=conv.realm,
            user_id=uid,
            by_user_id=user.id,
            by_name=user.display_name,
            conversation_id=conv.id,
            message_id=a.message_id,
            excerpt=line,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        audit.record(
            session,
            user.id,
            "mention.create",
            "mention",
            row.id,
            after={"user_id": uid, "conversation_id": conv.id, "message_id": a.message_id},
        )


def mark_read(session: Session, user: m.User, a: ReadArgs) -> None:
    """The caller read one of their mentions (another user's answers "not found")."""
    from csdesk.server.sync.mutations import Reject

    row = session.get(m.Mention, a.mention_id, with_for_update=True)
    if row is None or row.user_id != user.id:
        raise Reject(RejectCode.NOT_FOUND, "This mention does not exist.")
    if row.read_at is not None:
        return  # read already (another desk of the same user): nothing changes
    row.read_at = utcnow()
    audit.record(
        session, user.id, MutationType.MENTION_READ, "mention", row.id, after={"read": True}
    )


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The mention mutation types and their handlers (for the registry)."""
    return {MutationType.MENTION_READ: (ReadArgs, mark_read)}
