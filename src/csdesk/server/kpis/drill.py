"""The conversations behind a figure: the same sample and filters as the table, listed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from csdesk.server.kpis import tables
from csdesk.server.kpis.samples import Ctx
from csdesk.server.kpis.tables import Query

Condition = Callable[[Any], Any] | None

#: Figure name → (the sample it comes from, which of its rows make it up).
METRICS: Final[dict[str, tuple[str, Condition]]] = {
    "contacts": ("contacts", None),
    "created_resolved": ("contacts", lambda s: s.c.resolved == 1),
    "first_response": ("contacts", lambda s: s.c.frt.is_not(None)),
    "sla_first_response_met": ("contacts", lambda s: s.c.fr_state == 1),
    "sla_first_response_breached": ("contacts", lambda s: s.c.fr_state == 0),
    "sla_resolution_met": ("contacts", lambda s: s.c.res_state == 1),
    "sla_resolution_breached": ("contacts", lambda s: s.c.res_state == 0),
    "resolved": ("resolved", None),
    "fcr_eligible": ("resolved", lambda s: s.c.fcr_eligible == 1),
    "fcr": ("resolved", lambda s: s.c.fcr == 1),
    "resolutions": ("resolutions", None),
    "reopened": ("resolutions", lambda s: s.c.reopened == 1),
    "backlog": ("backlog", None),
    "calls_handled": ("calls", None),
    "messaging_handled": ("messaging", None),
    "surveys": ("surveys", None),
    "csat": ("surveys", lambda s: s.c.csat.is_not(None)),
    "csat_satisfied": ("surveys", lambda s: s.c.csat >= 4),
    "nps_promoters": ("surveys", lambda s: s.c.nps >= 9),
    "nps_detractors": ("surveys", lambda s: s.c.nps <= 6),
    "ces": ("surveys", lambda s: s.c.ces.is_not(None)),
    "qa_reviews": ("qa", None),
}
MAX_PAGE_SIZE: Final = 500


@dataclass(frozen=True, slots=True)
class Page:
    conversation_ids: list[str]
    total: int


def conversations(
    session: Session,
    ctx: Ctx,
    query: Query,
    metric: str,
    *,
    key: str | None,
    day: date | None,
    page: int,
    page_size: int,
) -> Page:
    """Page ``page`` (from 1) of the distinct conversations behind ``metric``, most recent
    first; ``key`` narrows to one group of ``query.group`` ("" is the group without one)."""
    name, condition = METRICS[metric]
    build, _ = tables.AGGREGATES[name]
    sub = tables.sample(build, ctx, name, query)
    where: list[Any] = []
    if condition is not None:
        where.append(condition(sub))
    if key is not None and query.group != "none":
        column = sub.c[query.group]
        where.append(column.is_(None) if key == "" and query.group != "queue" else column == key)
    if day is not None:
        where.append(tables.in_day(sub, ctx, ctx.period.days.index(day)))
    total = session.execute(select(func.count(distinct(sub.c.conversation_id))).where(*where))
    latest = func.max(sub.c.at)
    ids = session.execute(
        select(sub.c.conversation_id)
        .where(*where)
        .group_by(sub.c.conversation_id)
        .order_by(latest.desc(), sub.c.conversation_id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).scalars()
    return Page([str(i) for i in ids], int(total.scalar_one()))
