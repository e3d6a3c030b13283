"""KPI tables: the samples of ``kpis.samples`` grouped and aggregated in SQL.

A table is a few statements per group of figures (the sums and counts per group, and the
same without grouping for the total); Python only turns each group's sums into averages and
rates. The daily series is the same aggregation grouped by day, and the first-response
distribution counts the same first responses into fixed buckets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Select, and_, case, func, null, select
from sqlalchemy.orm import Session

from csdesk.server.kpis import samples
from csdesk.server.kpis.samples import Ctx
from csdesk.server.kpis.scope import Scope
from csdesk.server.kpis.sqltime import day_index, instant
from csdesk.storage import models as m

GROUPS: Final = ("none", "agent", "team", "channel", "queue")

#: First-response distribution: (label, from seconds inclusive, to seconds exclusive or None).
FRT_BUCKETS: Final[tuple[tuple[str, int, int | None], ...]] = (
    ("under 1 min", 0, 60),
    ("1–5 min", 60, 300),
    ("5–15 min", 300, 900),
    ("15–30 min", 900, 1800),
    ("30–60 min", 1800, 3600),
    ("1–4 h", 3600, 14400),
    ("4–8 h", 14400, 28800),
    ("8–24 h", 28800, 86400),
    ("24 h or more", 86400, None),
)


@dataclass(frozen=True, slots=True)
class Query:
    """What a table is about: the group and the filters, inside the caller's scope."""

    scope: Scope
    group: str = "none"
    channel: str | None = None
    team: str | None = None
    agent: str | None = None

    def where(self, sub: Any) -> list[Any]:
        clauses = [self.scope.clause(sub)]
        if self.channel is not None:
            clauses.append(sub.c.channel == self.channel)
        if self.team is not None:
            clauses.append(sub.c.team == self.team)
        if self.agent is not None:
            clauses.append(sub.c.agent == self.agent)
        return clauses


Aggregates = Callable[[Any], list[Any]]


def _sum(expr: Any) -> Any:
    return func.coalesce(func.sum(expr), 0)


def _flag(condition: Any) -> Any:
    return _sum(case((condition, 1), else_=0))


AGGREGATES: Final[dict[str, tuple[Callable[[Ctx], Select[Any]], Aggregates]]] = {
    "contacts": (
        samples.contacts,
        lambda s: [
            func.count().label("contacts"),
            _sum(s.c.resolved).label("created_resolved"),
            func.count(s.c.frt).label("frt_count"),
            _sum(s.c.frt).label("frt_sum"),
            _flag(s.c.fr_state == 1).label("sla_fr_met"),
            func.count(s.c.fr_state).label("sla_fr_total"),
            _flag(s.c.res_state == 1).label("sla_res_met"),
            func.count(s.c.res_state).label("sla_res_total"),
        ],
    ),
    "resolved": (
        samples.resolved,
        lambda s: [
            func.count().label("resolved"),
            _sum(s.c.resolution).label("resolution_sum"),
            _sum(s.c.fcr_eligible).label("fcr_eligible"),
            _sum(s.c.fcr).label("fcr_count"),
        ],
    ),
    "resolutions": (
        samples.resolutions,
        lambda s: [func.count().label("resolutions"), _sum(s.c.reopened).label("reopened")],
    ),
    "backlog": (samples.backlog, lambda s: [func.count().label("backlog")]),
    "calls": (
        samples.calls,
        lambda s: [func.count().label("calls_handled"), _sum(s.c.handle).label("call_sum")],
    ),
    "messaging": (
        samples.messaging,
        lambda s: [
            func.count().label("messaging_handled"),
            _sum(s.c.handle).label("messaging_sum"),
        ],
    ),
    "surveys": (
        samples.surveys,
        lambda s: [
            func.count(s.c.csat).label("csat_count"),
            _sum(s.c.csat).label("csat_sum"),
            _flag(s.c.csat >= 4).label("csat_satisfied"),
            func.count(s.c.nps).label("nps_count"),
            _flag(s.c.nps >= 9).label("nps_promoters"),
            _flag(s.c.nps <= 6).label("nps_detractors"),
            func.count(s.c.ces).label("ces_count"),
            _sum(s.c.ces).label("ces_sum"),
        ],
    ),
    # Quality review (issue 12, docs/qa.md): the average weighted score of the period's reviews.
    "qa": (
        samples.qa_reviews,
        lambda s: [func.count().label("qa_count"), _sum(s.c.qa).label("qa_sum")],
    ),
}
#: The groups of figures that have no meaning per day (a snapshot of now).
_NOT_DAILY: Final = frozenset({"backlog"})


def sample(
    build: Callable[[Ctx], Select[Any]], ctx: Ctx, name: str, query: Query | None = None
) -> Any:
    """The sample, narrowed to ``query``'s scope and filters, as a materialized CTE: each
    row's values are computed once however many aggregates or CASE branches read them (a
    plain subquery is inlined by PostgreSQL, and an expression holding a correlated subquery
    would then run once per reference). The filters sit inside, so an agent's own table
    only computes that agent's rows."""
    inner = build(ctx).subquery(f"kpi_{name}_all")
    narrowed = select(inner)
    if query is not None:
        narrowed = narrowed.where(*query.where(inner))
    return narrowed.cte(f"kpi_{name}").prefix_with("MATERIALIZED")


def _key(group: str, sub: Any) -> Any:
    if group == "none":
        return null()
    return sub.c[group]


Sums = dict[str, Any]


def _bucket(frt: Any) -> Any:
    """The ``FRT_BUCKETS`` index of a first-response time (NULL: none)."""
    whens = [(frt < high, i) for i, (_, _, high) in enumerate(FRT_BUCKETS) if high]
    return case((frt.is_(None), null()), *whens, else_=len(FRT_BUCKETS) - 1)


Cell = tuple[Any, int | None, int | None]  # (group key, day, first-response bucket)


def _grouped(session: Session, ctx: Ctx, query: Query, name: str) -> dict[Cell, Sums]:
    """One pass over one sample: its sums per (group key, day of the period, and for the
    contacts their first-response bucket); the day is None for figures that have no day
    (the backlog)."""
    build, aggregates = AGGREGATES[name]
    sub = sample(build, ctx, name, query)
    k = _key(query.group, sub).label("k")
    d = (null() if name in _NOT_DAILY else day_index(sub.c.at, ctx.period.bounds)).label("d")
    b = (_bucket(sub.c.frt) if name == "contacts" else null()).label("b")
    # PostgreSQL refuses a constant in GROUP BY: group only by what varies.
    varies = ((k, query.group != "none"), (d, name not in _NOT_DAILY), (b, name == "contacts"))
    by = [c for c, varying in varies if varying]
    stmt = select(k, d, b, *aggregates(sub)).select_from(sub).group_by(*by)
    out: dict[Cell, Sums] = {}
    for row in session.execute(stmt).mappings():
        day = None if row["d"] is None else int(row["d"])
        bucket = None if row["b"] is None else int(row["b"])
        out[(row["k"], day, bucket)] = {n: v for n, v in row.items() if n not in ("k", "d", "b")}
    return out


def _add(into: Sums, sums: Sums) -> None:
    for name, value in sums.items():
        into[name] = into.get(name, 0.0) + float(value or 0)


def _ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def figures(sums: dict[str, Any]) -> dict[str, Any]:
    """The published figures of one group from its sums and counts."""
    n = {k: float(v or 0) for k, v in sums.items()}

    def count(name: str) -> int:
        return int(n.get(name, 0))

    handled = count("calls_handled") + count("messaging_handled")
    handle_sum = n.get("call_sum", 0.0) + n.get("messaging_sum", 0.0)
    nps_count = count("nps_count")
    return {
        "contacts": count("contacts"),
        "created_resolved": count("created_resolved"),
        "resolution_rate": _ratio(n.get("created_resolved", 0), n.get("contacts", 0)),
        "first_response_count": count("frt_count"),
        "first_response_avg_seconds": _ratio(n.get("frt_sum", 0), n.get("frt_count", 0), 1),
        "resolved": count("resolved"),
        "resolution_avg_seconds": _ratio(n.get("resolution_sum", 0), n.get("resolved", 0), 1),
        "fcr_eligible": count("fcr_eligible"),
        "fcr_count": count("fcr_count"),
        "fcr_rate": _ratio(n.get("fcr_count", 0), n.get("fcr_eligible", 0)),
        "resolutions": count("resolutions"),
        "reopened": count("reopened"),
        "reopen_rate": _ratio(n.get("reopened", 0), n.get("resolutions", 0)),
        "sla_first_response_met": count("sla_fr_met"),
        "sla_first_response_total": count("sla_fr_total"),
        "sla_first_response_rate": _ratio(n.get("sla_fr_met", 0), n.get("sla_fr_total", 0)),
        "sla_resolution_met": count("sla_res_met"),
        "sla_resolution_total": count("sla_res_total"),
        "sla_resolution_rate": _ratio(n.get("sla_res_met", 0), n.get("sla_res_total", 0)),
        "backlog": count("backlog") if "backlog" in sums else None,
        "calls_handled": count("calls_handled"),
        "call_handle_avg_seconds": _ratio(n.get("call_sum", 0), n.get("calls_handled", 0), 1),
        "messaging_handled": count("messaging_handled"),
        "messaging_handle_avg_seconds": _ratio(
            n.get("messaging_sum", 0), n.get("messaging_handled", 0), 1
        ),
        "handled": handled,
        "handle_avg_seconds": _ratio(handle_sum, handled, 1),
        "csat_count": count("csat_count"),
        "csat_satisfied": count("csat_satisfied"),
        "csat_rate": _ratio(n.get("csat_satisfied", 0), n.get("csat_count", 0)),
        "csat_avg": _ratio(n.get("csat_sum", 0), n.get("csat_count", 0), 2),
        "nps_count": nps_count,
        "nps_promoters": count("nps_promoters"),
        "nps_detractors": count("nps_detractors"),
        "nps": (
            round(100.0 * (n.get("nps_promoters", 0) - n.get("nps_detractors", 0)) / nps_count, 1)
            if nps_count
            else None
        ),
        "ces_count": count("ces_count"),
        "ces_avg": _ratio(n.get("ces_sum", 0), n.get("ces_count", 0), 2),
        "qa_reviews": count("qa_count"),
        "qa_score": _ratio(n.get("qa_sum", 0), n.get("qa_count", 0), 1),
    }


#: The figures of a table row, in column order (the CSV header).
FIGURES: Final = tuple(figures({"backlog": 0}).keys())


@dataclass
class Table:
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    table: Table
    series: list[dict[str, Any]]
    frt_histogram: list[dict[str, Any]]


def report(session: Session, ctx: Ctx, query: Query) -> Report:
    """The table (one row per group and the total), the daily series and the first-response
    distribution, from one grouped statement per group of figures. Every sum and count is
    additive and each sample row is in exactly one (group, day, bucket) cell, so rows, days,
    buckets and the total are sums of those few cells."""
    by_key: dict[Any, Sums] = {}
    by_day: dict[int, Sums] = {}
    buckets: dict[int, int] = {}
    total: Sums = {}
    for name in AGGREGATES:
        for (key, day, bucket), sums in _grouped(session, ctx, query, name).items():
            _add(by_key.setdefault(key, {"backlog": 0}), sums)
            _add(total, sums)
            if day is not None:
                _add(by_day.setdefault(day, {}), sums)
            if bucket is not None:
                buckets[bucket] = buckets.get(bucket, 0) + int(sums["frt_count"] or 0)
    result = Table(total=figures({"backlog": 0, **total}))
    if query.group == "none":
        result.rows = [{"key": None, "label": "All", **result.total}]
    else:
        labels = _labels(session, query.group, list(by_key))
        for key in sorted(by_key, key=lambda k: (labels[k].casefold(), str(k))):
            result.rows.append({"key": key, "label": labels[key], **figures(by_key[key])})
    days = [
        {"day": day.isoformat(), **figures(by_day.get(i, {}))}
        for i, day in enumerate(ctx.period.days)
    ]
    histogram = [
        {"label": label, "min_seconds": low, "max_seconds": high, "count": buckets.get(i, 0)}
        for i, (label, low, high) in enumerate(FRT_BUCKETS)
    ]
    return Report(result, days, histogram)


def table(session: Session, ctx: Ctx, query: Query) -> Table:
    """One row per group (agent, team, channel, queue) and the total."""
    return report(session, ctx, query).table


def series(session: Session, ctx: Ctx, query: Query) -> list[dict[str, Any]]:
    """The figures per day of the period (backlog, a snapshot of now, is left out)."""
    return report(session, ctx, query).series


def frt_histogram(session: Session, ctx: Ctx, query: Query) -> list[dict[str, Any]]:
    """How many first responses of the period took how long (``FRT_BUCKETS``)."""
    return report(session, ctx, query).frt_histogram


def _labels(session: Session, group: str, keys: list[Any]) -> dict[Any, str]:
    """Readable names for the group keys (one lookup per table, not per row)."""
    ids = [k for k in keys if k]
    if group == "agent":
        names = dict(
            session.execute(select(m.User.id, m.User.display_name).where(m.User.id.in_(ids))).all()
        )
        return {k: names.get(k, k) if k else "Unassigned" for k in keys}
    if group in ("team", "queue"):
        team_ids = [k.split(":", 1)[0] for k in ids] if group == "queue" else ids
        teams = dict(
            session.execute(select(m.Team.id, m.Team.name).where(m.Team.id.in_(team_ids))).all()
        )
        if group == "team":
            return {k: teams.get(k, k) if k else "No team" for k in keys}
        out: dict[Any, str] = {}
        for k in keys:
            team, _, channel = (k or "").partition(":")
            out[k] = f"{teams.get(team, team) if team else 'No team'} · {channel}"
        return out
    return {k: str(k) if k else "None" for k in keys}


def in_day(sub: Any, ctx: Ctx, index: int) -> Any:
    """Rows of ``sub`` whose ``at`` falls on the period's day ``index``."""
    lo, hi = ctx.period.bounds[index], ctx.period.bounds[index + 1]
    return and_(sub.c.at >= instant(lo), sub.c.at < instant(hi))
