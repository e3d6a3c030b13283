"""``conversation.start``: a new outbound conversation from the desk to a customer.

The conversation is assigned to the agent who starts it and waits for the customer (pending),
so the customer's answer lands in it (inbound mail and messages continue the customer's latest
live conversation on that channel) and reopens it for that agent. The first message is queued
like any reply and sent by the dispatcher through the channel's usual sender; where the channel
does not let the shop write first (``domain.outreach.first_contact``), or the customer asked
not to be contacted first (``contact_opt_out``), the start is refused with the reason.
Unverified identities may be written to; the desk says so before sending.

Registered in ``server.sync.mutations.HANDLERS``; that module imports this one, so ``Reject``
is imported when a mutation is refused (as ``channels.agent_mutations`` does).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, DeliveryStatus, Direction
from csdesk.domain.outreach import CHANNEL_KIND, FirstContact, first_contact
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.channels import wa_templates
from csdesk.server.channels.conversations import open_new
from csdesk.server.channels.senders import DEFAULT_PROVIDERS
from csdesk.server.deps import realm_of
from csdesk.server.refusals import Param, Phrase, Refusal
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: Channels a conversation can be started on (chat, phone and Instagram cannot).
STARTABLE = (
    Channel.EMAIL,
    Channel.SMS,
    Channel.WHATSAPP,
    Channel.MESSENGER,
    Channel.TELEGRAM,
)
MAX_PARAMETERS = wa_templates.MAX_PARAMETERS


def reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _saying(code: RejectCode, phrase: Phrase) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.saying(code, phrase)


def _refused(exc: Refusal) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.of(exc)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class StartTemplate(_Args):
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=1, max_length=16)
    parameters: list[str] = Field(default_factory=list, max_length=MAX_PARAMETERS)


class StartArgs(_Args):
    conversation_id: str = Id
    message_id: str = Id
    customer_id: str = Id
    channel: Channel
    #: The identity to write to; None: the customer's newest one of the channel's kind.
    identity_id: str | None = Field(default=None, min_length=1, max_length=36)
    subject: str = Field(default="", max_length=300)
    body_text: str = Field(default="", max_length=100_000)
    template: StartTemplate | None = None


def last_inbound(session: Session, customer_id: str, channel: str) -> datetime | None:
    """The customer's latest message on ``channel``, in any of their conversations."""
    value: datetime | None = session.scalar(
        select(func.max(m.Conversation.last_inbound_at)).where(
            m.Conversation.customer_id == customer_id,
            m.Conversation.channel == channel,
            m.Conversation.deleted_at.is_(None),
        )
    )
    return value


def pick_identity(
    session: Session, customer: m.Customer, channel: Channel, identity_id: str | None
) -> m.CustomerIdentity | None:
    kind = CHANNEL_KIND.get(channel.value)
    if identity_id is not None:
        ident = session.get(m.CustomerIdentity, identity_id)
        if ident is None or ident.customer_id != customer.id:
            raise reject(RejectCode.NOT_FOUND, "That address is not this customer's.")
        if ident.kind != kind:
            raise reject(
                RejectCode.INVALID,
                "A {kind} address cannot receive {channel}.",
                kind=ident.kind,
                channel=channel.value,
            )
        return ident
    return session.scalars(
        select(m.CustomerIdentity)
        .where(m.CustomerIdentity.customer_id == customer.id, m.CustomerIdentity.kind == kind)
        .order_by(m.CustomerIdentity.verified.desc(), m.CustomerIdentity.created_at.desc())
        .limit(1)
    ).first()


def live_customer(session: Session, user: m.User, customer_id: str) -> m.Customer:
    cust = session.get(m.Customer, customer_id)
    if cust is None or cust.realm != realm_of(user):
        raise reject(RejectCode.NOT_FOUND, "This customer does not exist.")
    if cust.merged_into_id is not None:
        raise reject(RejectCode.DELETED, "This customer was merged into another profile.")
    return cust


def open_outbound(
    session: Session,
    user: m.User,
    a: StartArgs,
    *,
    now: datetime,
    send_at: datetime | None = None,
    action: str = MutationType.CONVERSATION_START,
) -> m.Conversation:
    """Check and write the conversation, its route and its first message (see the module
    docstring); ``send_at`` holds the message back until then (bulk outreach is spaced)."""
    cust = live_customer(session, user, a.customer_id)
    if cust.contact_opt_out:
        raise reject(
            RejectCode.FORBIDDEN,
            "{name} asked not to be contacted first; nothing was sent.",
            name=cust.name,
        )
    if a.channel not in STARTABLE:
        raise reject(
            RejectCode.INVALID,
            "A {channel} conversation cannot be started from the desk; choose email, SMS, "
            "WhatsApp, Messenger or Telegram.",
            channel=a.channel.value,
        )
    if session.get(m.Conversation, a.conversation_id) is not None:
        raise reject(RejectCode.CONFLICT, "A conversation with this id already exists.")
    if session.get(m.Message, a.message_id) is not None:
        raise reject(RejectCode.CONFLICT, "A message with this id already exists.")
    ident = pick_identity(session, cust, a.channel, a.identity_id)
    how, why = first_contact(
        a.channel.value,
        last_inbound(session, cust.id, a.channel.value),
        now,
        has_address=ident is not None,
    )
    if how is FirstContact.REFUSED and why is not None:
        raise _saying(RejectCode.FORBIDDEN, why)
    template: dict[str, object] | None = None
    body = a.body_text
    if a.template is not None:
        if a.channel != Channel.WHATSAPP:
            raise reject(RejectCode.INVALID, "Templates can only be sent on WhatsApp.")
        choice = wa_templates.TemplateSend(
            a.template.name, a.template.language, tuple(a.template.parameters)
        )
        try:
            body = wa_templates.check(session, choice)
        except wa_templates.TemplateRefused as exc:
            raise _refused(exc) from None
        template = choice.to_json()
    elif how is FirstContact.TEMPLATE and why is not None:
        raise _saying(RejectCode.WINDOW_CLOSED, why)
    if not body.strip():
        raise reject(RejectCode.INVALID, "The message is empty.")
    if a.channel == Channel.EMAIL and not a.subject.strip():
        raise reject(RejectCode.INVALID, "An email needs a subject.")
    assert ident is not None
    conv = open_new(
        session,
        cust,
        a.channel,
        subject=a.subject or body.strip().splitlines()[0][:120],
        at=now,
    )
    conv.id = a.conversation_id
    conv.status = ConversationStatus.PENDING.value
    conv.assignee_id = user.id
    conv.team_id = user.team_id
    conv.first_response_due_at = None  # nobody is waiting for us: we wrote first
    conv.first_response_at = now
    conv.message_count = 1
    conv.preview = body.strip().splitlines()[0][:300]
    if a.channel != Channel.EMAIL:
        session.add(
            m.ConversationRoute(
                conversation_id=conv.id,
                provider=DEFAULT_PROVIDERS[a.channel][0].value,
                kind=ident.kind,
                address=ident.value,
                business=None,
            )
        )
    session.add(
        m.Message(
            id=a.message_id,
            realm=conv.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            is_note=False,
            author_user_id=user.id,
            author_name=user.display_name,
            subject=a.subject,
            body_text=body,
            attachments=[],
            delivery_status=DeliveryStatus.QUEUED.value,
            created_at=now,
            template=template,
            recipient=ident.value if a.channel == Channel.EMAIL else None,
        )
    )
    if send_at is not None and send_at > now:
        session.add(
            m.OutboundAttempt(
                message_id=a.message_id, attempts=0, next_attempt_at=send_at, lease_until=None
            )
        )
    audit.record(
        session,
        user.id,
        action,
        "conversation",
        conv.id,
        None,
        {
            "customer_id": cust.id,
            "channel": a.channel.value,
            "identity_id": ident.id,
            "verified": ident.verified,
            "message_id": a.message_id,
        }
        | ({"template": template} if template is not None else {}),
    )
    return conv


def start(session: Session, user: m.User, a: StartArgs) -> None:
    open_outbound(session, user, a, now=utcnow())
