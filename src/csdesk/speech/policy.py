"""What gets spoken, and in which words; pure functions, so the rules are tested without audio.

Speech supplements a screen reader, it must not fight it: with one running, the agent can ask
for everything to be spoken only on demand, so the two never talk over each other. An explicit
request ("read this aloud") always wins over the preferences, because the agent just asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from csdesk.i18n import N_, _, ngettext

__all__ = [
    "InboundScope",
    "SpeechEventKind",
    "SpeechPrefs",
    "inbound_announcement",
    "script_step_announcement",
    "should_speak",
    "sla_announcement",
    "speakable",
    "training_line_announcement",
]


class InboundScope(StrEnum):
    ALL = "all"
    MINE = "mine"
    NONE = "none"


class SpeechEventKind(StrEnum):
    INBOUND_MESSAGE = "inbound_message"
    SLA_WARNING = "sla_warning"
    SCRIPT_STEP = "script_step"
    TRAINING_LINE = "training_line"


@dataclass(frozen=True, slots=True)
class SpeechPrefs:
    speak_inbound: InboundScope = InboundScope.MINE
    speak_sla_warnings: bool = True
    speak_script_steps: bool = False
    speak_training_lines: bool = True
    only_on_demand_when_screen_reader: bool = True


def should_speak(
    event_kind: SpeechEventKind,
    prefs: SpeechPrefs,
    *,
    screen_reader_active: bool,
    assigned_to_me: bool,
    on_demand: bool,
) -> bool:
    if on_demand:
        return True
    if screen_reader_active and prefs.only_on_demand_when_screen_reader:
        return False
    if event_kind is SpeechEventKind.INBOUND_MESSAGE:
        if prefs.speak_inbound is InboundScope.ALL:
            return True
        return prefs.speak_inbound is InboundScope.MINE and assigned_to_me
    if event_kind is SpeechEventKind.SLA_WARNING:
        return prefs.speak_sla_warnings
    if event_kind is SpeechEventKind.SCRIPT_STEP:
        return prefs.speak_script_steps
    return prefs.speak_training_lines


# Whole sentences per channel, because word order and grammar differ between languages.
_INBOUND = {
    "email": N_("New email from {sender}: {text}"),
    "chat": N_("New chat message from {sender}: {text}"),
    "phone": N_("New voicemail from {sender}: {text}"),
    "sms": N_("New SMS from {sender}: {text}"),
    "whatsapp": N_("New WhatsApp message from {sender}: {text}"),
    "messenger": N_("New Messenger message from {sender}: {text}"),
    "instagram": N_("New Instagram message from {sender}: {text}"),
    "telegram": N_("New Telegram message from {sender}: {text}"),
}
_INBOUND_OTHER = N_("New message from {sender}: {text}")

_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def speakable(text: str, *, max_chars: int = 200) -> str:
    """Text fit for the ear: one line, links named instead of spelled out, cut at a word.

    A spoken URL takes longer than the message around it and tells the agent nothing.
    """
    flat = " ".join(_URL.sub(_("link"), text).split())
    if len(flat) <= max_chars:
        return flat
    cut = flat[:max_chars].rsplit(" ", 1)[0] or flat[:max_chars]
    return cut.rstrip(" ,;:.") + "…"


def _fill(source: str, translated: str, **values: object) -> str:
    """Format a translated template, falling back to the source text if the translation broke
    a placeholder: a catalogue typo must cost one English sentence, not an exception."""
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):
        return source.format(**values)


def inbound_announcement(channel: str, sender: str, text: str, *, max_chars: int = 200) -> str:
    """E.g. ``New WhatsApp message from Jane Doe: Where is my order?``."""
    template = _INBOUND.get(channel, _INBOUND_OTHER)
    body = speakable(text, max_chars=max_chars) or _("attachment only")
    return _fill(template, _(template), sender=sender.strip() or _("unknown sender"), text=body)


def sla_announcement(customer: str, minutes_left: int) -> str:
    """Warning before the reply deadline, breach after it; minutes are whole and never negative."""
    who = customer.strip() or _("unknown customer")
    if minutes_left > 0:
        one = "SLA warning: reply to {customer} due in {minutes} minute."
        many = "SLA warning: reply to {customer} due in {minutes} minutes."
        minutes = minutes_left
    elif minutes_left == 0:
        now = "SLA breached: reply to {customer} is due now."
        return _fill(now, _(now), customer=who)
    else:
        one = "SLA breached: reply to {customer} is {minutes} minute overdue."
        many = "SLA breached: reply to {customer} is {minutes} minutes overdue."
        minutes = -minutes_left
    source = one if minutes == 1 else many
    return _fill(source, ngettext(one, many, minutes), customer=who, minutes=minutes)


def script_step_announcement(step: int, more: int, text: str) -> str:
    """ "Step 3, at most 2 more: …" (``more``: the most steps after this one; 0: the last).
    Never "of N": a total along the shortest way grew as the call took a longer branch."""
    said = speakable(text, max_chars=400)
    if more <= 0:
        source = "Step {step}, the last: {text}"
        return _fill(source, _(source), step=step, text=said)
    source = "Step {step}, at most {more} more: {text}"
    return _fill(source, _(source), step=step, more=more, text=said)


def training_line_announcement(speaker: str, text: str) -> str:
    source = "{speaker} says: {text}"
    return _fill(
        source,
        _(source),
        speaker=speaker.strip() or _("Customer"),
        text=speakable(text, max_chars=400),
    )
