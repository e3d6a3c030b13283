"""``/api/v1/kpis``: KPI tables, their daily series, the first-response distribution, the
conversations behind a figure, and the definitions; JSON or CSV (docs/kpis.md).

Role-checked: an agent sees their own numbers, a supervisor their team's (the whole floor
without a team), an admin everyone's; a trainee none. Bad parameters are a 400 that says
which and why.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from csdesk.domain.enums import Channel
from csdesk.domain.phrase import Phrase
from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State
from csdesk.server.errors import ApiError
from csdesk.server.kpis import csv_table, drill, tables
from csdesk.server.kpis.definitions import DEFINITIONS
from csdesk.server.kpis.period import PeriodError, parse_day, resolve
from csdesk.server.kpis.samples import Ctx
from csdesk.server.kpis.scope import Scope, ScopeError, scope_of
from csdesk.server.kpis.tables import Query as TableQuery
from csdesk.storage.types import utcnow

router = APIRouter(prefix=f"{API_PREFIX}/kpis", tags=["kpis"])

TABLES: Final = ("rows", "series", "histogram")
MAX_PAGE: Final = 1_000_000
_ID_MAX: Final = 36
_KEY_MAX: Final = 80
_CHANNELS: Final = tuple(c.value for c in Channel)

Text = str | None
Day = str | None


def _bad(phrase: Phrase) -> ApiError:
    return ApiError.saying(400, "invalid", phrase)


def _scope(user: Any) -> Scope:
    try:
        return scope_of(user)
    except ScopeError as exc:
        raise ApiError.saying(403, "forbidden", exc.phrase) from None


def _id(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not value or len(value) > _ID_MAX or not value.isprintable():
        raise _bad(
            Phrase("{name} must be an id of at most {limit} characters", name=name, limit=_ID_MAX)
        )
    return value


def _query(
    scope: Scope, group: str, channel: str | None, team: str | None, agent: str | None
) -> TableQuery:
    if group not in tables.GROUPS:
        raise _bad(Phrase("group must be one of {choices}", choices=", ".join(tables.GROUPS)))
    if channel is not None and channel not in _CHANNELS:
        raise _bad(Phrase("channel must be one of {choices}", choices=", ".join(_CHANNELS)))
    agent = _id("agent", agent)
    if scope.kind == "own" and agent not in (None, scope.user_id):
        raise ApiError(403, "forbidden", "an agent sees only their own numbers")
    return TableQuery(scope, group, channel, _id("team", team), agent)


def _ctx(state: State, period: str, start: str | None, end: str | None, tz: str) -> Ctx:
    try:
        resolved = resolve(period, now=utcnow(), tz_name=tz, start_day=start, end_day=end)
    except PeriodError as exc:
        raise _bad(exc.phrase) from None
    return Ctx(resolved, utcnow(), state.engine.dialect.name)


def _wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt not in ("json", "csv"):
            raise _bad(Phrase("format must be json or csv"))
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _period_out(ctx: Ctx) -> dict[str, Any]:
    p = ctx.period
    return {
        "name": p.name,
        "timezone": p.timezone,
        "from": p.start.isoformat(),
        "to": p.end.isoformat(),
        "days": [d.isoformat() for d in p.days],
    }


@router.get("", responses={400: {}, 401: {}, 403: {}})
def kpis(
    request: Request,
    state: State,
    user: CurrentUser,
    period: str = "7d",
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    tz: str = "UTC",
    group: str = "none",
    channel: str | None = None,
    team: str | None = None,
    agent: str | None = None,
    format: str | None = None,
    table: str = "rows",
) -> Response:
    """The KPI table for ``period`` grouped by ``group``, its total, the daily series and
    the first-response distribution; with ``format=csv`` one of them (``table``) as CSV."""
    scope = _scope(user)
    query = _query(scope, group, channel, team, agent)
    ctx = _ctx(state, period, start, end, tz)
    as_csv = _wants_csv(request, format)
    if table not in TABLES:
        raise _bad(Phrase("table must be one of {choices}", choices=", ".join(TABLES)))
    with state.reads() as s:
        if as_csv:
            return _csv(_table_csv(s, ctx, query, table), f"kpis-{table}-{ctx.period.name}")
        done = tables.report(s, ctx, query)
        body = {
            "period": _period_out(ctx),
            "group": group,
            "scope": {"kind": scope.kind, "team_id": scope.team_id},
            "generated_at": ctx.now.isoformat(),
            "rows": done.table.rows,
            "total": done.table.total,
            "series": done.series,
            "first_response_histogram": done.frt_histogram,
        }
    return JSONResponse(body)


def _table_csv(s: Any, ctx: Ctx, query: TableQuery, table: str) -> str:
    if table == "series":
        days = tables.series(s, ctx, query)
        header = ["day", *tables.FIGURES]
        return csv_table.render(header, ([d["day"], *(d[f] for f in tables.FIGURES)] for d in days))
    if table == "histogram":
        buckets = tables.frt_histogram(s, ctx, query)
        header = ["bucket", "min_seconds", "max_seconds", "count"]
        return csv_table.render(
            header,
            ([b["label"], b["min_seconds"], b["max_seconds"], b["count"]] for b in buckets),
        )
    result = tables.table(s, ctx, query)
    header = ["key", "label", *tables.FIGURES]
    rows = [*result.rows, {"key": "", "label": "Total", **result.total}]
    return csv_table.render(
        header, ([r["key"], r["label"], *(r[f] for f in tables.FIGURES)] for r in rows)
    )


@router.get("/conversations", responses={400: {}, 401: {}, 403: {}})
def behind(
    request: Request,
    state: State,
    user: CurrentUser,
    metric: str | None = None,
    period: str = "7d",
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    tz: str = "UTC",
    group: str = "none",
    key: str | None = None,
    day: str | None = None,
    channel: str | None = None,
    team: str | None = None,
    agent: str | None = None,
    page: str = "1",
    page_size: str = "50",
    format: str | None = None,
) -> Response:
    """The ids of the conversations behind one figure (``metric``), paged, most recent
    first; ``group`` + ``key`` pick one row of the table, ``day`` one day of the series."""
    scope = _scope(user)
    if metric is None or metric not in drill.METRICS:
        raise _bad(Phrase("metric must be one of {choices}", choices=", ".join(drill.METRICS)))
    query = _query(scope, group, channel, team, agent)
    ctx = _ctx(state, period, start, end, tz)
    if key is not None and group == "none":
        raise _bad(Phrase("key picks a row of a grouped table: give group too"))
    if key is not None and (len(key) > _KEY_MAX or not key.isprintable()):
        raise _bad(
            Phrase("key must be printable text of at most {limit} characters", limit=_KEY_MAX)
        )
    on_day: date | None = None
    if day is not None:
        try:
            on_day = parse_day("day", day)
        except PeriodError as exc:
            raise _bad(exc.phrase) from None
        if on_day not in ctx.period.days:
            raise _bad(Phrase("day must be one of the period's days"))
    number = _bounded("page", page, 1, MAX_PAGE)
    size = _bounded("page_size", page_size, 1, drill.MAX_PAGE_SIZE)
    as_csv = _wants_csv(request, format)
    with state.reads() as s:
        found = drill.conversations(
            s, ctx, query, metric, key=key, day=on_day, page=number, page_size=size
        )
    if as_csv:
        return _csv(
            csv_table.render(["conversation_id"], ([i] for i in found.conversation_ids)),
            f"kpis-{metric}",
        )
    return JSONResponse(
        {
            "metric": metric,
            "period": _period_out(ctx),
            "total": found.total,
            "page": number,
            "page_size": size,
            "conversation_ids": found.conversation_ids,
        }
    )


def _bounded(name: str, raw: str, low: int, high: int) -> int:
    if len(raw) > 12 or not raw.isascii() or not raw.isdigit():
        raise _bad(
            Phrase(
                "{name} must be a whole number from {low} to {high}", name=name, low=low, high=high
            )
        )
    value = int(raw)
    if not low <= value <= high:
        raise _bad(
            Phrase(
                "{name} must be a whole number from {low} to {high}", name=name, low=low, high=high
            )
        )
    return value


@router.get("/definitions", responses={401: {}})
def definitions(user: CurrentUser) -> dict[str, str]:
    """What each figure means, one sentence each (the desk's tooltips)."""
    return dict(DEFINITIONS)
