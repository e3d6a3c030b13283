"""``conversation.merge``, ``conversation.unmerge`` and ``conversation.split`` as push
mutations (registered in ``server.sync.mutations.HANDLERS``; docs/merge-split.md).

Any agent may do them on conversations of their own realm (a trainee in the training
sandbox, everyone else in production): the realm check is the "may act on both" of every
conversation action. Refusals are templates with params (``server.refusals``), so the desk
shows them in the agent's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from csdesk.protocol import MutationType
from csdesk.server.conversation_merge import service
from csdesk.server.deps import realm_of
from csdesk.storage import models as m

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

_ID = Field(min_length=1, max_length=36)


def _refused(exc: service.ConversationRefused) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.of(exc)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class MergeArgs(_Args):
    source_conversation_id: str = _ID  # closed, its messages moved
    target_conversation_id: str = _ID  # the one that stays


class UnmergeArgs(_Args):
    conversation_id: str = _ID  # the conversation that was merged away


class SplitArgs(_Args):
    conversation_id: str = _ID
    message_id: str = _ID
    new_conversation_id: str = _ID  # chosen by the desk, so it can open it at once
    #: Also every later message of the thread (a second question asked in a reply).
    with_later: bool = False


def merge(session: Session, user: m.User, a: MergeArgs) -> None:
    try:
        service.merge(
            session, user, realm_of(user), a.source_conversation_id, a.target_conversation_id
        )
    except service.ConversationRefused as exc:
        raise _refused(exc) from None


def unmerge(session: Session, user: m.User, a: UnmergeArgs) -> None:
    try:
        service.unmerge(session, user, realm_of(user), a.conversation_id)
    except service.ConversationRefused as exc:
        raise _refused(exc) from None


def split(session: Session, user: m.User, a: SplitArgs) -> None:
    try:
        service.split(
            session,
            user,
            realm_of(user),
            a.conversation_id,
            a.message_id,
            a.new_conversation_id,
            with_later=a.with_later,
        )
    except service.ConversationRefused as exc:
        raise _refused(exc) from None


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The merge, undo and split mutation types and their handlers (for the registry)."""
    return {
        MutationType.CONVERSATION_MERGE: (MergeArgs, merge),
        MutationType.CONVERSATION_UNMERGE: (UnmergeArgs, unmerge),
        MutationType.CONVERSATION_SPLIT: (SplitArgs, split),
    }
