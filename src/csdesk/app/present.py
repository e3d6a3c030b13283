"""Words for what the window shows: row and message texts, view names, headers.

Every status is written out so nothing is told by colour alone, and every row and message has
one full sentence for screen readers (``sentence``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from csdesk.app import formats, sentences, translation
from csdesk.app.inbox import InboxRow, Sort, View
from csdesk.app.thread import ConversationView, MessageView
from csdesk.domain import sla
from csdesk.domain.enums import Channel, DeliveryStatus, Direction, Priority
from csdesk.i18n import _, ngettext
from csdesk.storage.types import utcnow


def channel_label(channel: str) -> str:
    return sentences.channel_name(channel)


def view_label(view: str) -> str:
    labels: dict[str, str] = {
        View.MINE: _("Mine"),
        View.UNASSIGNED: _("Unassigned"),
        View.ALL_OPEN: _("All open"),
        View.PENDING: _("Pending"),
        View.SNOOZED: _("Snoozed"),
        View.RESOLVED: _("Resolved"),
        View.SLA_AT_RISK: _("SLA at risk"),
        View.EVERYWHERE: _("All conversations"),
    }
    if view.startswith("channel:"):
        return channel_label(view.removeprefix("channel:"))
    return labels.get(view, view)


def sort_label(sort: Sort) -> str:
    return {
        Sort.NEWEST: _("Newest"),
        Sort.OLDEST_WAITING: _("Oldest waiting"),
        Sort.SLA_DUE: _("SLA due"),
        Sort.PRIORITY: _("Priority"),
    }[sort]


def priority_label(priority: str) -> str:
    return {
        Priority.LOW.value: _("Low"),
        Priority.NORMAL.value: _("Normal"),
        Priority.HIGH.value: _("High"),
        Priority.URGENT.value: _("Urgent"),
    }.get(priority, priority)


def role_label(role: str) -> str:
    return {
        "agent": _("agent"),
        "trainee": _("trainee"),
        "supervisor": _("supervisor"),
        "admin": _("administrator"),
    }.get(role, role)


def when(at: datetime, now: datetime | None = None) -> str:
    """Local time for today, else date and time."""
    local = at.astimezone()
    today = (now or utcnow()).astimezone().date()
    return formats.time_text(local) if local.date() == today else formats.datetime_text(local)


def money(cents: int, currency: str) -> str:
    """An amount in the active language's currency format (csdesk.app.formats)."""
    return formats.money(cents, currency)


@dataclass(frozen=True, slots=True)
class RowTexts:
    channel: str
    who: str
    title: str
    waiting: str
    sla: str
    sla_warning: bool  # at risk or breached: drawn in the normal (not muted) text colour
    assignee: str
    priority_badge: str  # "High · " or "" for normal priority
    unread: bool
    unread_mark: str  # "● " or "", so unread is not told by bold alone
    sentence: str
    channel_value: str = ""  # the Channel value, for the channel's icon and colour
    sla_breached: bool = False  # the SLA chip in the error colours, else warning
    sla_chip: str = ""  # "SLA breached" / "SLA at risk" (the row's chip; details in sentence)
    wait_short: str = ""  # "2 h 5 min": the wait, compact, for the row's right edge
    sla_chip_short: str = ""  # "Late" / "At risk": the chip when the full one would clip the name


def short_wait(since: datetime, now: datetime) -> str:
    """A wait in a few characters for a list row ("45 min", "3 h 5 min", "2 d"); the spoken
    form ("waiting 3 hours 5 minutes") stays in the row's sentence."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return ngettext("{n} min", "{n} min", minutes).format(n=minutes)
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return _("{h} h {m} min").format(h=hours, m=mins) if mins else _("{h} h").format(h=hours)
    return _("{d} d").format(d=hours // 24)


def inbox_texts(row: InboxRow, now: datetime) -> RowTexts:
    state = sla.sla_state(
        now,
        status=row.status,
        first_response_due_at=row.first_response_due_at,
        resolution_due_at=row.resolution_due_at,
        first_response_at=row.first_response_at,
    )
    sla_words = sentences.sla_text(state) or ""
    waiting = sentences.waiting_text(row.waiting_since, now) if row.waiting_since else ""
    warn = state.status in (sla.SlaStatus.AT_RISK, sla.SlaStatus.BREACHED)
    badge = "" if row.priority == Priority.NORMAL.value else f"{priority_label(row.priority)} · "
    return RowTexts(
        channel=channel_label(row.channel),
        who=row.customer_name,
        title=row.title or _("(no subject)"),
        waiting=waiting,
        sla=(_("SLA breached: ") if state.status == sla.SlaStatus.BREACHED else "") + sla_words
        if warn
        else "",
        sla_warning=warn,
        assignee=row.assignee_name or _("unassigned"),
        priority_badge=badge,
        unread=row.unread,
        unread_mark="● " if row.unread else "",
        channel_value=row.channel,
        sla_breached=state.status == sla.SlaStatus.BREACHED,
        sla_chip=(
            (_("SLA breached") if state.status == sla.SlaStatus.BREACHED else _("SLA at risk"))
            if warn
            else ""
        ),
        wait_short=short_wait(row.waiting_since, now) if row.waiting_since else "",
        sla_chip_short=(
            (_("Late") if state.status == sla.SlaStatus.BREACHED else _("At risk")) if warn else ""
        ),
        sentence=sentences.conversation_sentence(
            row.channel,
            row.customer_name,
            row.title,
            waiting or None,
            row.priority,
            row.assignee_name,
            row.unread,
            sla_words or None,
        ),
    )


@dataclass(frozen=True, slots=True)
class MessageTexts:
    kind: str  # "in", "out" or "note"
    header: str
    body: str
    sentence: str
    # Translation (issue 13): the stored machine translation into the agent's language,
    # labelled ("Translated from German by DeepL: …"), shown under the original; its language
    # (the agent's) so speech reads it with that voice.
    translation: str = ""
    translation_language: str = ""


#: A live-chat reply reaches an open chat window within a second or two (the widget
#: long-polls); one still queued after this long means nobody has the chat window open.
CHAT_PICKUP_GRACE = timedelta(seconds=20)


def _delivery(msg: MessageView, now: datetime) -> str:
    if msg.is_note or msg.direction == Direction.IN.value:
        return ""
    status = msg.delivery_status
    if status == DeliveryStatus.PENDING.value:
        return _("waiting to be sent (offline)")
    if (
        status == DeliveryStatus.QUEUED.value
        and msg.channel == Channel.CHAT.value
        and now - msg.created_at >= CHAT_PICKUP_GRACE
    ):
        return _(
            "queued: the customer's chat window is closed or offline; they will see this "
            "reply when they come back to the shop's page"
        )
    if status == DeliveryStatus.FAILED.value:
        return _("failed: {reason}").format(reason=msg.failure_reason or _("unknown reason"))
    return {
        DeliveryStatus.QUEUED.value: _("queued"),
        DeliveryStatus.SENT.value: _("sent"),
        DeliveryStatus.DELIVERED.value: _("delivered"),
        DeliveryStatus.READ.value: _("read"),
    }.get(status, status)


def attachment_label(entry: Mapping[str, Any]) -> str:
    """An attachment's name, and why the server did not download it when it did not (the
    server's media fetch refused the link, or the provider failed)."""
    name = str(entry.get("filename") or entry.get("name") or "?")
    if entry.get("fetch") == "failed" and not entry.get("sha256"):
        reason = str(entry.get("fetch_error") or _("no reason given"))
        return _("{name} (not downloaded: {reason})").format(name=name, reason=reason)
    return name


def message_texts(msg: MessageView, me: str, now: datetime) -> MessageTexts:
    own = msg.author_user_id == me
    kind = "note" if msg.is_note else ("in" if msg.direction == Direction.IN.value else "out")
    time_text = when(msg.created_at, now)
    body = msg.body_text
    if msg.attachments:
        names = ", ".join(attachment_label(a) for a in msg.attachments)
        body += "\n" + _("Attachments: {names}").format(names=names)
    sentence = sentences.message_sentence(
        msg.direction, msg.is_note, msg.author_name, msg.channel, time_text, body, own=own
    )
    if kind == "note":
        who = _("Internal note by {author}").format(author=msg.author_name or _("an agent"))
    elif kind == "in":
        who = msg.author_name or _("Customer")
    else:
        who = _("You") if own else (msg.author_name or _("Agent"))
    parts = [who, channel_label(msg.channel), time_text]
    delivery = _delivery(msg, now)
    if delivery:
        parts.append(delivery)
        sentence = sentences.add_sentence(sentence, delivery)
    elif msg.direction == Direction.IN.value and msg.failure_reason:
        # An inbound message that could not be read completely (kept raw, nothing dropped).
        parts.append(_("warning: {reason}").format(reason=msg.failure_reason))
        warning = _("Warning: {reason}").format(reason=msg.failure_reason)
        sentence = sentences.add_sentence(sentence, warning)
    if msg.is_auto and (msg.direction == Direction.IN.value or msg.auto_kind in SURVEY_KINDS):
        label = automatic_label(msg.auto_kind)
        parts.append(label)
        sentence = sentences.add_sentence(sentence, label)
    if msg.direction == Direction.IN.value and msg.sender_warning:
        unverified = _("Unverified sender: {reason}").format(reason=msg.sender_warning)
        parts.append(unverified)
        sentence = sentences.add_sentence(sentence, unverified)
    if msg.merged_from:  # merging conversations (docs/merge-split.md): where it came from
        parts.append(msg.merged_from)
        sentence = sentences.add_sentence(sentence, msg.merged_from)
    done = translation.shown(msg)
    if done is not None:
        return MessageTexts(kind, " · ".join(parts), body, sentence, done.text, done.language)
    return MessageTexts(kind, " · ".join(parts), body, sentence)


def automatic_label(kind: str | None) -> str:
    """The words that mark a message a machine sent (in the header, not by colour)."""
    return {
        "auto_reply": _("Automatic reply"),
        "delivery_report": _("Automatic delivery report"),
        "bulk": _("Automatic bulk mail"),
        "survey": _("Automatic satisfaction survey"),
        "survey_answer": _("Satisfaction survey answer"),
        "survey_reply": _("Satisfaction survey reply"),
    }.get(kind or "", _("Automatic message"))


#: The server's survey lines (``server.surveys``): labelled whichever way they go.
SURVEY_KINDS = frozenset({"survey", "survey_answer", "survey_reply"})


def conversation_header(
    conv: ConversationView, customer_name: str, assignee_name: str | None
) -> str:
    status = {
        "open": _("Open"),
        "pending": _("Pending"),
        "snoozed": _("Snoozed"),
        "resolved": _("Resolved"),
    }.get(conv.status, conv.status)
    parts = [
        conv.subject or _("(no subject)"),
        customer_name,
        channel_label(conv.channel),
        status,
        _("{priority} priority").format(priority=priority_label(conv.priority)),
        _("assigned to {name}").format(name=assignee_name) if assignee_name else _("unassigned"),
    ]
    if conv.tags:
        parts.append(_("tags: {tags}").format(tags=", ".join(conv.tags)))
    return " · ".join(parts)
