"""``outreach.send`` and ``outreach.dismiss``: the outreach list's two decisions.

Sending starts an outbound conversation about the late order (``start.open_outbound``),
assigned to the sender, with the message as the agent left it. A desk sends several by pushing
one mutation each (a batch is one push); the server spaces their provider sends out to
``ServerConfig.outreach_per_minute`` by holding each message back until its slot (its
``outbound_attempts`` row's ``next_attempt_at``), so a bulk send never floods a provider or
trips its rate limit. A customer who opted out is never written to; an order already written
to about (by anyone, for any reason) is not written to again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel
from csdesk.domain.outreach import OutreachStatus
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.attachments.links import state_of
from csdesk.server.deps import realm_of
from csdesk.server.outreach.start import Id, StartArgs, StartTemplate, _Args, open_outbound, reject
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

DEFAULT_PER_MINUTE = 30


class SendArgs(_Args):
    outreach_id: str = Id
    conversation_id: str = Id
    message_id: str = Id
    #: The message as the agent left it (edited or as proposed).
    body_text: str = Field(default="", max_length=100_000)
    subject: str = Field(default="", max_length=300)
    #: Another channel than the proposed one (None: the proposed).
    channel: Channel | None = None
    identity_id: str | None = Field(default=None, min_length=1, max_length=36)
    template: StartTemplate | None = None


class DismissArgs(_Args):
    outreach_id: str = Id


def _record(session: Session, user: m.User, outreach_id: str) -> m.Outreach:
    rec = session.get(m.Outreach, outreach_id, with_for_update=True)
    if rec is None or rec.realm != realm_of(user):
        raise reject(RejectCode.NOT_FOUND, "This outreach item does not exist.")
    return rec


def _name(session: Session, user_id: str | None) -> str:
    u = session.get(m.User, user_id) if user_id else None
    return u.display_name if u is not None else "another agent"


def _not_twice(session: Session, rec: m.Outreach) -> None:
    if rec.status == OutreachStatus.SENT.value:
        raise reject(
            RejectCode.CONFLICT,
            "{name} already wrote to this customer about this order.",
            name=_name(session, rec.sent_by_id),
        )
    other = session.scalars(
        select(m.Outreach).where(
            m.Outreach.order_id == rec.order_id,
            m.Outreach.status == OutreachStatus.SENT.value,
            m.Outreach.id != rec.id,
        )
    ).first()
    if other is not None:
        raise reject(
            RejectCode.CONFLICT,
            "{name} already wrote to this customer about this order.",
            name=_name(session, other.sent_by_id),
        )
    if rec.status == OutreachStatus.CLEARED.value:
        raise reject(RejectCode.CONFLICT, "This order is no longer late; nothing to send.")


def per_minute(session: Session) -> int:
    state = state_of(session)
    rate = state.config.outreach_per_minute if state is not None else DEFAULT_PER_MINUTE
    return max(int(rate), 1)


def next_slot(session: Session, realm: str, now: datetime) -> datetime:
    """When the next outreach message may go: ``60 / per_minute`` seconds after the last one
    held back, or now."""
    gap = timedelta(seconds=60.0 / per_minute(session))
    last: datetime | None = session.scalar(
        select(func.max(m.Outreach.send_at)).where(m.Outreach.realm == realm)
    )
    return now if last is None or last + gap <= now else last + gap


def send(session: Session, user: m.User, a: SendArgs) -> None:
    rec = _record(session, user, a.outreach_id)
    _not_twice(session, rec)
    # An opted-out customer is refused by open_outbound, as a conversation.start is.
    channel = a.channel or (Channel(rec.channel) if rec.channel else None)
    if channel is None:  # what the detection wrote in rec.detail, as a sentence per case
        cust = session.get(m.Customer, rec.customer_id)
        if cust is not None and cust.contact_opt_out:
            raise reject(RejectCode.FORBIDDEN, "The customer asked not to be contacted first.")
        raise reject(RejectCode.INVALID, "The customer has no address the shop may write to first.")
    now = utcnow()
    slot = next_slot(session, rec.realm, now)
    conv = open_outbound(
        session,
        user,
        StartArgs(
            conversation_id=a.conversation_id,
            message_id=a.message_id,
            customer_id=rec.customer_id,
            channel=channel,
            identity_id=a.identity_id,
            subject=a.subject or rec.subject,
            body_text=a.body_text or rec.message,
            template=a.template,
        ),
        now=now,
        send_at=slot,
        action=MutationType.OUTREACH_SEND,
    )
    conv.tags = ["outreach"]
    before = {"status": rec.status}
    rec.status = OutreachStatus.SENT.value
    rec.sent_by_id = user.id
    rec.sent_at = now
    rec.send_at = slot
    rec.conversation_id = conv.id
    rec.channel = channel.value
    rec.message = a.body_text or rec.message
    rec.detail = ""
    audit.record(
        session,
        user.id,
        MutationType.OUTREACH_SEND,
        "outreach",
        rec.id,
        before,
        {"status": rec.status, "conversation_id": conv.id, "send_at": slot.isoformat()},
    )


def dismiss(session: Session, user: m.User, a: DismissArgs) -> None:
    rec = _record(session, user, a.outreach_id)
    if rec.status != OutreachStatus.OPEN.value:
        raise reject(RejectCode.CONFLICT, "This outreach item was already dealt with.")
    rec.status = OutreachStatus.DISMISSED.value
    rec.detail = f"Dismissed by {user.display_name}."
    audit.record(
        session,
        user.id,
        MutationType.OUTREACH_DISMISS,
        "outreach",
        rec.id,
        {"status": OutreachStatus.OPEN.value},
        {"status": rec.status},
    )
