"""Routing rules: what a rule asks of a conversation and what it does (docs/routing.md).

Standard library only, so the server (evaluation at ingest, the dry run) and the desk (the
editor's summaries) read a rule the same way. A rule is stored as two JSON objects,
``conditions`` and ``actions``; ``Conditions.of`` / ``Actions.of`` read them leniently (a value
of the wrong type counts as absent), the server validates them strictly when a rule is saved.

Every condition given must hold (AND); inside one list condition any value will do (OR). An
empty rule matches everything. Keywords match whole words or phrases, case-insensitively, in
the subject and the first ``TEXT_LIMIT`` characters of the message, so matching is bounded
whatever a customer sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Only this much of a message is searched for keywords.
TEXT_LIMIT = 10_000
MAX_KEYWORDS = 30
MAX_KEYWORD = 80
MAX_LIST = 30
MAX_TAG = 64
MAX_REPLY = 2000
MAX_NAME = 120
#: The auto_kind of a rule's automatic reply (``Message.auto_kind``).
AUTO_REPLY_KIND = "rule_reply"


class Strategy(StrEnum):
    """How a rule picks an agent among the Available agents who qualify."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOAD = "least_load"


@dataclass(frozen=True, slots=True)
class Hours:
    """A daily window in one time zone; ``start`` after ``end`` spans midnight."""

    start: time
    end: time
    days: frozenset[int] = frozenset(range(7))  # 0 = Monday
    timezone: str = "UTC"

    def contains(self, at: datetime) -> bool:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            zone = ZoneInfo("UTC")
        local = at.astimezone(zone)
        t = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= t < self.end
        if t >= self.start:  # the evening part of a night window
            return local.weekday() in self.days
        # the morning part belongs to the window that started the day before
        return t < self.end and (local.weekday() - 1) % 7 in self.days


@dataclass(frozen=True, slots=True)
class Conditions:
    channels: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    tiers: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()  # the customer's tags (any of them)
    min_order_cents: int | None = None  # the customer's largest order (not cancelled)
    min_lifetime_cents: int | None = None  # CustomerStats.lifetime_value_cents
    hours: Hours | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Conditions:
        d = data if isinstance(data, Mapping) else {}
        return cls(
            channels=frozenset(_strings(d.get("channels"))),
            languages=frozenset(s.lower() for s in _strings(d.get("languages"))),
            keywords=tuple(
                k.strip().casefold()
                for k in _strings(d.get("keywords"), MAX_KEYWORDS, MAX_KEYWORD)
                if k.strip()
            ),
            tiers=frozenset(_strings(d.get("tiers"))),
            tags=frozenset(t.casefold() for t in _strings(d.get("tags"))),
            min_order_cents=_int(d.get("min_order_cents")),
            min_lifetime_cents=_int(d.get("min_lifetime_cents")),
            hours=_hours(d.get("hours")),
        )

    def needs_orders(self) -> bool:
        return self.min_order_cents is not None or self.min_lifetime_cents is not None


@dataclass(frozen=True, slots=True)
class Actions:
    team_id: str | None = None
    assign: Strategy | None = None
    priority: str | None = None
    add_tags: tuple[str, ...] = ()
    auto_reply: str = ""
    escalate: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Actions:
        d = data if isinstance(data, Mapping) else {}
        try:
            strategy = Strategy(d["assign"]) if d.get("assign") else None
        except ValueError:
            strategy = None
        team = d.get("team_id")
        priority = d.get("priority")
        reply = d.get("auto_reply")
        return cls(
            team_id=team if isinstance(team, str) and team else None,
            assign=strategy,
            priority=priority if isinstance(priority, str) and priority else None,
            add_tags=tuple(_strings(d.get("add_tags"), MAX_LIST, MAX_TAG)),
            auto_reply=reply[:MAX_REPLY] if isinstance(reply, str) else "",
            escalate=d.get("escalate") is True,
        )

    def is_empty(self) -> bool:
        return not (
            self.team_id
            or self.assign
            or self.priority
            or self.add_tags
            or self.auto_reply.strip()
            or self.escalate
        )


@dataclass(frozen=True, slots=True)
class Facts:
    """What rules are evaluated against: one conversation and its customer, at one moment."""

    channel: str
    language: str
    subject: str
    text: str
    tier: str
    customer_tags: frozenset[str]
    largest_order_cents: int
    lifetime_cents: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    position: int
    enabled: bool
    stop: bool
    conditions: Conditions
    actions: Actions = field(default_factory=Actions)


def _strings(value: Any, limit: int = MAX_LIST, width: int = MAX_TAG) -> list[str]:
    if not isinstance(value, (list, tuple)):
        return []
    return [v[:width] for v in value[:limit] if isinstance(v, str) and v]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_time(text: Any) -> time | None:
    if not isinstance(text, str) or not re.fullmatch(r"\d{1,2}:\d{2}", text.strip()):
        return None
    h, m = (int(p) for p in text.strip().split(":"))
    return time(h, m) if h < 24 and m < 60 else None


def _hours(value: Any) -> Hours | None:
    if not isinstance(value, Mapping):
        return None
    start, end = parse_time(value.get("start")), parse_time(value.get("end"))
    if start is None or end is None:
        return None
    days = value.get("days")
    chosen = (
        frozenset(d for d in days if isinstance(d, int) and 0 <= d <= 6)
        if isinstance(days, list)
        else frozenset(range(7))
    )
    zone = value.get("timezone")
    return Hours(start, end, chosen, zone if isinstance(zone, str) and zone else "UTC")


def _word_pattern(keyword: str) -> re.Pattern[str]:
    # Whole words: "refund" matches "Refund!" and "refund," but not "refunded"-like stems of
    # other words ("nonrefundable" stays out). Keywords are short and bounded (MAX_KEYWORD).
    return re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)")


def keyword_hit(keywords: Sequence[str], subject: str, text: str) -> bool:
    haystack = (subject[:TEXT_LIMIT] + "\n" + text[:TEXT_LIMIT]).casefold()
    return any(_word_pattern(k).search(haystack) for k in keywords)


def matches(c: Conditions, f: Facts) -> bool:
    """Whether every condition of ``c`` holds for ``f``."""
    if c.channels and f.channel not in c.channels:
        return False
    lang = (f.language or "").lower()
    if c.languages and lang not in c.languages and lang.split("-")[0] not in c.languages:
        return False
    if c.tiers and f.tier not in c.tiers:
        return False
    if c.tags and not (c.tags & {t.casefold() for t in f.customer_tags}):
        return False
    if c.min_order_cents is not None and f.largest_order_cents < c.min_order_cents:
        return False
    if c.min_lifetime_cents is not None and f.lifetime_cents < c.min_lifetime_cents:
        return False
    if c.hours is not None and not c.hours.contains(f.at):
        return False
    return not c.keywords or keyword_hit(c.keywords, f.subject, f.text)


def matching(rules: Iterable[Rule], f: Facts) -> list[Rule]:
    """The enabled rules that apply, in order, up to and including the first matching rule
    that stops processing."""
    out: list[Rule] = []
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        if not rule.enabled or not matches(rule.conditions, f):
            continue
        out.append(rule)
        if rule.stop:
            break
    return out


def qualifies(
    languages: Iterable[str], channels: Iterable[str], conv_language: str, conv_channel: str
) -> bool:
    """Whether an agent's skills cover a conversation: no languages listed means any language,
    no channels listed means any channel."""
    langs = {s.lower() for s in languages}
    chans = set(channels)
    lang = (conv_language or "").lower()
    lang_ok = not langs or lang in langs or lang.split("-")[0] in langs
    return lang_ok and (not chans or conv_channel in chans)


def pick_round_robin(candidates: Sequence[str], last: str | None) -> str | None:
    """The candidate after ``last`` in id order (wrapping), the first when ``last`` is gone."""
    ordered = sorted(candidates)
    if not ordered:
        return None
    for c in ordered:
        if last is None or c > last:
            return c
    return ordered[0]


def pick_least_load(loads: Mapping[str, int], last: str | None = None) -> str | None:
    """The candidate with the fewest open conversations; ties go round-robin after ``last``."""
    if not loads:
        return None
    low = min(loads.values())
    return pick_round_robin([c for c, n in loads.items() if n == low], last)
