"""The local search index: kept current inside the cache's writes, one version per entity,
built once at the end of an initial sync (issue 10, items 1 and 2)."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from csdesk.app import inbox
from csdesk.app.search import SearchIndex, match_expression, searchable
from csdesk.protocol import Entity, MutationType
from csdesk.storage.wire import row_to_wire, table_of
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import ME, T0, conversation, customer, page


def wire(entity: Entity, ident: str, **kw: Any) -> dict[str, Any]:
    """A wire row of ``entity`` with every column at its default (None without one)."""
    row: dict[str, Any] = {}
    for col in table_of(entity).columns:
        scalar = col.default if isinstance(col.default, ScalarElementColumnDefault) else None
        default = scalar.arg if scalar is not None else None
        row[col.name] = default
    row.update(id=ident, created_at=T0, updated_at=T0, **kw)
    return row_to_wire(entity, row)


def message(ident: str, conv: str, body: str) -> dict[str, Any]:
    return wire(
        Entity.MESSAGE, ident, conversation_id=conv, channel="email", direction="in",
        body_text=body, attachments=[],
    )  # fmt: skip


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    c = LocalCache(tmp_path / "cache.sqlite")
    c.set_user(ME)
    return c


def counts(cache: LocalCache) -> tuple[int, int]:
    with cache.session() as s:
        fts = s.scalar(text("SELECT count(*) FROM search_fts"))
        refs = s.scalar(text("SELECT count(*) FROM search_refs"))
    return int(fts or 0), int(refs or 0)


def seeded(cache: LocalCache) -> SearchIndex:
    index = SearchIndex(cache)
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cust-1", customer("cust-1", name="Carla Oldname")),
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (
                Entity.CONVERSATION,
                "c2",
                conversation("c2", customer_id="cust-2", status="resolved"),
            ),
            (Entity.MESSAGE, "m2", message("m2", "c2", "the blender arrived broken")),
            cursor=3,
        )
    )
    return index


def test_a_customer_edited_twice_is_found_by_its_latest_text_only(cache: LocalCache) -> None:
    index = seeded(cache)
    assert index.conversation_ids("Oldname") == ["c1"]
    for cursor, name in ((4, "Carla Middlename"), (5, "Carla Newname")):
        cache.apply_page(
            page((Entity.CUSTOMER, "cust-1", customer("cust-1", name=name)), cursor=cursor)
        )
    assert index.conversation_ids("Newname") == ["c1"]
    assert index.conversation_ids("Middlename") == []
    assert index.conversation_ids("Oldname") == []
    # One index row per indexed entity: the customer and the message.
    assert counts(cache) == (2, 2)


def test_an_agents_own_edit_and_reply_are_searchable_at_once(cache: LocalCache) -> None:
    index = seeded(cache)
    outbox = Outbox(cache)
    outbox.enqueue(
        MutationType.CUSTOMER_UPDATE,
        {"customer_id": "cust-1", "fields": {"name": "Carla Localname"}},
    )
    mid = str(uuid.uuid4())
    mutation = outbox.enqueue(
        MutationType.MESSAGE_SEND,
        {"conversation_id": "c1", "message_id": mid, "body_text": "your zebrafish shipped"},
    )
    assert index.conversation_ids("Localname") == ["c1"]
    assert index.conversation_ids("Oldname") == []
    assert index.conversation_ids("zebrafish") == ["c1"]
    # The server refuses the reply: it is gone from the cache and from the index.
    outbox.mark_rejected(mutation, {"code": "forbidden", "message": "no"})
    assert index.conversation_ids("zebrafish") == []
    assert counts(cache) == (2, 2)


def test_a_deleted_identity_leaves_its_customers_text(cache: LocalCache) -> None:
    index = seeded(cache)
    ident = wire(
        Entity.IDENTITY, "id-1", customer_id="cust-1", kind="email", value="carla@work.example"
    )
    cache.apply_page(page((Entity.IDENTITY, "id-1", ident), cursor=4))
    assert index.conversation_ids("carla@work.example") == ["c1"]
    cache.apply_page(page((Entity.IDENTITY, "id-1", None), cursor=5))
    assert index.conversation_ids("carla@work.example") == []
    assert index.conversation_ids("Oldname") == ["c1"]


def test_an_initial_sync_builds_the_index_once_at_its_end(cache: LocalCache) -> None:
    index = SearchIndex(cache)
    statements: list[str] = []

    def seen(_c: Connection, _cur: Any, sql: str, *_a: Any) -> None:
        statements.append(sql)

    event.listen(cache.engine, "before_cursor_execute", seen)
    cache.apply_page(page((Entity.CUSTOMER, "cust-1", customer("cust-1")), cursor=1, more=True))
    cache.apply_page(page((Entity.CONVERSATION, "c1", conversation("c1")), cursor=2, more=True))
    assert index.pending()
    assert index.conversation_ids("Carla") == []  # nothing is indexed yet
    assert not [q for q in statements if "INSERT INTO search_fts" in q]
    cache.apply_page(page((Entity.MESSAGE, "m1", message("m1", "c1", "kettle")), cursor=3))
    event.remove(cache.engine, "before_cursor_execute", seen)
    assert not index.pending()
    assert index.conversation_ids("Carla") == ["c1"]
    assert index.conversation_ids("kettle") == ["c1"]
    # One set-based statement per kind (messages, customers, orders, knowledge-base articles),
    # none per row.
    assert len([q for q in statements if "INSERT INTO search_fts" in q]) == 4
    # Pulled pages commit with synchronous=NORMAL; the agent's own actions stay FULL.
    assert "PRAGMA synchronous=NORMAL" in statements
    statements.clear()
    event.listen(cache.engine, "before_cursor_execute", seen)
    Outbox(cache).enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": "c1"})
    event.remove(cache.engine, "before_cursor_execute", seen)
    assert "PRAGMA synchronous=FULL" in statements


def test_reset_empties_the_index_until_the_next_sync_ends(cache: LocalCache) -> None:
    index = seeded(cache)
    cache.reset()
    assert counts(cache) == (0, 0)
    assert index.conversation_ids("blender") == []
    cache.apply_page(page((Entity.MESSAGE, "m2", message("m2", "c2", "blender")), cursor=9))
    assert index.conversation_ids("blender") == ["c2"]


def test_an_index_of_the_old_layout_is_rebuilt_on_open(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache.sqlite")
    seeded(cache)
    with cache.write() as s:  # the layout that stored RETURNING rowid (always -1)
        s.execute(text("DROP TABLE search_fts"))
        s.execute(text("DROP TABLE search_refs"))
        s.execute(text("DELETE FROM sync_state WHERE key = 'search_layout'"))
        s.execute(
            text(
                "CREATE VIRTUAL TABLE search_fts USING fts5("
                "body, conversation_id UNINDEXED, customer_id UNINDEXED, ref UNINDEXED)"
            )
        )
        s.execute(text("CREATE TABLE search_refs (ref TEXT PRIMARY KEY, fts_rowid INTEGER)"))
        s.execute(text("INSERT INTO search_refs VALUES ('c:cust-1', -1)"))
    cache.close()
    cache = LocalCache(tmp_path / "cache.sqlite")
    index = SearchIndex(cache)
    assert index.wait_ready(60)  # rebuilt on a worker thread
    assert index.conversation_ids("blender") == ["c2"]
    assert index.conversation_ids("Oldname") == ["c1"]
    assert counts(cache) == (2, 2)


def test_one_character_is_not_searched() -> None:
    assert not searchable("r")
    assert not searchable("  r. ")
    assert match_expression("r") is None
    assert searchable("re")
    assert match_expression("re") == '"re"*'
    assert not searchable("a b")
    # A last word of one letter waits for its second; one in the middle is a whole word.
    assert match_expression('ab "c') == '"ab"*'
    assert match_expression("a bc") == '"a" "bc"*'


def test_ordered_ids_joins_the_hits_and_keeps_the_view(cache: LocalCache) -> None:
    index = seeded(cache)
    cache.apply_page(page((Entity.MESSAGE, "m1", message("m1", "c1", "blender again")), cursor=4))
    now = datetime(2025, 1, 2, tzinfo=UTC)
    hits = index.hits("blender")
    assert hits is not None
    with cache.session() as s:
        everywhere = inbox.ordered_ids(s, inbox.View.EVERYWHERE, inbox.Sort.NEWEST, "u", now, hits)
        open_ = inbox.ordered_ids(s, inbox.View.ALL_OPEN, inbox.Sort.NEWEST, "u", now, hits)
        by_list = inbox.ordered_ids(s, inbox.View.ALL_OPEN, inbox.Sort.NEWEST, "u", now, ["c2"])
    assert sorted(everywhere) == ["c1", "c2"]
    assert open_ == ["c1"]  # c2 is resolved
    assert by_list == []


def test_a_whole_word_that_fills_the_cap_is_not_widened_to_its_prefix(cache: LocalCache) -> None:
    index = seeded(cache)
    cache.apply_page(
        page(
            (Entity.MESSAGE, "m1", message("m1", "c1", "one kettle")),
            (Entity.MESSAGE, "m3", message("m3", "c2", "two kettles")),
            cursor=4,
        )
    )
    assert sorted(index.conversation_ids("kett") or []) == ["c1", "c2"]
    assert sorted(index.conversation_ids("kettle") or []) == ["c1", "c2"]
    # At most one hit: the newest whole-word hit, not the newer "kettles".
    assert index.conversation_ids("kettle", limit=1) == ["c1"]
    assert index.conversation_ids("kett", limit=1) == ["c2"]


def test_the_inbox_ignores_a_one_letter_query_and_finds_nothing_while_pending(
    cache: LocalCache,
) -> None:
    from csdesk.app.workstation import Me, Workstation
    from csdesk.sync import SyncApi, SyncEngine

    ws = Workstation(SyncEngine(cache, SyncApi("http://127.0.0.1:9")), Me("u", "u", "U", "agent"))
    cache.apply_page(
        page(
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (Entity.CONVERSATION, "c2", conversation("c2", subject="Other")),
            (Entity.MESSAGE, "m2", message("m2", "c2", "blender")),
            cursor=3,
            more=True,
        )
    )
    assert ws.search_index.pending()
    assert ws.ordered_ids(inbox.View.EVERYWHERE, inbox.Sort.NEWEST, "blender") == []
    cache.apply_page(page(cursor=4))
    assert ws.ordered_ids(inbox.View.EVERYWHERE, inbox.Sort.NEWEST, "blender") == ["c2"]
    everything = ws.ordered_ids(inbox.View.ALL_OPEN, inbox.Sort.NEWEST)
    assert sorted(everything) == ["c1", "c2"]
    assert ws.ordered_ids(inbox.View.ALL_OPEN, inbox.Sort.NEWEST, "b") == everything


def test_an_old_layout_is_rebuilt_on_a_worker_and_search_is_pending_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10: the Workstation (so its SearchIndex) is built on the GUI thread; a rebuild of
    an old-layout index (seconds at 300 k rows) must not run there."""
    cache = LocalCache(tmp_path / "cache.sqlite")
    seeded(cache)
    with cache.write() as s:
        s.execute(text("UPDATE sync_state SET value = '2' WHERE key = 'search_layout'"))
    cache.close()
    cache = LocalCache(tmp_path / "cache.sqlite")
    opened_on: list[threading.Thread] = []
    gate = threading.Event()
    real_open = SearchIndex._open

    def slow_open(self: SearchIndex, s: Any) -> None:
        opened_on.append(threading.current_thread())
        gate.wait(60)
        real_open(self, s)

    monkeypatch.setattr(SearchIndex, "_open", slow_open)
    ready: list[bool] = []
    index = SearchIndex(cache, on_ready=lambda: ready.append(True))
    # The constructor returned while the rebuild waits: pending, nothing found, no error.
    assert index.pending() and index.conversation_ids("blender") == []
    assert not ready
    gate.set()
    assert index.wait_ready(60)
    assert opened_on and threading.main_thread() not in opened_on
    assert ready == [True]
    assert index.conversation_ids("blender") == ["c2"]
    assert not index.pending()
    cache.apply_page(
        page((Entity.MESSAGE, "m9", message("m9", "c1", "a toaster, not a blender")), cursor=9)
    )
    assert sorted(index.conversation_ids("toaster") or []) == ["c1"]


HOSTILE = [
    '"', 'bl"ender', "NEAR(blender arrived)", "blender*", "^blender", "body:blender",
    "blender AND OR NOT", "(((blender", "blender)", "ble\x00nder", "ble\ud800nder", "\ud800",
    "😀 blender", "__", "@@", "++", "-- ..", "'; DROP TABLE search_fts; --", "x" * 100_000,
    " ".join(["blender"] * 2_000), "blénder", "ble\u0301nder", "\\", "{}", "[a]", "*", "^",
]  # fmt: skip


def test_hostile_queries_never_raise_and_never_end_on_a_one_letter_prefix(
    cache: LocalCache,
) -> None:
    index = seeded(cache)
    cache.apply_page(
        page(
            (
                Entity.MESSAGE,
                "m5",
                message("m5", "c1", "write to e-mail carla@example.com SO-1234"),
            ),
            cursor=5,
        )
    )
    for query in [*HOSTILE, "_a_", "a_b_c", "x.y", "ab-c", "blender x.y", "e-m"]:
        expr = match_expression(query)
        if expr is not None:
            last = expr.rsplit('"', 2)[-2].split()[-1]  # the last token of the last phrase
            assert expr.endswith("*") and len(last) >= 2, (query, expr)
        index.conversation_ids(query)  # must not raise
    for query in ("_a_", "a_b_c", "x.y", "e-m"):
        assert not searchable(query), query
    assert index.conversation_ids('bl"ender') == []
    assert index.conversation_ids("NEAR(blender arrived)") == []
    for query in ("blender*", "^blender", "(((blender", "blender)", "😀 blender", "blénder"):
        assert index.conversation_ids(query) == ["c2"], query
    for query in ("e-mail", "carla@example.com", "example.co", "SO-1234", "so-12"):
        assert index.conversation_ids(query) == ["c1"], query


def test_a_row_with_a_missing_field_is_still_found_by_its_other_text(cache: LocalCache) -> None:
    """The cache's columns are nullable: a field a server did not send must not make the
    whole indexed text NULL."""
    index = seeded(cache)
    msg = message("m7", "c1", "the kettle whistles")
    del msg["subject"]
    cust = customer("cust-1", name="Carla Oldname", email="kettle@x.test")
    del cust["name"]
    order = wire(Entity.ORDER, "o7", customer_id="cust-1", number="SO-4242")
    del order["number"]
    shipment = wire(Entity.SHIPMENT, "s7", order_id="o7", tracking_number="TRK4242")
    cache.apply_page(
        page(
            (Entity.MESSAGE, "m7", msg),
            (Entity.CUSTOMER, "cust-1", cust),
            (Entity.ORDER, "o7", order),
            (Entity.SHIPMENT, "s7", shipment),
            cursor=9,
        )
    )
    assert index.conversation_ids("whistles") == ["c1"]
    assert index.conversation_ids("kettle@x.test") == ["c1"]
    assert index.conversation_ids("TRK4242") == ["c1"]


def test_a_narrow_view_finds_matches_older_than_the_hit_cap(cache: LocalCache) -> None:
    """The cap cuts index hits before the view filters them: the newest two matches are in a
    resolved conversation, the only open one's match is older; All open still finds it."""
    index = seeded(cache)
    index.max_hits = 2
    cache.apply_page(
        page(
            (Entity.MESSAGE, "m1", message("m1", "c1", "kettle broke")),
            (Entity.MESSAGE, "m3", message("m3", "c2", "kettle again")),
            (Entity.MESSAGE, "m4", message("m4", "c2", "kettle still")),
            cursor=4,
        )
    )
    now = datetime(2025, 1, 2, tzinfo=UTC)
    with cache.session() as s:
        capped = index.hits("kettle", session=s)
        assert capped is not None
        first = inbox.ordered_ids(s, inbox.View.ALL_OPEN, inbox.Sort.NEWEST, "u", now, capped)
        found = index.search(
            s,
            "kettle",
            lambda hits: inbox.ordered_ids(
                s, inbox.View.ALL_OPEN, inbox.Sort.NEWEST, "u", now, hits
            ),
        )
    assert first == []  # the cap alone loses it
    assert found == ["c1"]


def kettles(cache: LocalCache, index: SearchIndex) -> None:
    """Four conversations (c1, c3 and c4 open, c2 resolved; c3 mine) with one "kettle"
    message each, indexed one page at a time so the newest hit is c2's, then c4's, c3's, c1's."""
    cache.apply_page(
        page(
            (Entity.CONVERSATION, "c3", conversation("c3", assignee_id=ME["id"])),
            (Entity.CONVERSATION, "c4", conversation("c4")),
            cursor=4,
        )
    )
    for n, (msg, conv) in enumerate((("m1", "c1"), ("m3", "c3"), ("m4", "c4"), ("m5", "c2"))):
        cache.apply_page(page((Entity.MESSAGE, msg, message(msg, conv, "kettle")), cursor=5 + n))


def searched(cache: LocalCache, index: SearchIndex, view: str) -> list[str]:
    now = datetime(2025, 1, 2, tzinfo=UTC)
    with cache.session() as s:
        return sorted(
            index.search(
                s,
                "kettle",
                lambda hits: inbox.ordered_ids(s, view, inbox.Sort.NEWEST, ME["id"], now, hits),
            )
        )


def test_a_broad_view_shows_the_newest_capped_hits_without_a_wider_search(
    cache: LocalCache,
) -> None:
    """A view that keeps ``widen_below`` rows of the capped hits is not searched again: it
    shows what the newest ``max_hits`` index hits hold, even when older matches exist."""
    index = seeded(cache)
    kettles(cache, index)
    index.max_hits = 3
    index.widen_below = 2
    assert searched(cache, index, inbox.View.EVERYWHERE) == ["c2", "c3", "c4"]  # not c1
    assert searched(cache, index, inbox.View.ALL_OPEN) == ["c3", "c4"]  # c1 is older
    index.widen_below = 3  # All open now keeps too few: it looks further back
    assert searched(cache, index, inbox.View.ALL_OPEN) == ["c1", "c3", "c4"]


def test_a_narrow_view_keeps_finding_rows_when_the_cap_cuts(cache: LocalCache) -> None:
    """Mine keeps none of the newest hits, then fewer than ``widen_below``: it searches
    further back and finds its own older match; a broad view is not widened by it."""
    index = seeded(cache)
    kettles(cache, index)
    index.max_hits = 1  # the newest hit only: c2's, resolved
    assert searched(cache, index, inbox.View.MINE) == ["c3"]
    assert searched(cache, index, inbox.View.EVERYWHERE) == ["c2"]
    index.wide_hits = 2  # c3's hit is the third newest: beyond the wider cap too
    assert searched(cache, index, inbox.View.MINE) == []


def test_the_wider_search_keeps_the_whole_word_the_first_one_chose(cache: LocalCache) -> None:
    """The whole word "kettle" fills the cap: neither the check that the cap cut the hits nor
    the wider search asks FTS for its prefix (which would gather every "kettle…" hit)."""
    index = seeded(cache)
    kettles(cache, index)
    index.max_hits = 1
    run: list[str] = []

    # What SQLite itself runs, parameters written in: a search's main statement goes to the
    # driver directly (``inbox.ordered_ids``), past SQLAlchemy's events.
    def traced(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        dbapi_conn.set_trace_callback(run.append)

    event.listen(cache.engine, "checkout", traced)
    try:
        assert searched(cache, index, inbox.View.MINE) == ["c3"]
    finally:
        event.remove(cache.engine, "checkout", traced)
    asked = re.findall(r"MATCH '([^']*kettle[^']*)'", "\n".join(run))
    assert len(asked) == 4  # is the whole word enough; first pass; did the cap cut; wider
    assert set(asked) == {'"kettle"'}
