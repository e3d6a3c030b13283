"""The inbox totals the cache keeps by trigger (``sync.view_counts``) equal a count of each
view's conversations, whichever way the rows change."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from csdesk.app import inbox
from csdesk.app.inbox import ALL_VIEWS, Sort, View
from csdesk.protocol import Entity, MutationType
from csdesk.sync import LocalCache, Outbox, view_counts
from csdesk.sync import tables as t
from tests.sync.test_cache import ME, T0, conversation, page

NOW = T0 + timedelta(hours=1)
STATUSES = ["open", "pending", "snoozed", "resolved"]
CHANNELS = ["email", "chat", "sms", "carrier-pigeon"]  # the last: a channel this desk lacks
ASSIGNEES = [ME["id"], "u-bob", None]


def counted(cache: LocalCache) -> dict[str, int]:
    with cache.session() as s:
        return inbox.counts(s, ME["id"], NOW)


def listed(cache: LocalCache) -> dict[str, int]:
    """Each view's conversations as the list finds them: the reference."""
    with cache.session() as s:
        return {v: len(inbox.ordered_ids(s, v, Sort.NEWEST, ME["id"], NOW)) for v in ALL_VIEWS}


def some_conversation(rng: random.Random, ident: str) -> dict[str, Any]:
    def when() -> datetime | None:
        return rng.choice([None, NOW - timedelta(hours=1), NOW + timedelta(minutes=10),
                           NOW + timedelta(days=1)])  # fmt: skip

    return conversation(
        ident,
        status=rng.choice(STATUSES),
        channel=rng.choice(CHANNELS),
        assignee_id=rng.choice(ASSIGNEES),
        deleted_at=rng.choice([None, None, None, T0]),
        first_response_due_at=when(),
        resolution_due_at=when(),
        first_response_at=rng.choice([None, T0]),
    )


def random_page(rng: random.Random, n: int) -> Any:
    rows = [(Entity.CONVERSATION, f"c{k}", some_conversation(rng, f"c{k}")) for k in range(n)]
    return page(*rows, cursor=n)


def older_cache(path: Path, seed: int, *, index_too: bool = True) -> dict[str, int]:
    """A cache at ``path`` with 30 conversations as a release before the kept totals left
    it (no table, no triggers; ``index_too``: no due index either); its views' counts."""
    cache = LocalCache(path)
    cache.apply_page(random_page(random.Random(seed), 30))
    want = listed(cache)
    cache.close()
    db = sqlite3.connect(path)
    with db:
        for name in view_counts.DDL:
            db.execute(f"DROP {'TABLE' if name == view_counts.TABLE else 'TRIGGER'} {name}")
        if index_too:
            db.execute(f"DROP INDEX {view_counts.DUE_INDEX}")
    db.close()
    return want


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    c = LocalCache(tmp_path / "cache.sqlite")
    c.set_user(ME)
    return c


def test_the_kept_totals_follow_every_page_snapshot_and_reset(cache: LocalCache) -> None:
    rng = random.Random(7)
    ids = [f"c{n}" for n in range(40)]
    cursor = 0
    for step in range(60):
        # New rows, changed rows (every field the views read), deletions, in one page.
        changes = [
            (Entity.CONVERSATION, i, None if rng.random() < 0.15 else some_conversation(rng, i))
            for i in rng.sample(ids, rng.randint(1, 12))
        ]
        cursor += len(changes)
        cache.apply_page(page(*changes, cursor=cursor))
        if step % 10 == 9:
            i = rng.choice(ids)
            cursor += 1
            cache.apply_snapshot(Entity.CONVERSATION, i, cursor, some_conversation(rng, i))
        assert counted(cache) == listed(cache), f"step {step}"
    assert sum(listed(cache).values()) > 0  # the data reached every kind of view
    cache.reset()
    assert counted(cache) == dict.fromkeys(ALL_VIEWS, 0)


def two_conversations(cache: LocalCache, second_assignee: str) -> None:
    """c1 open and unassigned, c2 open and assigned to ``second_assignee``."""
    c2 = conversation("c2", assignee_id=second_assignee)
    rows = [(Entity.CONVERSATION, "c1", conversation("c1")), (Entity.CONVERSATION, "c2", c2)]
    cache.apply_page(page(*rows, cursor=2))


def test_the_agents_own_actions_move_the_totals_at_once(cache: LocalCache) -> None:
    two_conversations(cache, "u-bob")
    before = counted(cache)
    assert (before[View.MINE], before[View.UNASSIGNED]) == (0, 1)
    outbox = Outbox(cache)
    outbox.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": "c1"})
    after = counted(cache)
    assert (after[View.MINE], after[View.UNASSIGNED]) == (1, 0)
    outbox.enqueue(
        MutationType.CONVERSATION_STATUS, {"conversation_id": "c1", "status": "resolved"}
    )
    resolved = counted(cache)
    assert (resolved[View.MINE], resolved[View.RESOLVED], resolved[View.ALL_OPEN]) == (0, 1, 1)
    assert resolved == listed(cache)


def test_an_older_cache_gets_the_table_filled_and_a_changed_trigger_remade(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache.sqlite"
    want = older_cache(path, 3)
    reopened = LocalCache(path)
    assert counted(reopened) == want
    with reopened.session() as s:
        stored = s.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": view_counts.DUE_INDEX}
        )
    assert t.sql_words(stored) == t.sql_words(view_counts.DUE_INDEX_DDL)
    reopened.close()
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TRIGGER inbox_counts_insert")
        db.execute(
            "CREATE TRIGGER inbox_counts_insert AFTER INSERT ON conversations"
            " BEGIN UPDATE inbox_counts SET n = n + 100; END"
        )
        db.execute("UPDATE inbox_counts SET n = n + 5")
        db.execute(f"DROP INDEX {view_counts.DUE_INDEX}")
        db.execute(f"CREATE INDEX {view_counts.DUE_INDEX} ON conversations (status)")
    db.close()
    again = LocalCache(path)
    assert counted(again) == want
    again.apply_page(page((Entity.CONVERSATION, "new", conversation("new")), cursor=31))
    assert counted(again) == listed(again) != want
    with again.session() as s:
        stored = s.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": view_counts.DUE_INDEX}
        )
    assert t.sql_words(stored) == t.sql_words(view_counts.DUE_INDEX_DDL)


def plans(cache: LocalCache, run: Callable[[Session], object]) -> list[str]:
    """SQLite's plan of every statement ``run`` makes on a read session of ``cache``."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((sql, params))

    event.listen(cache.engine, "before_cursor_execute", record)
    try:
        with cache.session() as s:
            run(s)
    finally:
        event.remove(cache.engine, "before_cursor_execute", record)
    out = []
    with cache.session() as s:
        conn = s.connection()
        for sql, params in seen:
            if sql.lstrip().upper().startswith("SELECT"):
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                out.append(" / ".join(str(r[-1]) for r in rows))
    return out


@pytest.mark.parametrize("analyzed", [False, True], ids=["fresh", "analyzed"])
def test_sla_at_risk_is_an_index_range_and_no_other_view_walks_that_index(
    cache: LocalCache, analyzed: bool
) -> None:
    """The due index serves the at-risk count only: an index led by status took the other
    views' "newest first" walks, in due order, twice as slow when the two orders differ."""
    cache.apply_page(random_page(random.Random(5), 200))
    if analyzed:
        with cache.write() as s:
            s.execute(text("ANALYZE"))
    (count_plan,) = plans(cache, lambda s: s.scalar(inbox.at_risk_count(NOW)))
    assert f"USING INDEX {view_counts.DUE_INDEX} (<expr><?)" in count_plan, count_plan
    views = plans(
        cache,
        lambda s: [
            inbox.ordered_ids(s, v, sort, ME["id"], NOW) for v in ALL_VIEWS for sort in Sort
        ],
    )
    assert len(views) == len(ALL_VIEWS) * len(Sort)
    assert not [p for p in views if view_counts.DUE_INDEX in p]
    assert counted(cache)[View.SLA_AT_RISK] == listed(cache)[View.SLA_AT_RISK] > 0


def test_a_write_of_deleted_at_alone_and_an_empty_assignee(cache: LocalCache) -> None:
    two_conversations(cache, "")
    assert counted(cache) == listed(cache)
    assert counted(cache)[View.UNASSIGNED] == 1  # an id of '' is not "nobody"
    table = t.CACHE_TABLES[Entity.CONVERSATION]
    for deleted in (T0, None):
        with cache.write() as s:
            s.execute(update(table).where(table.c.id == "c1").values(deleted_at=deleted))
        assert counted(cache) == listed(cache)
    assert counted(cache)[View.ALL_OPEN] == 2


def test_reset_empties_the_totals_even_drifted_and_keeps_them_after(cache: LocalCache) -> None:
    cache.apply_page(random_page(random.Random(9), 30))
    with cache.write() as s:
        s.execute(text(f"UPDATE {view_counts.TABLE} SET n = n + 5"))
    cache.reset()
    assert counted(cache) == listed(cache) == dict.fromkeys(ALL_VIEWS, 0)
    cache.apply_page(random_page(random.Random(10), 30))
    assert counted(cache) == listed(cache) != dict.fromkeys(ALL_VIEWS, 0)


def test_a_rebuilt_cache_counts_from_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    cache = LocalCache(path)
    cache.apply_page(random_page(random.Random(11), 30))
    with cache.write() as s:
        t.set_state(s, "schema", "an older layout")
    cache.close()
    rebuilt = LocalCache(path)
    assert rebuilt.rebuilt
    assert counted(rebuilt) == dict.fromkeys(ALL_VIEWS, 0)
    rebuilt.apply_page(random_page(random.Random(12), 30))
    assert counted(rebuilt) == listed(rebuilt) != dict.fromkeys(ALL_VIEWS, 0)


def test_a_cache_that_cannot_keep_totals_opens_and_counts_by_a_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """As on a full disk: the opening transaction goes on without the totals or the index."""
    path = tmp_path / "cache.sqlite"
    older_cache(path, 13)
    monkeypatch.setattr(view_counts, "_FILL", "INSERT INTO no_such_table VALUES (1)")
    monkeypatch.setattr(view_counts, "DUE_INDEX_DDL", "CREATE INDEX x ON no_such_table (a)")
    with caplog.at_level(logging.WARNING, logger=view_counts.__name__):
        reopened = LocalCache(path)
    assert "inbox totals not kept" in caplog.text and view_counts.DUE_INDEX in caplog.text
    with reopened.session() as s:
        assert view_counts.kept(s) == view_counts.Kept(totals=False, due_index=False)
        names = set(s.scalars(text("SELECT name FROM sqlite_master")))
    assert not names & {*view_counts.DDL, view_counts.DUE_INDEX}
    assert counted(reopened) == listed(reopened) != dict.fromkeys(ALL_VIEWS, 0)
    reopened.apply_page(random_page(random.Random(14), 40))
    assert counted(reopened) == listed(reopened)


def test_definitions_another_release_left_are_not_trusted(cache: LocalCache) -> None:
    """Parts of the same names but other definitions (a newer release's, or ones an open
    could not replace): the totals come from a scan, and the at-risk count names no index
    that may not serve it (``INDEXED BY`` such an index is an error, not a slow query)."""
    cache.apply_page(random_page(random.Random(15), 40))
    want = listed(cache)
    with cache.write() as s:
        s.execute(text(f"DROP INDEX {view_counts.DUE_INDEX}"))
        s.execute(text(f"CREATE INDEX {view_counts.DUE_INDEX} ON conversations (channel)"))
        s.execute(text("DROP TRIGGER inbox_counts_update"))
        s.execute(
            text(
                "CREATE TRIGGER inbox_counts_update AFTER UPDATE OF status ON conversations"
                f" BEGIN UPDATE {view_counts.TABLE} SET n = n + 1; END"
            )
        )
        s.execute(text(f"UPDATE {view_counts.TABLE} SET n = n + 3"))
    with cache.session() as s:
        assert view_counts.kept(s) == view_counts.Kept(totals=False, due_index=False)
    assert counted(cache) == want


def test_a_disk_that_fills_at_the_commit_still_opens_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What ``keep`` builds reaches the disk at its transaction's commit (a disk full then
    fails the commit, not a statement): that transaction is the open's second, so the cache
    opens with what the first made and counts by a scan."""
    path = tmp_path / "cache.sqlite"
    older_cache(path, 16, index_too=False)
    real_keep = view_counts.keep

    def keep_then_full(s: Session) -> bool:
        built = real_keep(s)
        full = sqlite3.OperationalError("database or disk is full")
        assert built
        raise OperationalError("COMMIT", {}, full)  # as the commit after it would

    monkeypatch.setattr(view_counts, "keep", keep_then_full)
    with caplog.at_level(logging.WARNING, logger="csdesk.sync.cache"):
        reopened = LocalCache(path)
    assert "database or disk is full" in caplog.text
    with reopened.session() as s:
        assert not view_counts.kept(s).totals  # rolled back whole: no half-made totals
    assert counted(reopened) == listed(reopened) != dict.fromkeys(ALL_VIEWS, 0)
    reopened.apply_page(random_page(random.Random(17), 40))
    assert counted(reopened) == listed(reopened)
