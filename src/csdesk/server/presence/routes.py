"""``/api/v1/presence``: announce the open conversation, see who else has it open.

A heartbeat answers with the same list as a read, so a desktop needs one request per beat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State
from csdesk.server.presence import service
from csdesk.storage.types import utcnow

router = APIRouter(prefix=API_PREFIX, tags=["presence"])

#: Ids are UUIDs; printable ASCII only, so a NUL byte (which PostgreSQL refuses in text)
#: is a 422 for the caller rather than a database error.
ID_PATTERN = r"^[\x20-\x7e]+$"


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Required, so that an empty body is an error rather than a silent "leave".
    conversation_id: str | None = Field(min_length=1, max_length=36, pattern=ID_PATTERN)
    typing: bool = False


class ViewerOut(BaseModel):
    user_id: str
    display_name: str
    typing: bool
    seen_at: datetime


def _out(viewers: list[service.Viewer]) -> list[ViewerOut]:
    return [
        ViewerOut(
            user_id=v.user_id, display_name=v.display_name, typing=v.typing, seen_at=v.seen_at
        )
        for v in viewers
    ]


@router.put("/presence", response_model=list[ViewerOut], responses={401: {}, 404: {}})
def announce(body: PresenceIn, state: State, user: CurrentUser) -> list[ViewerOut]:
    """Say which conversation this agent has open and whether they are typing (null: none).

    Answers the other agents on that conversation, as ``GET`` does.
    """
    now = utcnow()
    ttl = timedelta(seconds=state.config.presence_ttl_seconds)
    with state.writes() as s:
        if body.conversation_id is None:
            service.leave(s, user)
            s.commit()
            return []
        conv = service.visible_conversation(s, user, body.conversation_id)
        service.announce(s, user, conv.id, body.typing, now)
        viewers = service.others(s, user, conv, now, ttl)
        s.commit()
    return _out(viewers)


@router.get("/presence", response_model=list[ViewerOut], responses={401: {}, 404: {}})
def who_else(
    state: State,
    user: CurrentUser,
    conversation_id: Annotated[str, Query(min_length=1, max_length=36, pattern=ID_PATTERN)],
) -> list[ViewerOut]:
    """The other agents seen on this conversation within the TTL ("Bob is typing a reply")."""
    now = utcnow()
    ttl = timedelta(seconds=state.config.presence_ttl_seconds)
    with state.reads() as s:
        conv = service.visible_conversation(s, user, conversation_id)
        return _out(service.others(s, user, conv, now, ttl))
