"""``/api/v1``: pull (long-poll), push, entity snapshot."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from csdesk.protocol import (
    API_PREFIX,
    DEFAULT_PAGE,
    MAX_PAGE,
    MAX_PUSH_BATCH,
    MAX_WAIT_SECONDS,
    Entity,
    MutationResult,
)
from csdesk.server.deps import CurrentUser, State, realm_of
from csdesk.server.errors import ApiError
from csdesk.server.feed.notifier import Hold
from csdesk.server.floor.presence import DeskSeen
from csdesk.server.qa.access import feed_audience
from csdesk.server.state import ServerState
from csdesk.server.sync.pull import (
    CursorAhead,
    Page,
    PageCache,
    PageReader,
    Reader,
    audiences_of,
    with_personal,
)
from csdesk.server.sync.push import push_many
from csdesk.storage import models as m

router = APIRouter(prefix=API_PREFIX, tags=["sync"])


class ChangeOut(BaseModel):
    seq: int
    entity: Entity
    id: str
    deleted: bool
    data: dict[str, Any] | None


class PageOut(BaseModel):
    changes: list[ChangeOut]
    cursor: int
    head: int
    more: bool


def _cache(request: Request) -> PageCache:
    cache: PageCache | None = getattr(request.app.state, "page_cache", None)
    if cache is None:
        cache = request.app.state.page_cache = PageCache()
    return cache


def _pages(request: Request, state: ServerState) -> PageReader:
    reader: PageReader | None = getattr(request.app.state, "page_reader", None)
    if reader is None:
        reader = request.app.state.page_reader = PageReader(
            state.engine, state.config.pull_row_cache_bytes
        )
    return reader


@router.get(
    "/changes",
    response_model=PageOut,
    responses={400: {"description": "cursor ahead of the server"}, 401: {}},
)
async def pull(
    request: Request,
    state: State,
    user: CurrentUser,
    after: Annotated[int, Query(ge=0, le=2**62, description="cursor of the last page")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0.0,
) -> Response:
    """Changes after ``after``; with ``wait`` > 0, waits (long-poll) until there are some."""
    realm = realm_of(user)
    also = feed_audience(user.role)  # e.g. quality reviews, for supervisors (docs/qa.md)
    desks: DeskSeen | None = getattr(request.app.state, "desks_seen", None)
    if desks is not None:
        desks.note(user.id)  # the pull is the desk's heartbeat (server.floor.presence)
    cache = _cache(request)
    pages = _pages(request, state)
    notifier = state.notifier

    async def fetch_page() -> Page:
        try:
            return await pages.read(after, limit, realm, also)
        except CursorAhead as exc:
            raise ApiError(
                400,
                "cursor_ahead",
                "cursor {cursor} is ahead of this server's feed (head {head}); "
                "the server's database was replaced: sync again from 0",
                {"head": exc.head},
                cursor=exc.cursor,
                head=exc.head,
            ) from None

    async def page_now() -> Page:
        if not state.auth.trusted:
            # PostgreSQL's listener is down (the database may be): what memory holds may be
            # stale, and an outage must answer 503, not an old page.
            shared = await fetch_page()
        else:
            reader = f"{realm}+{also}" if also else realm
            shared = await cache.get((after, limit, reader, notifier.head), fetch_page)
        # The user's own rows (personal canned responses and macros, their team's, and
        # tombstones of those they lost: docs/macros.md): read for this user alone, after the
        # shared page and up to its cursor; not at all when the page's read found no such
        # rows in its range.
        if not shared.personal:
            return shared
        mine = await pages.personal(after, shared.cursor, Reader(user.id, realm, also))
        return with_personal(shared, mine)

    page = await page_now()
    if page.count == 0 and wait > 0:
        deadline = asyncio.get_running_loop().time() + wait
        seen = page.head
        while page.count == 0:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or not await notifier.wait_past(seen, remaining):
                break
            # No is_disconnected() here: it costs a receive per wake-up, and a page written to
            # a socket that has gone away is simply dropped.
            page = await page_now()
            seen = max(seen, page.head)
    return Response(page.body, media_type="application/json")


class MutationIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=64)
    args: dict[str, Any]


class PushIn(BaseModel):
    mutations: list[MutationIn] = Field(max_length=MAX_PUSH_BATCH)


class ReasonOut(BaseModel):
    code: str
    message: str


class ResultOut(BaseModel):
    id: str
    status: str
    reason: ReasonOut | None = None
    seq: int | None = None
    original_status: str | None = None


class PushOut(BaseModel):
    results: list[ResultOut]


class AnswerFirst(Response):
    """A response that releases ``hold`` once it has been sent (or failed to be): the
    waiters the request's commits wake do not compete with the answer to the writer."""

    def __init__(self, content: bytes, hold: Hold) -> None:
        super().__init__(content, media_type="application/json")
        self.hold = hold

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.hold.release()


@router.post("/push", response_model=PushOut, responses={401: {}})
async def push(body: PushIn, state: State, user: CurrentUser) -> Response:
    """Apply mutations in order; each answers applied, duplicate (seen before) or rejected.

    The long-polls this push wakes are released once its answer has been sent."""
    hold = state.notifier.hold()
    mutations = [(mut.id, mut.type, mut.args) for mut in body.mutations]
    try:
        results: list[MutationResult] = await run_in_threadpool(
            hold.run, push_many, state.writes, user, mutations
        )
    except BaseException:
        hold.release()
        raise
    return AnswerFirst(orjson.dumps({"results": results}), hold)


class SnapshotOut(BaseModel):
    entity: Entity
    id: str
    seq: int
    deleted: bool
    data: dict[str, Any] | None


@router.get(
    "/entities/{entity}/{entity_id}", response_model=SnapshotOut, responses={401: {}, 404: {}}
)
def snapshot(entity: Entity, entity_id: str, state: State, user: CurrentUser) -> SnapshotOut:
    """The server's current state of one entity (a client re-reads it after a rejection)."""
    with state.reads() as s:
        row = s.execute(
            select(m.SyncChange).where(
                m.SyncChange.entity == entity.value, m.SyncChange.entity_id == entity_id
            )
        ).scalar_one_or_none()
        # One user's or one team's row (docs/macros.md): for that user, that team's members
        # and the leads.
        mine = audiences_of(s.connection(), Reader(user.id, realm_of(user)))
    if row is None or (
        row.realm is not None
        and row.realm not in (realm_of(user), feed_audience(user.role))
        and (row.audience is None or row.audience not in mine)
    ):
        raise ApiError(
            404,
            "not_found",
            "no {entity} with id {id}",
            entity=entity.value,
            id=repr(entity_id),
        )
    data = None if row.payload is None else orjson.loads(row.payload)
    return SnapshotOut(entity=entity, id=entity_id, seq=row.seq, deleted=row.deleted, data=data)
