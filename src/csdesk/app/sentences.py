"""Whole sentences that describe a conversation or a message to a screen reader.

A sighted agent takes in a row's icons, colours and columns at a glance; a screen-reader user
hears the accessible name, once, in order. So each row gets one sentence with the most useful
facts first and defaults left out ("normal priority" and "read" on every row is noise that
costs time on every arrow key press).

The channel-specific parts are whole phrases per channel, never a name pasted into a generic
sentence, because word order and grammar differ between languages ("by email" but "on
WhatsApp"). Every channel's wording lives in :data:`CHANNELS`, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from csdesk.domain import sla
from csdesk.domain.bidi import isolate
from csdesk.domain.enums import Channel, Direction, Priority
from csdesk.i18n import N_, _, ngettext

__all__ = [
    "CHANNELS",
    "ChannelWording",
    "add_sentence",
    "channel_name",
    "conversation_sentence",
    "message_sentence",
    "sla_text",
    "waiting_text",
]


@dataclass(frozen=True, slots=True)
class ChannelWording:
    """Untranslated (``N_``-marked) wording of one channel; translate with ``_`` when shown."""

    name: str  # "WhatsApp": lists, filters, headings
    from_customer: str  # "{channel-ish} from {customer}": the head of a conversation sentence
    wrote: str  # "{author} wrote ...": an inbound message
    replied: str  # "{author} replied ...": another agent's outbound message
    you_replied: str  # "You replied ...": the current agent's own outbound message


CHANNELS: dict[Channel, ChannelWording] = {
    Channel.EMAIL: ChannelWording(
        N_("Email"),
        N_("Email from {customer}"),
        N_("{author} wrote by email"),
        N_("{author} replied by email"),
        N_("You replied by email"),
    ),
    Channel.CHAT: ChannelWording(
        N_("Chat"),
        N_("Chat with {customer}"),
        N_("{author} wrote in chat"),
        N_("{author} replied in chat"),
        N_("You replied in chat"),
    ),
    Channel.PHONE: ChannelWording(
        N_("Phone"),
        N_("Call from {customer}"),
        N_("{author} called"),
        N_("{author} replied by phone"),
        N_("You replied by phone"),
    ),
    Channel.SMS: ChannelWording(
        N_("SMS"),
        N_("SMS from {customer}"),
        N_("{author} wrote by SMS"),
        N_("{author} replied by SMS"),
        N_("You replied by SMS"),
    ),
    Channel.WHATSAPP: ChannelWording(
        N_("WhatsApp"),
        N_("WhatsApp from {customer}"),
        N_("{author} wrote on WhatsApp"),
        N_("{author} replied on WhatsApp"),
        N_("You replied on WhatsApp"),
    ),
    Channel.MESSENGER: ChannelWording(
        N_("Messenger"),
        N_("Messenger from {customer}"),
        N_("{author} wrote on Messenger"),
        N_("{author} replied on Messenger"),
        N_("You replied on Messenger"),
    ),
    Channel.INSTAGRAM: ChannelWording(
        N_("Instagram"),
        N_("Instagram from {customer}"),
        N_("{author} wrote on Instagram"),
        N_("{author} replied on Instagram"),
        N_("You replied on Instagram"),
    ),
    Channel.TELEGRAM: ChannelWording(
        N_("Telegram"),
        N_("Telegram from {customer}"),
        N_("{author} wrote on Telegram"),
        N_("{author} replied on Telegram"),
        N_("You replied on Telegram"),
    ),
}

# For a channel value this build does not know (a newer server): still a readable sentence.
_OTHER = ChannelWording(
    N_("Other"),
    N_("Conversation with {customer}"),
    N_("{author} wrote"),
    N_("{author} replied"),
    N_("You replied"),
)

_PRIORITY: dict[Priority | None, str] = {
    Priority.LOW: N_("low priority"),
    Priority.HIGH: N_("high priority"),
    Priority.URGENT: N_("urgent"),
}


def _wording(channel: Channel | str) -> ChannelWording:
    try:
        return CHANNELS[Channel(channel)]
    except ValueError:
        return _OTHER


def _priority(value: Priority | str) -> Priority | None:
    try:
        return Priority(value)
    except ValueError:  # a level this build does not know: say nothing rather than fail
        return None


def channel_name(channel: Channel | str) -> str:
    """The translated display name: "WhatsApp", "SMS"; an unknown value is shown as given."""
    wording = _wording(channel)
    return str(channel) if wording is _OTHER else _(wording.name)


#: What already ends a sentence (so a period after it would read "..": "Thanks.. sent").
_SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？")


def add_sentence(text: str, more: str) -> str:
    """``text``, then ``more`` as a sentence of its own: a period between them unless ``text``
    already ends its sentence (a customer's "Thanks." or "Really?"), never ".." or ".."
    at the end; an empty ``more`` adds nothing."""
    text, more = text.rstrip(), more.strip()
    if not more:
        return text
    if not text:
        return more
    return f"{text} {more}" if text.endswith(_SENTENCE_ENDS) else f"{text}. {more}"


def one_period(text: str) -> str:
    """``text`` without the doubled stop a template makes when what it put before its final
    period already ended a sentence ("Ringing: Acme Inc.." is "Ringing: Acme Inc.")."""
    if text.endswith(".") and text[:-1].rstrip().endswith(_SENTENCE_ENDS):
        return text[:-1].rstrip()
    return text


def _flat(text: str) -> str:
    """One line: an accessible name with line breaks is read inconsistently across readers;
    its directional controls kept from reordering the sentence around it."""
    return isolate(" ".join(text.split()))


def conversation_sentence(
    channel: Channel | str,
    customer_name: str,
    subject: str,
    waiting_text: str | None,
    priority: Priority | str,
    assignee_name: str | None,
    unread: bool,
    sla_text: str | None,
) -> str:
    """E.g. "Email from Jane Doe, 'Where is my order', waiting 5 minutes, high priority,
    unassigned, unread, first response due in 10 min".

    ``waiting_text`` and ``sla_text`` come already worded (see :func:`waiting_text` and
    :func:`sla_text`) so the caller decides whether a conversation waits or has a target.
    """
    customer = _flat(customer_name) or _("unknown customer")
    parts = [_(_wording(channel).from_customer).format(customer=customer)]
    if _flat(subject):
        parts.append(_("'{subject}'").format(subject=_flat(subject)))
    if waiting_text:
        parts.append(waiting_text)
    level = _PRIORITY.get(_priority(priority))
    if level is not None:
        parts.append(_(level))
    if assignee_name is None or not assignee_name.strip():
        parts.append(_("unassigned"))
    else:
        parts.append(_("assigned to {name}").format(name=_flat(assignee_name)))
    if unread:
        parts.append(_("unread"))
    if sla_text:
        parts.append(sla_text)
    return _(", ").join(parts)


def message_sentence(
    direction: Direction | str,
    is_note: bool,
    author: str,
    channel: Channel | str,
    time_text: str,
    body: str,
    *,
    own: bool = False,
) -> str:
    """E.g. "Jane Doe wrote by email, 10:42: Where is my order?", "Internal note by Ann, 10:45:
    ...", "You replied by SMS, 10:50: ...".

    ``own`` marks the current agent's messages, which read as "You" rather than their own name.
    """
    wording = _wording(channel)
    who = _flat(author)
    if is_note:
        head = _("Your internal note") if own else _("Internal note by {author}")
    elif Direction(direction) is Direction.IN:
        head = _(wording.wrote)
    else:
        head = _(wording.you_replied) if own else _(wording.replied)
    head = head.format(author=who or _("unknown sender"))
    text = _flat(body) or _("no text")
    if time_text.strip():
        return _("{head}, {time}: {body}").format(head=head, time=time_text.strip(), body=text)
    return _("{head}: {body}").format(head=head, body=text)


def sla_text(state: sla.SlaState) -> str | None:
    """:func:`csdesk.domain.sla.sla_text` in the user's language."""
    return sla.sla_text(state, gettext=_, ngettext=ngettext)


def waiting_text(since: datetime, now: datetime) -> str:
    """:func:`csdesk.domain.sla.waiting_text` in the user's language."""
    return sla.waiting_text(since, now, gettext=_, ngettext=ngettext)
