"""A page of the change feed is assembled by the database: the JSON must be exactly what the
rows say, whatever characters the ids and payloads hold, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import delete

from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.server.sync.pull import CursorAhead, PageReader, RowCache, read_page, read_personal
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from csdesk.storage.wire import PERSONAL_FEED

IDS = ["plain", 'quote"and\\slash', "tab\tnewline\n", "é€ 😀", "</script>", "x" * 33]


def test_pages_are_the_rows_as_json(db_url: str, tmp_path: Path) -> None:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, data_dir=tmp_path))
    try:
        upgrade(state.engine)
        rows = []
        for n, ident in enumerate(IDS * 2, start=1):
            realm = None if n % 3 == 0 else ("training" if n % 3 == 1 else "production")
            deleted = n % 4 == 0
            payload = None if deleted else {"id": ident, "n": n, "text": f"{ident} «{n}»"}
            rows.append(
                m.SyncChange(
                    seq=n,
                    entity="customer",
                    entity_id=f"{n}-{ident}"[:36],
                    realm=realm,
                    deleted=deleted,
                    payload=None if payload is None else orjson.dumps(payload).decode(),
                )
            )
        with state.writes() as s:
            ensure_counter(s)
            s.get_one(m.SyncCounter, 1).value = len(rows)
            s.add_all(rows)
            s.commit()

        def expected(after: int, limit: int, realm: str) -> dict[str, object]:
            seen = [r for r in rows if r.seq > after and r.realm in (None, realm)]
            more = len(seen) > limit
            seen = seen[:limit]
            return {
                "changes": [
                    {
                        "seq": r.seq,
                        "entity": r.entity,
                        "id": r.entity_id,
                        "deleted": r.deleted,
                        "data": None if r.payload is None else orjson.loads(r.payload),
                    }
                    for r in seen
                ],
                "cursor": seen[-1].seq if more else len(rows),
                "head": len(rows),
                "more": more,
            }

        cases = [(0, 500, "production"), (0, 3, "training"), (5, 2, "production")]
        cases += [(12, 5, "production"), (2, 4, "production"), (0, 500, "training")]
        cache = RowCache()
        for after, limit, realm in cases * 2:  # the second time rows come from the cache
            want = expected(after, limit, realm)
            for row_cache in (None, cache):
                with state.reads() as s:
                    page = read_page(s, after, limit, realm, row_cache)
                assert orjson.loads(page.body) == want
                assert page.count == len(want["changes"])  # type: ignore[arg-type]
        with state.reads() as s, pytest.raises(CursorAhead):
            read_page(s, 13, 5, "production")
        import asyncio

        reader = PageReader(state.engine)
        page = asyncio.run(reader.read(0, 4, "training"))
        assert orjson.loads(page.body) == expected(0, 4, "training")
    finally:
        state.engine.dispose()


def test_the_row_cache_stays_within_its_bytes() -> None:
    cache = RowCache(max_bytes=100)

    def kept(seqs: list[int]) -> list[int]:
        return [seq for seq, body in zip(seqs, cache.get("production", seqs), strict=True) if body]

    cache.put("production", {n: b"x" * 30 for n in range(1, 6)})
    assert kept(list(range(1, 6))) == [3, 4, 5]  # the oldest went first
    kept([3])  # used: kept over 4 and 5
    cache.put("production", {6: b"y" * 30})
    assert kept(list(range(1, 7))) == [3, 5, 6]
    assert cache.get("training", [3, 5, 6]) == [None, None, None]  # per realm


def test_a_row_cached_for_one_realm_never_reaches_another(db_url: str, tmp_path: Path) -> None:
    """Should a seq ever name other content (the database re-created or restored under a
    running server takes the counter back), a production row kept by the row cache must not
    be handed to a trainee reading that seq in the training realm."""
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, data_dir=tmp_path))
    try:
        upgrade(state.engine)

        def only_row(realm: str, text: str) -> None:
            with state.writes() as s:
                ensure_counter(s)
                s.execute(delete(m.SyncChange))
                s.get_one(m.SyncCounter, 1).value = 1
                payload = orjson.dumps({"text": text}).decode()
                s.add(
                    m.SyncChange(
                        seq=1,
                        entity="customer",
                        entity_id="c1",
                        realm=realm,
                        deleted=False,
                        payload=payload,
                    )
                )
                s.commit()

        cache = RowCache()
        only_row("production", "production secret")
        with state.engine.connect() as conn:
            page = read_page(conn, 0, 10, "production", cache)
        assert b"production secret" in page.body
        only_row("training", "sandbox")
        with state.engine.connect() as conn:
            page = read_page(conn, 0, 10, "training", cache)
        assert b"production secret" not in page.body
        assert [c["data"] for c in orjson.loads(page.body)["changes"]] == [{"text": "sandbox"}]
    finally:
        state.engine.dispose()


def test_a_page_says_whether_single_readers_rows_lie_in_its_range(
    db_url: str, tmp_path: Path
) -> None:
    """A page whose range holds no row with an audience and no revocation says so, and the
    pull then skips the per-user read: it must never say so of a range that holds one (the
    rows of that reader would be lost), and must say so of the ranges that hold none (or
    the skip never happens)."""
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, data_dir=tmp_path))
    try:
        upgrade(state.engine)
        with state.writes() as s:
            ensure_counter(s)
            s.get_one(m.SyncCounter, 1).value = 30
            for n in range(1, 31):
                mine = n == 10  # one user's own row (a personal macro, a mention)
                s.add(
                    m.SyncChange(
                        seq=n,
                        entity="customer",
                        entity_id=f"c{n}",
                        realm=PERSONAL_FEED if mine else "production",
                        deleted=False,
                        payload=orjson.dumps({"n": n}).decode(),
                        audience="u1" if mine else None,
                    )
                )
            s.add(m.SyncRevocation(entity="customer", entity_id="c20", lost="u1", seq=20))
            s.commit()
        with state.engine.connect() as conn:
            # (after, limit): whether the page's range holds u1's row (10) or the revocation (20)
            cases = {(0, 5): False, (5, 10): True, (12, 5): False, (17, 5): True, (30, 5): False}
            for (after, limit), holds in cases.items():
                page = read_page(conn, after, limit, "production")
                assert page.personal is holds, (after, limit)
                if not page.personal:
                    assert read_personal(conn, after, page.cursor, "u1") == []
            # The flag never hides a row, at any cursor and page size.
            for after in range(31):
                for limit in (1, 2, 3, 7):
                    page = read_page(conn, after, limit, "production")
                    if not page.personal:
                        assert read_personal(conn, after, page.cursor, "u1") == []
                        assert not (after < 10 <= page.cursor or after < 20 <= page.cursor)
    finally:
        state.engine.dispose()
