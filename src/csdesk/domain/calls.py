"""Phone calls: outcomes, wrap-up dispositions, the script trail. Standard library only.

Shared by the server (which records calls and checks wrap-ups) and the desk (which shows a
ringing call, walks its script and sends the wrap-up), so both read a call the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from csdesk.domain.phrase import Phrase
from csdesk.domain.steps import Taken


class CallOutcome(StrEnum):
    RINGING = "ringing"  # still in progress
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    MISSED = "missed"


class Disposition(StrEnum):
    """How a call ended for the business, chosen by the agent at wrap-up (reports group by
    it). A fixed list: free text goes in the notes, and a list agents cannot extend stays
    comparable week to week."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    CALLBACK_SCHEDULED = "callback_scheduled"
    ESCALATED = "escalated"
    WRONG_NUMBER = "wrong_number"
    NO_ANSWER = "no_answer"  # no answer or voicemail when calling back


#: English labels (the server writes history lines in English; the desk translates these).
DISPOSITION_LABELS: Final[Mapping[Disposition, str]] = {
    Disposition.RESOLVED: "Resolved",
    Disposition.FOLLOW_UP: "Follow-up needed",
    Disposition.CALLBACK_SCHEDULED: "Callback scheduled",
    Disposition.ESCALATED: "Escalated",
    Disposition.WRONG_NUMBER: "Wrong number",
    Disposition.NO_ANSWER: "No answer or voicemail",
}

#: Longest wrap-up note and trail the server accepts (a note is a summary, not a transcript).
MAX_NOTES: Final = 10_000
MAX_TRAIL: Final = 200
#: How far ahead a callback may be scheduled.
MAX_CALLBACK_AHEAD: Final = timedelta(days=366)


# --- the demo's calls (csdesk-server serve --simulate-customers; docs/callbacks.md) ---------
#: Provider call ids of the customer simulator's calls: "SIMCA…" a simulated customer phoning
#: in, "SIMCO…" a call an agent placed to the demo line. No real phone call is made for either.
SIMULATED_SID: Final = "SIMC"
DEMO_LINE_SID: Final = "SIMCO"
#: How the demo line's calls are labelled wherever they are shown (the history line here; the
#: desk says it in its own language).
DEMO_LINE_NOTE: Final = "Demo line: no real phone call is made."


def is_simulated(call_sid: str) -> bool:
    """A call of the demo's simulator (inbound or to the demo line): the agent ends it."""
    return call_sid.startswith(SIMULATED_SID)


def is_demo_line(call_sid: str) -> bool:
    """A call an agent placed to the demo line (no Twilio: the simulator answers)."""
    return call_sid.startswith(DEMO_LINE_SID)


def is_ringing(outcome: str, agent_id: str | None, ended: bool) -> bool:
    """A call still waiting for someone to take it."""
    return outcome == CallOutcome.RINGING and agent_id is None and not ended


def trail_to_wire(trail: Iterable[Taken]) -> list[dict[str, str | None]]:
    """The steps passed as JSON-ready dicts, in order (stored with the call at wrap-up)."""
    return [{"step": t.step_id, "choice": t.choice} for t in trail]


def trail_problem(raw: Any) -> str | None:
    """Why ``raw`` is not a trail (None when it is one): a list of ``{"step", "choice"}``."""
    if not isinstance(raw, list):
        return "the script trail must be a list"
    if len(raw) > MAX_TRAIL:
        return f"the script trail has more than {MAX_TRAIL} steps"
    for n, item in enumerate(raw, 1):
        if not isinstance(item, Mapping) or set(item) - {"step", "choice"}:
            return f"trail entry {n} must be an object with 'step' and 'choice'"
        step, choice = item.get("step"), item.get("choice")
        if not isinstance(step, str) or not step or len(step) > 64:
            return f"trail entry {n} has no step id"
        if choice is not None and (not isinstance(choice, str) or len(choice) > 200):
            return f"trail entry {n} has a bad choice"
    return None


def duration_text(seconds: int | None) -> str:
    """ "3 min 02 s", "45 s", or "" when unknown (English; the history line is server text)."""
    if not seconds:
        return ""
    minutes, secs = divmod(seconds, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def disposition_label(value: str | None) -> str:
    try:
        return DISPOSITION_LABELS[Disposition(value or "")]
    except ValueError:
        return ""


def callback_problem(at: datetime | None, now: datetime) -> Phrase | None:
    """Why ``at`` cannot be a scheduled callback's time (None: it can): the server's
    rejection, in the desk's language there; the desk's dialog checks the same rule."""
    if at is None:
        return Phrase("A scheduled callback needs the date and time to call back.")
    if at.tzinfo is None:
        return Phrase("The callback time needs a time zone.")
    if at <= now:
        return Phrase("The callback time is in the past.")
    if at - now > MAX_CALLBACK_AHEAD:
        return Phrase("A callback can be scheduled at most a year ahead.")
    return None


def callback_line(at: datetime) -> str:
    """ "for 2026-12-05 14:00 UTC": the history line is server text, in UTC."""
    from datetime import UTC

    return f"for {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
