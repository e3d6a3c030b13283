"""Push mutations for the channel work agents do: merge, undo a merge, re-link, retry a send.

Registered in ``server.sync.mutations.HANDLERS``.  That module imports this one, so ``Reject``
is imported when a mutation is refused rather than at import time (which would be circular).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from csdesk.domain.access import can_change_profiles
from csdesk.domain.delivery import advance
from csdesk.domain.enums import DeliveryStatus, Direction, Role
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.channels import claims, customers
from csdesk.server.channels.merge import (
    MergeRefused,
    link_conversation,
    merge_customers,
    undo_merge,
)
from csdesk.server.channels.wa_window import free_text_refusal
from csdesk.server.deps import realm_of
from csdesk.server.refusals import Param, Phrase
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _saying(code: RejectCode, phrase: Phrase) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.saying(code, phrase)


def _refused(exc: MergeRefused) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.of(exc)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class MergeArgs(_Args):
    source_customer_id: str = Id  # the duplicate, folded away
    target_customer_id: str = Id  # the profile that stays


class UnmergeArgs(_Args):
    customer_id: str = Id  # the profile that was folded away


class LinkArgs(_Args):
    conversation_id: str = Id
    customer_id: str = Id


class RetryArgs(_Args):
    message_id: str = Id


class LinkMatchArgs(_Args):
    claim_id: str = Id
    #: The conversation the agent is looking at; it moves when the typist is no mere visitor.
    conversation_id: str | None = Field(default=None, min_length=1, max_length=36)


def merge(session: Session, user: m.User, a: MergeArgs) -> None:
    try:
        merge_customers(
            session, user.id, realm_of(user), a.source_customer_id, a.target_customer_id
        )
    except MergeRefused as exc:
        raise _refused(exc) from None


def unmerge(session: Session, user: m.User, a: UnmergeArgs) -> None:
    try:
        undo_merge(session, user.id, realm_of(user), a.customer_id)
    except MergeRefused as exc:
        raise _refused(exc) from None


def link_customer(session: Session, user: m.User, a: LinkArgs) -> None:
    if not can_change_profiles(user.role, realm_of(user)):
        raise _reject(RejectCode.FORBIDDEN, "Your role cannot change customer profiles.")
    try:
        link_conversation(session, user.id, realm_of(user), a.conversation_id, a.customer_id)
    except MergeRefused as exc:
        raise _refused(exc) from None


def link_match(session: Session, user: m.User, a: LinkMatchArgs) -> None:
    """ "Link to this customer": the agent vouches that whoever typed an address is the customer
    who has it.  A mere chat visitor's profile is merged (undoable), anyone else has only this
    conversation filed there; both audited, and never done by a trainee."""
    if user.role == Role.TRAINEE.value:
        raise _reject(RejectCode.FORBIDDEN, "Trainees cannot link conversations to customers.")
    realm = realm_of(user)
    claim = session.get(m.IdentityClaim, a.claim_id, with_for_update=True)
    if claim is None or claim.realm != realm:
        raise _reject(RejectCode.NOT_FOUND, "This suggestion does not exist.")
    if claim.linked_at is not None:
        return  # a second click, or a colleague was quicker: the link is made
    if claim.match_customer_id is None:
        raise _reject(RejectCode.INVALID, "No other customer has this address.")
    typist = session.get(m.Customer, claim.customer_id)
    target = session.get(m.Customer, claim.match_customer_id)
    if typist is None or target is None:
        raise _reject(RejectCode.NOT_FOUND, "This customer does not exist.")
    typist, target = customers.survivor(session, typist), customers.survivor(session, target)
    how = "already"
    try:
        if typist.id != target.id and claims.anonymous(session, typist):
            merge_customers(session, user.id, realm, typist.id, target.id)
            how = "merged"
        elif typist.id != target.id:
            cid = a.conversation_id or claim.conversation_id
            conv = session.get(m.Conversation, cid) if cid else None
            if conv is None or conv.customer_id != typist.id:
                raise _reject(RejectCode.INVALID, "Open the conversation to link first.")
            link_conversation(session, user.id, realm, conv.id, target.id)
            how = "linked"
    except MergeRefused as exc:
        raise _refused(exc) from None
    claim.linked_at = utcnow()
    audit.record(
        session,
        user.id,
        MutationType.CUSTOMER_LINK_MATCH,
        "identity_claim",
        claim.id,
        {"customer_id": typist.id},
        {"customer_id": target.id, "how": how, "kind": claim.kind, "value": claim.value},
    )


def retry(session: Session, user: m.User, a: RetryArgs) -> None:
    """Put a failed reply back in the dispatcher's queue with a fresh set of attempts."""
    msg = session.get(m.Message, a.message_id, with_for_update=True)
    if msg is None or msg.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This message does not exist.")
    if msg.direction != Direction.OUT.value or msg.is_note:
        raise _reject(RejectCode.INVALID, "Only a reply to the customer can be sent again.")
    current = DeliveryStatus(msg.delivery_status)
    if current != DeliveryStatus.FAILED:
        raise _reject(
            RejectCode.CONFLICT,
            "This message has not failed (it is {status}).",
            status=current.value,
        )
    conv = session.get(m.Conversation, msg.conversation_id)
    if conv is None or conv.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    if msg.template is None and (why := free_text_refusal(conv, utcnow())) is not None:
        raise _saying(RejectCode.WINDOW_CLOSED, why)
    before = {"delivery_status": current.value, "failure_reason": msg.failure_reason}
    msg.delivery_status = advance(current, DeliveryStatus.QUEUED).value
    msg.failure_reason = None
    attempt = session.get(m.OutboundAttempt, msg.id, with_for_update=True)
    if attempt is not None:
        attempt.attempts = 0
        attempt.next_attempt_at = utcnow()
        attempt.lease_until = None
        attempt.last_error = None
    audit.record(
        session,
        user.id,
        MutationType.MESSAGE_RETRY,
        "message",
        msg.id,
        before,
        {"delivery_status": msg.delivery_status},
    )
