"""Training mode's rows as whole sentences: the transcript, the scenario list, the history.

One sentence a row, so a screen reader reads what the eye sees (a scenario's title, channel,
difficulty and summary; "Customer, 10:02: …").
"""

from __future__ import annotations

from datetime import datetime

from csdesk.i18n import _
from csdesk.training import ACTIONS, CUSTOMER, HistoryEntry, Line, Scenario
from csdesk.training.scenario import DIFFICULTIES

__all__ = ["channel_name", "history_sentence", "line_text", "scenario_sentence"]


def channel_name(channel: str) -> str:
    names = {
        "chat": _("chat"),
        "email": _("email"),
        "phone": _("phone"),
        "sms": _("SMS"),
        "whatsapp": _("WhatsApp"),
        "messenger": _("Messenger"),
        "instagram": _("Instagram"),
        "telegram": _("Telegram"),
    }
    return names.get(channel, channel)


def _clock_text(at: datetime) -> str:
    return at.astimezone().strftime("%H:%M")


def line_text(line: Line) -> str:
    """The transcript row, a whole sentence: "Customer, 10:02: …" or "You, 10:03: …"."""
    if line.speaker == CUSTOMER:
        return _("Customer, {time}: {text}").format(time=_clock_text(line.at), text=line.text)
    text = _("You, {time}: {text}").format(time=_clock_text(line.at), text=line.text)
    if line.actions:
        done = ", ".join(_(ACTIONS[a][0]) for a in line.actions)
        text += " " + _("(Action: {actions})").format(actions=done)
    return text


def scenario_sentence(scenario: Scenario) -> str:
    return _("{title} — channel: {channel}, difficulty: {difficulty}. {summary}").format(
        title=scenario.title,
        channel=channel_name(scenario.channel),
        difficulty=_(DIFFICULTIES[scenario.difficulty]),
        summary=scenario.summary,
    )


def history_sentence(entry: HistoryEntry) -> str:
    try:
        when = datetime.fromisoformat(entry.finished_at).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        when = entry.finished_at
    return _("{when}: {title}, {score} out of 100, {grade}.").format(
        when=when, title=entry.title, score=entry.score, grade=entry.grade
    )
