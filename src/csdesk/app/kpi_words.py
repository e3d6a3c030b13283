"""The dashboard's words: figure names, cells, and the sentences a screen reader hears.

Every figure the table shows has a column here (its name, the kind of number, the counts it
stands on and the drill-down lists behind it); a chart's summary says in one sentence what
the chart draws, with the numbers, so nothing is told by the picture alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

from csdesk.app import formats, sentences
from csdesk.app.inbox import InboxRow
from csdesk.app.kpis import Bucket, Day, DrillItem, Row
from csdesk.domain.bidi import isolate
from csdesk.domain.sla import duration_text
from csdesk.i18n import N_, _, ngettext

NO_DATA: Final = "—"
#: At most this many groups are read out in a comparison's summary.
SUMMARY_ROWS: Final = 12


class Kind(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a fraction 0..1, shown as a percentage with its counts
    DURATION = "duration"  # seconds
    SCORE = "score"  # a mean or the NPS


@dataclass(frozen=True, slots=True)
class Column:
    """A figure of the table: ``name`` is the server's figure (and its definition's key);
    ``part``/``whole`` the counts a rate stands on, ``whole`` the count behind an average;
    ``metrics`` the drill-down lists behind it, the first the default."""

    name: str
    label: str  # N_-marked; shown through _()
    kind: Kind
    metrics: tuple[str, ...]
    part: str | None = None
    whole: str | None = None
    daily: bool = True  # in the daily series (the backlog is a snapshot of now)


COLUMNS: Final[tuple[Column, ...]] = (
    Column("contacts", N_("Contacts"), Kind.COUNT, ("contacts",)),
    Column(
        "resolution_rate",
        N_("Resolved of new"),
        Kind.RATE,
        ("created_resolved", "contacts"),
        "created_resolved",
        "contacts",
    ),
    Column(
        "first_response_avg_seconds",
        N_("First response"),
        Kind.DURATION,
        ("first_response",),
        whole="first_response_count",
    ),
    Column(
        "resolution_avg_seconds",
        N_("Resolution time"),
        Kind.DURATION,
        ("resolved",),
        whole="resolved",
    ),
    Column(
        "fcr_rate",
        N_("First-contact resolution"),
        Kind.RATE,
        ("fcr", "fcr_eligible"),
        "fcr_count",
        "fcr_eligible",
    ),
    Column(
        "reopen_rate",
        N_("Reopened"),
        Kind.RATE,
        ("reopened", "resolutions"),
        "reopened",
        "resolutions",
    ),
    Column(
        "sla_first_response_rate",
        N_("First response on target"),
        Kind.RATE,
        ("sla_first_response_breached", "sla_first_response_met"),
        "sla_first_response_met",
        "sla_first_response_total",
    ),
    Column(
        "sla_resolution_rate",
        N_("Resolution on target"),
        Kind.RATE,
        ("sla_resolution_breached", "sla_resolution_met"),
        "sla_resolution_met",
        "sla_resolution_total",
    ),
    Column("backlog", N_("Backlog now"), Kind.COUNT, ("backlog",), daily=False),
    Column(
        "call_handle_avg_seconds",
        N_("Call handle time"),
        Kind.DURATION,
        ("calls_handled",),
        whole="calls_handled",
    ),
    Column(
        "messaging_handle_avg_seconds",
        N_("Messaging handle time"),
        Kind.DURATION,
        ("messaging_handled",),
        whole="messaging_handled",
    ),
    Column(
        "handle_avg_seconds",
        N_("Handle time"),
        Kind.DURATION,
        ("calls_handled", "messaging_handled"),
        whole="handled",
    ),
    Column(
        "csat_rate",
        N_("CSAT satisfied"),
        Kind.RATE,
        ("csat_satisfied", "csat"),
        "csat_satisfied",
        "csat_count",
    ),
    Column("csat_avg", N_("CSAT average"), Kind.SCORE, ("csat",), whole="csat_count"),
    Column(
        "nps",
        N_("NPS"),
        Kind.SCORE,
        ("nps_promoters", "nps_detractors", "surveys"),
        whole="nps_count",
    ),
    Column("ces_avg", N_("CES average"), Kind.SCORE, ("ces",), whole="ces_count"),
)
DAILY_COLUMNS: Final = tuple(c for c in COLUMNS if c.daily)
BY_NAME: Final = {c.name: c for c in COLUMNS}

_METRICS: Final[dict[str, str]] = {
    "contacts": N_("New conversations"),
    "created_resolved": N_("New conversations resolved now"),
    "first_response": N_("First responses"),
    "sla_first_response_met": N_("First response on target"),
    "sla_first_response_breached": N_("First response target missed"),
    "sla_resolution_met": N_("Resolved on target"),
    "sla_resolution_breached": N_("Resolution target missed"),
    "resolved": N_("Resolved in the period"),
    "fcr_eligible": N_("Resolved with an agent contact"),
    "fcr": N_("Resolved on first contact"),
    "resolutions": N_("Resolutions"),
    "reopened": N_("Resolutions undone (reopened)"),
    "backlog": N_("Open, pending or snoozed now"),
    "calls_handled": N_("Calls handled"),
    "messaging_handled": N_("Conversations handled by messaging"),
    "surveys": N_("Survey answers"),
    "csat": N_("CSAT answers"),
    "csat_satisfied": N_("Satisfied CSAT answers (4 or 5)"),
    "nps_promoters": N_("NPS promoters (9 or 10)"),
    "nps_detractors": N_("NPS detractors (0 to 6)"),
    "ces": N_("CES answers"),
}

_GROUPS: Final[dict[str, str]] = {
    "agent": N_("Agent"),
    "team": N_("Team"),
    "channel": N_("Channel"),
    "queue": N_("Queue"),
}

_PERIODS: Final[dict[str, str]] = {
    "today": N_("Today"),
    "7d": N_("Last 7 days"),
    "30d": N_("Last 30 days"),
    "custom": N_("Custom dates"),
}


def column_label(column: Column) -> str:
    return _(column.label)


def metric_label(metric: str) -> str:
    return _(_METRICS[metric]) if metric in _METRICS else metric


def group_label(group: str) -> str:
    return _(_GROUPS[group]) if group in _GROUPS else group


def period_label(period: str) -> str:
    return _(_PERIODS[period]) if period in _PERIODS else period


def row_label(group: str, row: Row) -> str:
    """A group's name as people read it: channels by their names, the empty rows in words."""
    if group == "channel" and row.key:
        return sentences.channel_name(row.key)
    if row.key is None:
        return {"agent": _("Unassigned"), "team": _("No team")}.get(group, _("None"))
    if group == "queue":
        team, _sep, channel = row.label.rpartition(" · ")
        if team and channel:
            return f"{team} · {sentences.channel_name(channel)}"
    return row.label


def seconds_text(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return ngettext("{n} s", "{n} s", whole).format(n=whole)
    return duration_text(whole // 60, ngettext=ngettext)


def percent(value: float) -> str:
    return formats.percent(value)


def value_text(column: Column, figures: Mapping[str, Any]) -> str:
    """The figure alone ("57%", "2 h 10 min", "3.5"), or ``NO_DATA``."""
    value = figures.get(column.name)
    if value is None:
        return NO_DATA
    if column.kind is Kind.COUNT:
        return formats.number(int(value))
    if column.kind is Kind.RATE:
        return percent(float(value))
    if column.kind is Kind.DURATION:
        return seconds_text(float(value))
    return formats.decimal(float(value), 1 if column.name == "nps" else 2)


def spoken_value(column: Column, figures: Mapping[str, Any]) -> str:
    """The figure for a sentence: "no data" rather than a dash a screen reader skips."""
    value = value_text(column, figures)
    return _("no data") if value == NO_DATA else value


def cell_text(column: Column, figures: Mapping[str, Any]) -> str:
    """A table cell: the figure and what it stands on ("57% (4 of 7)", "10 min (3)")."""
    value = value_text(column, figures)
    if value == NO_DATA:
        return value
    if column.kind is Kind.RATE and column.part and column.whole:
        return _("{value} ({part} of {whole})").format(
            value=value, part=figures.get(column.part, 0), whole=figures.get(column.whole, 0)
        )
    if column.whole:
        return _("{value} ({n})").format(value=value, n=figures.get(column.whole, 0))
    return value


def cell_sentence(column: Column, who: str, figures: Mapping[str, Any]) -> str:
    """A cell as a screen reader says it: "First response for Ann: 10 min, average of 3"."""
    value = value_text(column, figures)
    if value == NO_DATA:
        return _("{figure} for {who}: no data").format(figure=column_label(column), who=who)
    text = _("{figure} for {who}: {value}").format(
        figure=column_label(column), who=who, value=value
    )
    if column.kind is Kind.RATE and column.part and column.whole:
        return _("{text}, {part} of {whole}").format(
            text=text, part=figures.get(column.part, 0), whole=figures.get(column.whole, 0)
        )
    if column.whole:
        n = int(figures.get(column.whole) or 0)
        return _("{text}, average of {n}").format(text=text, n=n)
    return text


def day_label(day: date) -> str:
    return formats.day_text(day)


def chart_number(column: Column, value: Any) -> float | None:
    """A figure as the charts draw it: rates in percent, durations in minutes."""
    if value is None:
        return None
    if column.kind is Kind.RATE:
        return float(value) * 100
    if column.kind is Kind.DURATION:
        return float(value) / 60
    return float(value)


def unit_label(column: Column) -> str:
    return {
        Kind.COUNT: _("count"),
        Kind.RATE: _("percent"),
        Kind.DURATION: _("minutes"),
        Kind.SCORE: _("score"),
    }[column.kind]


def trend_summary(column: Column, days: Sequence[Day]) -> str:
    """E.g. "Contacts per day, Mon 2 Nov to Wed 4 Nov: 3, 3 and 1; highest 3 on Mon 2 Nov,
    lowest 1 on Wed 4 Nov; total 7."."""
    name = column_label(column)
    if not days:
        return _("{figure} per day: no days in this period.").format(figure=name)
    known = [(d, d.figures.get(column.name)) for d in days]
    valued = [(d, v) for d, v in known if v is not None]
    span = _("{first} to {last}").format(first=day_label(days[0].day), last=day_label(days[-1].day))
    if not valued:
        return _("{figure} per day, {span}: no data on any day.").format(figure=name, span=span)
    texts = [spoken_value(column, d.figures) for d, _v in known]
    high = max(valued, key=lambda dv: float(dv[1]))
    low = min(valued, key=lambda dv: float(dv[1]))
    text = _(
        "{figure} per day, {span}: {values}; "
        "highest {high} on {high_day}, lowest {low} on {low_day}"
    ).format(
        figure=name,
        span=span,
        values=_join(texts),
        high=value_text(column, high[0].figures),
        high_day=day_label(high[0].day),
        low=value_text(column, low[0].figures),
        low_day=day_label(low[0].day),
    )
    if column.kind is Kind.COUNT:
        text = _("{text}; total {n}").format(text=text, n=sum(int(v) for _d, v in valued))
    return text + "."


def _unit(seconds: int) -> tuple[str, str]:
    """A range bound in minutes under an hour, else in hours ("30", "min"; "24", "h")."""
    if seconds < 3600:
        return f"{seconds / 60:g}", _("min")
    return f"{seconds / 3600:g}", _("h")


def bucket_label(bucket: Bucket) -> str:
    """A first-response range in words: "under 1 min", "1–5 min", "30 min–1 h", "24 h or
    more"."""
    low, low_unit = _unit(bucket.min_seconds)
    if bucket.max_seconds is None:
        return _("{n} {unit} or more").format(n=low, unit=low_unit)
    high, high_unit = _unit(bucket.max_seconds)
    if bucket.min_seconds == 0:
        return _("under {n} {unit}").format(n=high, unit=high_unit)
    if low_unit == high_unit:
        return _("{low}–{high} {unit}").format(low=low, high=high, unit=high_unit)
    return _("{low} {low_unit}–{high} {high_unit}").format(
        low=low, low_unit=low_unit, high=high, high_unit=high_unit
    )


def distribution_summary(buckets: Sequence[Bucket]) -> str:
    """E.g. "5 first responses: under 1 min 1, 1–5 min 1, …; most often 1–4 h (25)"."""
    total = sum(b.count for b in buckets)
    if not total:
        return _("No first responses in this period.")
    parts = [_("{range}: {n}").format(n=b.count, range=bucket_label(b)) for b in buckets if b.count]
    top = max(buckets, key=lambda b: b.count)
    head = ngettext("{n} first response", "{n} first responses", total).format(n=total)
    return _("{head}; {parts}; most often {range} ({n}).").format(
        head=head, parts=_join(parts), range=bucket_label(top), n=top.count
    )


def comparison_summary(column: Column, group: str, rows: Sequence[tuple[str, Row]]) -> str:
    """E.g. "Contacts by agent: Ann 4, Bob 2, Unassigned 1; highest Ann (4)."."""
    name, by = column_label(column), formats.mid_sentence(group_label(group))
    if not rows:
        return _("{figure} by {group}: no figures in this period.").format(figure=name, group=by)
    parts = [
        _("{who} {value}").format(who=who, value=spoken_value(column, row.figures))
        for who, row in rows[:SUMMARY_ROWS]
    ]
    if len(rows) > SUMMARY_ROWS:
        parts.append(_("and {n} more").format(n=len(rows) - SUMMARY_ROWS))
    text = _("{figure} by {group}: {values}").format(figure=name, group=by, values=_join(parts))
    valued = [(who, row) for who, row in rows if row.figures.get(column.name) is not None]
    if valued:
        who, row = max(valued, key=lambda wr: float(wr[1].figures[column.name]))
        text = _("{text}; highest {who} ({value})").format(
            text=text, who=who, value=value_text(column, row.figures)
        )
    return text + "."


def drill_texts(item: DrillItem) -> tuple[str, str, str, str]:
    """(customer, subject, channel, status) of a listed conversation, from the desk's copy."""
    row: InboxRow | None = item.row
    if row is None:
        return (_("Not in this desk's copy yet"), "", "", "")
    return (
        row.customer_name or _("unknown customer"),
        row.title,
        sentences.channel_name(row.channel),
        status_label(row.status),
    )


def status_label(status: str) -> str:
    return {
        "open": _("Open"),
        "pending": _("Pending"),
        "snoozed": _("Snoozed"),
        "resolved": _("Resolved"),
    }.get(status, status)


def drill_sentence(item: DrillItem) -> str:
    customer, subject, channel, status = drill_texts(item)
    if item.row is None:
        return _("A conversation not in this desk's copy yet")
    parts = [  # a name or subject with a right-to-left override must not reverse the rest
        _("{channel} from {customer}").format(channel=channel, customer=isolate(customer)),
        *([_("'{subject}'").format(subject=isolate(subject))] if subject else []),
        formats.mid_sentence(status),
    ]
    return _(", ").join(parts)


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return _("{items} and {last}").format(items=_(", ").join(parts[:-1]), last=parts[-1])
