"""The outreach list and the "new conversation" choices, read from the local copy.

The server's delay detector writes the list (``server.outreach.detect``); the desk shows the
open items with the customer and the order, and for a new conversation which of the customer's
addresses may be written to first, and how (``domain.outreach.first_contact``), so the dialog
can say "WhatsApp: a template is needed" before the agent types anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.outreach import CHANNEL_KIND, FirstContact, OutreachStatus, first_contact
from csdesk.domain.phrase import Phrase
from csdesk.i18n import _
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.sync.reasons import phrase_text

#: The channels the "new conversation" dialog offers, in order.
START_CHANNELS = ("email", "sms", "whatsapp", "messenger", "telegram")
_CHANNEL_NAMES = {
    "email": "Email",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "messenger": "Messenger",
    "telegram": "Telegram",
}


def channel_name(channel: str | None) -> str:
    return _CHANNEL_NAMES.get(channel or "", channel or _("no channel"))


@dataclass(frozen=True, slots=True)
class OutreachItem:
    id: str
    customer_id: str
    customer_name: str
    order_number: str
    reason: str
    delay: str
    channel: str | None
    language: str
    subject: str
    message: str
    status: str
    detail: str
    opted_out: bool
    #: WhatsApp outside the 24-hour window: only an approved template may go.
    needs_template: bool = False

    @property
    def sendable(self) -> bool:
        return (
            self.status == OutreachStatus.OPEN.value
            and self.channel is not None
            and (not self.opted_out)
        )

    def sentence(self) -> str:
        """One full sentence for the list (what a screen reader reads for the row)."""
        how = (
            _("by {channel}").format(channel=channel_name(self.channel))
            if self.channel
            else _("no channel to write on")
        )
        # The delay is a sentence of its own ("… and not delivered."): how to write comes
        # first, not after its full stop ("… delivered. by Email.").
        text = f"{self.customer_name}, {how}: {self.delay.rstrip('.')}."
        if self.opted_out:
            text += " " + _("Asked not to be contacted.")
        elif self.detail:
            text += " " + self.detail
        return text


def outreach_items(
    session: Session, status: str = OutreachStatus.OPEN.value, now: datetime | None = None
) -> list[OutreachItem]:
    """Items in ``status`` (open: the list to review), oldest first."""
    o, c, od = m.Outreach, m.Customer, m.Order
    rows = session.execute(
        select(o, c.name, c.contact_opt_out, od.number)
        .join(c, c.id == o.customer_id, isouter=True)
        .join(od, od.id == o.order_id, isouter=True)
        .where(o.status == status)
        .order_by(o.created_at, o.id)
    ).all()
    on_whatsapp = {rec.customer_id for rec, *_rest in rows if rec.channel == "whatsapp"}
    last_in: dict[str, datetime | None] = {}
    if on_whatsapp:
        last_in = {
            str(cid): at
            for cid, at in session.execute(
                select(m.Conversation.customer_id, func.max(m.Conversation.last_inbound_at))
                .where(
                    m.Conversation.customer_id.in_(on_whatsapp),
                    m.Conversation.channel == "whatsapp",
                    m.Conversation.deleted_at.is_(None),
                )
                .group_by(m.Conversation.customer_id)
            )
        }
    clock = now or utcnow()

    def needs_template(rec: m.Outreach) -> bool:
        if rec.channel != "whatsapp":
            return False
        how, _why = first_contact("whatsapp", last_in.get(rec.customer_id), clock, has_address=True)
        return how is FirstContact.TEMPLATE

    return [
        OutreachItem(
            id=rec.id,
            customer_id=rec.customer_id,
            customer_name=str(name or _("Unknown customer")),
            order_number=str(number or ""),
            reason=rec.reason,
            delay=rec.delay,
            channel=rec.channel,
            language=rec.language,
            subject=rec.subject,
            message=rec.message,
            status=rec.status,
            detail=rec.detail,
            opted_out=bool(opted),
            needs_template=needs_template(rec),
        )
        for rec, name, opted, number in rows
    ]


def _said(why: Phrase | None) -> str:
    """The rule's reason in the desk's language ("" when the shop may write freely)."""
    return phrase_text(why) if why is not None else ""


@dataclass(frozen=True, slots=True)
class StartChoice:
    """One address a new conversation could go to, and whether the shop may write first."""

    channel: str
    identity_id: str | None
    address: str
    verified: bool
    how: FirstContact
    why: str

    def label(self) -> str:
        words = (
            f"{channel_name(self.channel)}: {self.address}"
            if self.address
            else (channel_name(self.channel))
        )
        if self.address and not self.verified:
            words += " " + _("(not verified)")
        if self.how is FirstContact.TEMPLATE:
            words += " " + _("(approved template only)")
        elif self.how is FirstContact.REFUSED:
            words += " " + _("(cannot write first)")
        return words


def start_choices(session: Session, customer_id: str, now: datetime) -> list[StartChoice]:
    """Every channel in ``START_CHANNELS`` with each of the customer's addresses on it (or one
    refused entry saying why, when they have none)."""
    idents = session.execute(
        select(
            m.CustomerIdentity.id,
            m.CustomerIdentity.kind,
            m.CustomerIdentity.value,
            m.CustomerIdentity.verified,
        )
        .where(m.CustomerIdentity.customer_id == customer_id)
        .order_by(m.CustomerIdentity.verified.desc(), m.CustomerIdentity.created_at.desc())
    ).all()
    inbound = dict(
        session.execute(
            select(m.Conversation.channel, func.max(m.Conversation.last_inbound_at))
            .where(m.Conversation.customer_id == customer_id, m.Conversation.deleted_at.is_(None))
            .group_by(m.Conversation.channel)
        ).all()
    )
    out: list[StartChoice] = []
    for channel in START_CHANNELS:
        mine = [i for i in idents if i.kind == CHANNEL_KIND[channel]]
        if not mine:
            how, why = first_contact(channel, None, now, has_address=False)
            out.append(StartChoice(channel, None, "", False, how, _said(why)))
            continue
        how, why = first_contact(channel, inbound.get(channel), now, has_address=True)
        said = _said(why)
        out.extend(StartChoice(channel, i.id, i.value, bool(i.verified), how, said) for i in mine)
    return out
