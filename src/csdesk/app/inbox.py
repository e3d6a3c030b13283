"""Inbox views, counts, ordering and row data, read from the local cache.

The list model holds only ordered ids (``ordered_ids``, run on a worker) and fetches the rows
it shows in small batches (``rows``), so 100,000 conversations open without loading them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    FromClause,
    Integer,
    String,
    Subquery,
    TextClause,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BindParameter, UnaryExpression
from sqlalchemy.sql.visitors import iterate, replacement_traverse

from csdesk.app.packed_ids import PackedIds
from csdesk.app.readstate import read_marks
from csdesk.domain.enums import Channel, ConversationStatus, Priority
from csdesk.storage import models as m
from csdesk.storage.types import UTCDateTime, utcnow
from csdesk.sync import view_counts

C = m.Conversation.__table__.c
CU = m.Customer.__table__.c
U = m.User.__table__.c

#: A conversation is "at risk" when a due time is this close (or already past).
AT_RISK = timedelta(minutes=30)
ACTIVE = (ConversationStatus.OPEN.value, ConversationStatus.PENDING.value)


class View(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL_OPEN = "all_open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    SLA_AT_RISK = "sla_at_risk"
    #: Not in the side bar: what a search looks through unless the agent keeps it in a view.
    EVERYWHERE = "everywhere"
    # one view per channel: "channel:email", ...

    @staticmethod
    def channel(ch: Channel) -> str:
        return f"channel:{ch.value}"


class Sort(StrEnum):
    NEWEST = "newest"
    OLDEST_WAITING = "oldest_waiting"
    SLA_DUE = "sla_due"
    PRIORITY = "priority"


#: The side bar, in order: the status views first, so Alt+1 to Alt+7 reach every one of them
#: (the channels after them; every view is also in "Go to view…" and the arrow-key list).
ALL_VIEWS: tuple[str, ...] = (
    View.MINE,
    View.UNASSIGNED,
    View.ALL_OPEN,
    View.PENDING,
    View.SNOOZED,
    View.RESOLVED,
    View.SLA_AT_RISK,
    *(View.channel(c) for c in Channel),
)


def _due() -> ColumnElement[Any]:
    """The due time that matters now: first response until answered, then resolution."""
    return case((C.first_response_at.is_(None), C.first_response_due_at), else_=C.resolution_due_at)


def view_filter(view: str, me: str, now: datetime) -> ColumnElement[bool]:
    live = C.deleted_at.is_(None)
    if view == View.EVERYWHERE:
        return live
    active = C.status.in_(ACTIVE)
    if view == View.MINE:
        return and_(live, active, C.assignee_id == me)
    if view == View.UNASSIGNED:
        return and_(live, active, C.assignee_id.is_(None))
    if view == View.ALL_OPEN:
        return and_(live, active)
    if view == View.PENDING:
        return and_(live, C.status == ConversationStatus.PENDING.value)
    if view == View.SNOOZED:
        return and_(live, C.status == ConversationStatus.SNOOZED.value)
    if view == View.RESOLVED:
        return and_(live, C.status == ConversationStatus.RESOLVED.value)
    if view == View.SLA_AT_RISK:
        return and_(live, active, _due().is_not(None), _due() <= now + AT_RISK)
    if view.startswith("channel:"):
        return and_(live, active, C.channel == view.removeprefix("channel:"))
    raise ValueError(f"unknown inbox view {view!r}")


def counts(session: Session, me: str, now: datetime) -> dict[str, int]:
    """Live counts for the side bar: sums over the totals the cache keeps per status,
    channel and assignee (``sync.view_counts``), and "SLA at risk" counted on its index."""
    kept = view_counts.kept(session)
    if not kept.totals:
        return counted_by_scan(session, me, now)
    out = dict.fromkeys(ALL_VIEWS, 0)
    mine = view_counts.ASSIGNED + me
    for status, channel, assignee, n in session.execute(_COUNTS):
        if status in _BY_STATUS:
            out[_BY_STATUS[status]] += n
        if status not in ACTIVE:
            continue
        out[View.ALL_OPEN] += n
        if assignee == mine:
            out[View.MINE] += n
        elif assignee == view_counts.UNASSIGNED:
            out[View.UNASSIGNED] += n
        view = f"channel:{channel}"
        if view in out:
            out[view] += n
    out[View.SLA_AT_RISK] = session.scalar(at_risk_count(now, kept.due_index)) or 0
    return out


def at_risk_count(now: datetime, on_index: bool = True) -> TextClause:
    """How many conversations "SLA at risk" shows at ``now``: ``view_filter``'s rows, in the
    words the cache's due index is made over (``sync.view_counts``), a range of that index
    (``on_index``: the cache has it)."""
    hint = f" INDEXED BY {view_counts.DUE_INDEX}" if on_index else ""
    return text(
        f"SELECT count(*) FROM conversations{hint}"
        f" WHERE {view_counts.AT_RISK_ROWS} AND ({view_counts.DUE}) <= :due"
    ).bindparams(bindparam("due", now + AT_RISK, type_=UTCDateTime()))


#: The views that are one status each.
_BY_STATUS = {
    ConversationStatus.PENDING.value: View.PENDING,
    ConversationStatus.SNOOZED.value: View.SNOOZED,
    ConversationStatus.RESOLVED.value: View.RESOLVED,
}
_COUNTS = text(
    f"SELECT status, channel, assignee, n FROM {view_counts.TABLE} WHERE n != 0"
).columns(status=String(), channel=String(), assignee=String(), n=Integer())


def counted_by_scan(session: Session, me: str, now: datetime) -> dict[str, int]:
    """Every view's count in one scan of the conversations: where the cache keeps no totals."""
    cols = [
        func.coalesce(func.sum(case((view_filter(v, me, now), 1), else_=0)), 0).label(v)
        for v in ALL_VIEWS
    ]
    row = session.execute(select(*cols).select_from(m.Conversation.__table__)).one()
    return {v: int(row[i]) for i, v in enumerate(ALL_VIEWS)}


_PRIORITY_RANK = case(
    *(
        (C.priority == p.value, rank)
        for p, rank in (
            (Priority.URGENT, 0),
            (Priority.HIGH, 1),
            (Priority.NORMAL, 2),
            (Priority.LOW, 3),
        )
    ),
    else_=4,
)


def _order(sort: Sort) -> list[Any]:
    if sort == Sort.NEWEST:
        return [C.last_message_at.desc(), C.id]
    if sort == Sort.OLDEST_WAITING:
        return [C.waiting_since.is_(None), C.waiting_since.asc(), C.last_message_at.asc(), C.id]
    if sort == Sort.SLA_DUE:
        return [_due().is_(None), _due().asc(), C.id]
    return [_PRIORITY_RANK, C.last_message_at.desc(), C.id]


@dataclass(frozen=True, slots=True)
class Hits:
    """Search hits: a query of a distinct ``id`` column (conversation ids), in SQLite's SQL
    with named parameters (``app.search`` makes them)."""

    sql: str
    params: Mapping[str, Any]

    def subquery(self) -> Subquery:
        return text(self.sql).bindparams(**self.params).columns(id=String()).subquery("search_hits")


def ordered_ids(
    session: Session,
    view: str,
    sort: Sort,
    me: str,
    now: datetime,
    only: Sequence[str] | FromClause | Hits | None = None,
) -> PackedIds:
    """Every conversation id of ``view`` in ``sort`` order (``only``: restrict to search hits,
    ids or a subquery with a distinct ``id`` column, joined by primary key), packed: a
    million ids are one bytes object, which the collector never walks."""
    if isinstance(only, Hits):
        sql = _search_sql(view, sort, me, only.sql)
        if sql is not None:
            # The statement made once per view, sort and hits query; run on the session's
            # connection (its snapshot) by the driver: building, compiling and reading 1,000
            # rows back through SQLAlchemy cost a sixth of a search (1 ms of 6 in CPU).
            dbapi: Any = session.connection().connection.dbapi_connection
            return PackedIds(r[0] for r in dbapi.execute(sql, dict(only.params)))
        only = only.subquery()
    if isinstance(only, FromClause):
        # From the hits, each conversation by its key: with the view's filter usable by an index,
        # SQLite walked Pending's, Snoozed's or Resolved's whole status index instead (in
        # "newest" order, to skip a sort), 35-40 ms at 250 k conversations against 2-7 ms.
        q = select(C.id).where(_by_no_index(view_filter(view, me, now)))
        return PackedIds(
            session.scalars(
                q.select_from(only.join(m.Conversation.__table__, C.id == only.c.id)).order_by(
                    *_order(sort)
                )
            )
        )
    q = select(C.id).where(view_filter(view, me, now))
    if only is not None:
        q = q.where(C.id.in_(list(only)))
    return PackedIds(session.scalars(q.order_by(*_order(sort))))


@lru_cache(maxsize=256)
def _search_sql(view: str, sort: Sort, me: str, hits: str) -> str | None:
    """``ordered_ids``'s statement over ``hits`` (the same SQLAlchemy makes, its constants
    written in), or None for a view whose filter holds more than text (SLA at risk: a time)."""
    if view == View.SLA_AT_RISK:
        return None
    # ``now`` is only read by SLA at risk's filter.
    where = _by_no_index(view_filter(view, me, datetime.min))
    order = _order(sort)
    if not all(_plain(b.value) for c in (where, *order) for b in _binds(c)):
        return None
    literal_binds = {"literal_binds": True}
    dialect = sqlite.dialect()
    return (
        f"SELECT conversations.id FROM ({hits}) AS search_hits"
        " JOIN conversations ON conversations.id = search_hits.id"
        f" WHERE {where.compile(dialect=dialect, compile_kwargs=literal_binds)}"
        " ORDER BY "
        + ", ".join(str(o.compile(dialect=dialect, compile_kwargs=literal_binds)) for o in order)
    )


def _plain(value: object) -> bool:
    """Whether SQLAlchemy writes ``value`` into SQL as SQLite reads it bound: text, a whole
    number, NULL, or a list of them (``IN``); a time is stored in SQLAlchemy's own format."""
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int)


def _binds(clause: Any) -> list[BindParameter[Any]]:
    return [e for e in iterate(clause) if isinstance(e, BindParameter)]


def _by_no_index(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """``clause`` with each conversation column as ``+column``: the same values (SQLite's
    unary plus; the comparisons here are of text with text), which no index can serve, so
    the query planner looks conversations up by the join's key only."""

    def plus(element: Any, **_kw: Any) -> Any:
        if isinstance(element, Column) and element.table is m.Conversation.__table__:
            return UnaryExpression(element, operator=operators.custom_op("+"), type_=element.type)
        return None

    return replacement_traverse(clause, {}, plus)


def mine(session: Session, me: str) -> dict[str, None]:
    """Ids of the active conversations assigned to ``me``, unordered: what "new for you"
    notices compare, without sorting the whole view. A dict of ids to None, not a set: one
    of only strings is never walked by the collector (a set of 300,000 ids is, 15 ms a pass,
    and kept between loads it is reached by every full collection)."""
    return dict.fromkeys(session.scalars(select(C.id).where(view_filter(View.MINE, me, utcnow()))))


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: str
    channel: str
    customer_name: str
    subject: str
    preview: str
    status: str
    priority: str
    assignee_id: str | None
    assignee_name: str | None
    waiting_since: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    last_message_at: datetime
    unread: bool
    tags: tuple[str, ...]

    @property
    def title(self) -> str:
        return self.subject or self.preview


def rows(session: Session, ids: Sequence[str]) -> dict[str, InboxRow]:
    """Row data for ``ids`` (one query), keyed by id; ids no longer in the cache are absent."""
    if not ids:
        return {}
    unread = and_(
        C.last_inbound_at.is_not(None),
        or_(read_marks.c.read_upto.is_(None), read_marks.c.read_upto < C.last_inbound_at),
    )
    q = (
        select(
            C.id,
            C.channel,
            CU.name,
            C.subject,
            C.preview,
            C.status,
            C.priority,
            C.assignee_id,
            U.display_name,
            C.waiting_since,
            C.first_response_due_at,
            C.resolution_due_at,
            C.first_response_at,
            C.last_message_at,
            case((unread, literal(True)), else_=literal(False)),
            C.tags,
        )
        .select_from(
            m.Conversation.__table__.outerjoin(m.Customer.__table__, CU.id == C.customer_id)
            .outerjoin(m.User.__table__, U.id == C.assignee_id)
            .outerjoin(read_marks, read_marks.c.conversation_id == C.id)
        )
        .where(C.id.in_(list(ids)), C.deleted_at.is_(None))
    )
    out: dict[str, InboxRow] = {}
    for r in session.execute(q):
        out[r[0]] = InboxRow(
            id=r[0],
            channel=r[1],
            customer_name=r[2] or "Unknown customer",
            subject=r[3] or "",
            preview=r[4] or "",
            status=r[5],
            priority=r[6],
            assignee_id=r[7],
            assignee_name=r[8],
            waiting_since=r[9],
            first_response_due_at=r[10],
            resolution_due_at=r[11],
            first_response_at=r[12],
            last_message_at=r[13],
            unread=bool(r[14]),
            tags=tuple(r[15] or ()),
        )
    return out


def assigned_to(session: Session, ids: Sequence[str], me: str) -> set[str]:
    """Of ``ids``, the active ones assigned to ``me`` (for "new conversation for you" notices)."""
    if not ids:
        return set()
    return set(
        session.scalars(
            select(C.id).where(C.id.in_(list(ids)), C.assignee_id == me, C.status.in_(ACTIVE))
        )
    )
