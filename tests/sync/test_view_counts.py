"""The inbox totals the cache keeps by trigger (``sync.view_counts``) equal a count of each
view's conversations, whichever way the rows change."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csdesk.app import inbox
from csdesk.app.inbox import ALL_VIEWS, Sort, View
from csdesk.protocol import Entity, MutationType
from csdesk.sync import LocalCache, Outbox, view_counts
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


def test_the_agents_own_actions_move_the_totals_at_once(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (Entity.CONVERSATION, "c2", conversation("c2", assignee_id="u-bob")),
            cursor=2,
        )
    )
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
    cache = LocalCache(path)
    rng = random.Random(3)
    cache.apply_page(random_page(rng, 30))
    want = listed(cache)
    cache.close()
    db = sqlite3.connect(path)
    with db:  # a cache from before the kept totals, then one whose trigger counts wrong
        for name in view_counts.DDL:
            kind = "TABLE" if name == view_counts.TABLE else "TRIGGER"
            db.execute(f"DROP {kind} {name}")
        db.execute(f"DROP INDEX {view_counts.DUE_INDEX}")
    db.close()
    reopened = LocalCache(path)
    assert counted(reopened) == want
    reopened.close()
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TRIGGER inbox_counts_insert")
        db.execute(
            "CREATE TRIGGER inbox_counts_insert AFTER INSERT ON conversations"
            " BEGIN UPDATE inbox_counts SET n = n + 100; END"
        )
        db.execute("UPDATE inbox_counts SET n = n + 5")
    db.close()
    again = LocalCache(path)
    assert counted(again) == want
    again.apply_page(page((Entity.CONVERSATION, "new", conversation("new")), cursor=31))
    assert counted(again) == listed(again) != want


def test_sla_at_risk_is_counted_on_its_index_in_a_fresh_cache(cache: LocalCache) -> None:
    """No ``ANALYZE`` yet: the count must still be a range of the due index, not a scan."""
    rng = random.Random(5)
    cache.apply_page(random_page(rng, 50))
    with cache.session() as s:
        query = select(func.count()).where(inbox.view_filter(View.SLA_AT_RISK, ME["id"], NOW))
        compiled = query.compile(
            dialect=s.get_bind().dialect, compile_kwargs={"render_postcompile": True}
        )
        # The plan is made when the statement is prepared: the values do not matter to it.
        nulls = (None,) * len(compiled.positiontup or ())
        plan = " ".join(
            str(r[-1])
            for r in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", nulls)
        )
    assert f"USING INDEX {view_counts.DUE_INDEX} (status=? AND <expr><?)" in plan, plan
    assert counted(cache)[View.SLA_AT_RISK] == listed(cache)[View.SLA_AT_RISK] > 0
