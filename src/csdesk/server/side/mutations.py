"""``side.forward``: forward a conversation, or one message of it, by email to an outside
address (docs/side-conversations.md); ``side.reply``: write to that address again, threaded
under the side conversation's last mail; ``side.retry``: send a failed side mail again.
Registered in ``server.sync.mutations.HANDLERS``.

Anyone who can read the conversation may forward it (its realm is theirs); not from the
training sandbox (its customers are fictional, a supplier is not), never an internal note,
at most ``MAX_PER_CONVERSATION`` side conversations per conversation. The mail itself is sent
by ``server.side.mailer``; the audit entry names the address and what was forwarded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain import side_mail as rules
from csdesk.domain.enums import Realm
from csdesk.domain.side_mail import Scope, SideStatus
from csdesk.domain.storable import check_storable
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.conversation_merge.follow import follow
from csdesk.server.deps import realm_of
from csdesk.server.side.compose import forwarded_text
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

_ID = Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.:-]+$")


def _reject(code: RejectCode, message: str, **params: Any) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


class ForwardArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    side_id: str = _ID
    out_id: str = _ID  # the id of the mail that goes out (a side message)
    conversation_id: str = _ID
    scope: Scope = Scope.THREAD
    message_id: str | None = Field(default=None, min_length=1, max_length=36)
    to_address: str = Field(min_length=1, max_length=rules.MAX_ADDRESS)
    subject: str = Field(default="", max_length=rules.MAX_SUBJECT)
    note: str = Field(default="", max_length=rules.MAX_NOTE)

    _text = field_validator("subject", "note")(check_storable)

    @field_validator("to_address")
    @classmethod
    def _address(cls, value: str) -> str:
        return rules.check_address(value)  # an AddressProblem says why, in a sentence


def _conversation(session: Session, user: m.User, cid: str) -> m.Conversation:
    conv = session.get(m.Conversation, cid)
    if conv is None or conv.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This conversation does not exist.")
    if conv.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    return follow(session, conv) if conv.merged_into_id is not None else conv


def _message(session: Session, conv: m.Conversation, a: ForwardArgs) -> m.Message | None:
    if a.scope == Scope.THREAD:
        return None
    msg = session.get(m.Message, a.message_id) if a.message_id else None
    if msg is None or msg.realm != conv.realm:
        raise _reject(RejectCode.NOT_FOUND, "The message to forward does not exist.")
    if msg.conversation_id != conv.id:
        raise _reject(RejectCode.INVALID, "That message is not in this conversation.")
    if msg.is_note:
        raise _reject(
            RejectCode.INVALID, "An internal note stays in the team: it cannot be forwarded."
        )
    return msg


def forward(session: Session, user: m.User, a: ForwardArgs) -> None:
    if realm_of(user) != Realm.PRODUCTION.value:
        raise _reject(
            RejectCode.FORBIDDEN, "The training sandbox does not send mail to outside addresses."
        )
    to = a.to_address  # checked by ``ForwardArgs`` (one bare address, no line break)
    conv = _conversation(session, user, a.conversation_id)
    if session.get(m.SideConversation, a.side_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A side conversation with this id already exists.")
    if session.get(m.SideMessage, a.out_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A side message with this id already exists.")
    S = m.SideConversation
    count = session.scalar(select(func.count()).select_from(S).where(S.conversation_id == conv.id))
    if (count or 0) >= rules.MAX_PER_CONVERSATION:
        raise _reject(
            RejectCode.INVALID,
            "This conversation already has {n} side conversations, the most it may have.",
            n=rules.MAX_PER_CONVERSATION,
        )
    message = _message(session, conv, a)
    token = rules.token_for(a.side_id)
    if session.scalar(select(S.id).where(S.token == token)) is not None:
        raise _reject(RejectCode.CONFLICT, "A side conversation with this id already exists.")
    subject = rules.clean_subject(a.subject) or rules.clean_subject(
        f"Fwd: {conv.subject}" if conv.subject else "Fwd: a customer's question"
    )
    now = utcnow()
    side = S(
        id=a.side_id,
        realm=conv.realm,
        conversation_id=conv.id,
        message_id=message.id if message is not None else None,
        scope=a.scope.value,
        to_address=to,
        subject=subject,
        token=token,
        created_by_id=user.id,
        created_by_name=user.display_name,
        reply_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(side)
    session.flush()  # the parent row first (the message's foreign key)
    text, carried = forwarded_text(session, conv, message, a.note)
    session.add(
        m.SideMessage(
            id=a.out_id,
            realm=conv.realm,
            side_conversation_id=side.id,
            conversation_id=conv.id,
            direction=rules.Direction.OUT.value,
            author_name=user.display_name,
            from_address="",
            body_text=text,
            # A thread's files are those of the messages its text carries, now (a retry after
            # a merge must not add the merged conversation's); one message's are its own.
            forwarded_ids=carried if message is None else None,
            status=SideStatus.QUEUED.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    audit.record(
        session, user.id, MutationType.SIDE_FORWARD, "side_conversation", side.id, None,
        {"conversation_id": conv.id, "to_address": to, "scope": a.scope.value,
         "message_id": side.message_id},
    )  # fmt: skip


class ReplyArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    side_id: str = _ID
    out_id: str = _ID
    body_text: str = Field(min_length=1, max_length=rules.MAX_REPLY_TEXT)

    _text = field_validator("body_text")(check_storable)

    @field_validator("body_text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("cannot be blank")
        return value


def reply(session: Session, user: m.User, a: ReplyArgs) -> None:
    """Write again to the side conversation's address (threaded under its last mail)."""
    if realm_of(user) != Realm.PRODUCTION.value:
        raise _reject(
            RejectCode.FORBIDDEN, "The training sandbox does not send mail to outside addresses."
        )
    side = session.get(m.SideConversation, a.side_id, with_for_update=True)
    if side is None or side.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This side conversation does not exist.")
    conv = session.get(m.Conversation, side.conversation_id)
    if conv is None or conv.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    if session.get(m.SideMessage, a.out_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A side message with this id already exists.")
    M = m.SideMessage
    count = session.scalar(
        select(func.count()).select_from(M).where(M.side_conversation_id == side.id)
    )
    if (count or 0) >= rules.MAX_MESSAGES:
        raise _reject(
            RejectCode.INVALID,
            "This side conversation already holds {n} mails, the most it may; forward again.",
            n=rules.MAX_MESSAGES,
        )
    now = utcnow()
    session.add(
        M(
            id=a.out_id, realm=side.realm, side_conversation_id=side.id,
            conversation_id=side.conversation_id, direction=rules.Direction.OUT.value,
            author_name=user.display_name, from_address="", body_text=a.body_text,
            status=SideStatus.QUEUED.value, attempts=0, next_attempt_at=now,
            created_at=now, updated_at=now,
        )
    )  # fmt: skip
    side.updated_at = now
    audit.record(
        session, user.id, MutationType.SIDE_REPLY, "side_message", a.out_id, None,
        {"side_conversation_id": side.id, "to_address": side.to_address,
         "chars": len(a.body_text)},
    )  # fmt: skip


class RetryArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    side_message_id: str = _ID  # the failed mail (the forward or a later one)


def retry(session: Session, user: m.User, a: RetryArgs) -> None:
    """Put a failed side mail back in the mailer's queue with a fresh set of attempts (as
    ``message.retry`` does for a reply): the same text, the same Message-ID."""
    if realm_of(user) != Realm.PRODUCTION.value:
        raise _reject(
            RejectCode.FORBIDDEN, "The training sandbox does not send mail to outside addresses."
        )
    row = session.get(m.SideMessage, a.side_message_id, with_for_update=True)
    if row is None or row.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This side mail does not exist.")
    if row.direction != rules.Direction.OUT.value:
        raise _reject(RejectCode.INVALID, "Only a mail we sent can be sent again.")
    if row.status != SideStatus.FAILED.value:
        raise _reject(
            RejectCode.CONFLICT, "This mail has not failed (it is {status}).", status=row.status
        )
    conv = session.get(m.Conversation, row.conversation_id)
    if conv is None or conv.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    before = {"status": row.status, "failure_reason": row.failure_reason}
    now = utcnow()
    row.status, row.failure_reason = SideStatus.QUEUED.value, None
    row.attempts, row.next_attempt_at, row.lease_until = 0, now, None
    row.updated_at = now
    audit.record(
        session, user.id, MutationType.SIDE_RETRY, "side_message", row.id, before,
        {"status": row.status, "side_conversation_id": row.side_conversation_id},
    )  # fmt: skip


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The side-conversation mutation types and their handlers (for the registry)."""
    return {
        MutationType.SIDE_FORWARD: (ForwardArgs, forward),
        MutationType.SIDE_REPLY: (ReplyArgs, reply),
        MutationType.SIDE_RETRY: (RetryArgs, retry),
    }
