"""The local cache, outbox and optimistic effects on their own (no server)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from csdesk.protocol import Change, Entity, MutationType, PullPage
from csdesk.storage import models as m
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, Outbox
from csdesk.sync import tables as t

ME = {"id": "u-ann", "display_name": "Ann", "username": "ann"}
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def customer(ident: str, **kw: Any) -> dict[str, Any]:
    row = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "name": "Carla", "email": "carla@x.test", "phone": None, "language": "en",
        "timezone": "UTC", "tags": [], "loyalty_tier": "none", "loyalty_points": 0,
        "notes": "", "merged_into_id": None,
    }  # fmt: skip
    return row_to_wire(Entity.CUSTOMER, {**row, **kw})


def conversation(ident: str, customer_id: str = "cust-1", **kw: Any) -> dict[str, Any]:
    row = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "customer_id": customer_id, "channel": "email", "subject": "Parcel", "preview": "Hi",
        "status": "open", "priority": "normal", "assignee_id": None, "team_id": None,
        "tags": ["vip"], "language": "en", "snoozed_until": None,
        "first_response_due_at": None, "resolution_due_at": None, "first_response_at": None,
        "resolved_at": None, "last_message_at": T0, "last_inbound_at": T0,
        "waiting_since": T0, "message_count": 3, "deleted_at": None,
    }  # fmt: skip
    return row_to_wire(Entity.CONVERSATION, {**row, **kw})


def page(
    *changes: tuple[Entity, str, dict[str, Any] | None], cursor: int, more: bool = False
) -> PullPage:
    out: list[Change] = [
        {"seq": cursor - len(changes) + n + 1, "entity": e.value, "id": i,
         "deleted": data is None, "data": data}
        for n, (e, i, data) in enumerate(changes)
    ]  # fmt: skip
    return {"changes": out, "cursor": cursor, "head": cursor + (10 if more else 0), "more": more}


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    c = LocalCache(tmp_path / "cache.sqlite")
    c.set_user(ME)
    return c


def row(cache: LocalCache, model: type[m.Base], ident: str) -> Any:
    with cache.session() as s:
        return s.get(model, ident)


def test_apply_page_upserts_deletes_and_stores_the_cursor(cache: LocalCache) -> None:
    # A child before its parent: the cache has no foreign keys to trip over.
    cs = cache.apply_page(
        page(
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            cursor=2,
        )
    )
    assert cs.ids(Entity.CONVERSATION) == {"c1"} and cs.ids(Entity.CUSTOMER) == {"cust-1"}
    conv = row(cache, m.Conversation, "c1")
    assert conv.tags == ["vip"] and conv.last_message_at == T0  # JSON and aware datetimes
    assert cache.cursor() == 2
    cache.apply_page(
        page((Entity.CONVERSATION, "c1", conversation("c1", status="resolved")), cursor=3)
    )
    assert row(cache, m.Conversation, "c1").status == "resolved"
    cache.apply_page(page((Entity.CONVERSATION, "c1", None), cursor=4))
    assert row(cache, m.Conversation, "c1") is None
    assert cache.cursor() == 4


def test_values_unique_on_the_server_may_collide_briefly(cache: LocalCache) -> None:
    # Two users with one username, as between two pages of a rename: the server guarantees
    # uniqueness, the cache must only mirror it.
    user = {"realm": "production", "created_at": T0.isoformat(), "updated_at": T0.isoformat(),
            "username": "sam", "display_name": "Sam", "role": "agent", "team_id": None,
            "active": True}  # fmt: skip
    cache.apply_page(
        page(
            (Entity.USER, "u1", {**user, "id": "u1"}),
            (Entity.USER, "u2", {**user, "id": "u2"}),
            cursor=2,
        )
    )
    with cache.session() as s:
        assert s.scalar(select(func.count()).select_from(m.User)) == 2


def test_a_failing_page_leaves_neither_rows_nor_cursor(cache: LocalCache) -> None:
    cache.apply_page(page((Entity.CUSTOMER, "cust-1", customer("cust-1")), cursor=1))
    bad = page(
        (Entity.CUSTOMER, "cust-2", customer("cust-2")),
        (
            Entity.CONVERSATION,
            "c1",
            {**conversation("c1"), "last_message_at": "2025-01-01T12:00:00"},
        ),
        cursor=3,
    )
    with pytest.raises(StatementError, match="naive datetime"):
        cache.apply_page(bad)  # fails after the customer row was written
    assert cache.cursor() == 1
    assert row(cache, m.Customer, "cust-2") is None


def test_unknown_entities_from_a_newer_server_are_skipped(cache: LocalCache) -> None:
    p = page((Entity.CUSTOMER, "cust-1", customer("cust-1")), cursor=2)
    p["changes"].append({"seq": 2, "entity": "hologram", "id": "h1", "deleted": False, "data": {}})
    cache.apply_page(p)
    assert cache.cursor() == 2 and row(cache, m.Customer, "cust-1") is not None


def reply(
    outbox: Outbox, conv: str = "c1", body: str = "Thanks!\nSecond line", **kw: Any
) -> tuple[str, str]:
    mid = str(uuid.uuid4())
    return outbox.enqueue(
        MutationType.MESSAGE_SEND,
        {"conversation_id": conv, "message_id": mid, "body_text": body, **kw},
    ), mid


def test_send_shows_at_once_and_survives_pulls_exactly_once(cache: LocalCache) -> None:
    cache.apply_page(page((Entity.CONVERSATION, "c1", conversation("c1")), cursor=1))
    outbox = Outbox(cache)
    mutation_id, mid = reply(outbox)
    conv = row(cache, m.Conversation, "c1")
    assert (conv.message_count, conv.preview, conv.waiting_since) == (4, "Thanks!", None)
    msg = row(cache, m.Message, mid)
    assert (msg.delivery_status, msg.author_name, msg.author_user_id) == ("pending", "Ann", "u-ann")
    # Someone else edits the conversation: the pending reply stays, counted once.
    for cursor in (2, 3):
        cache.apply_page(
            page((Entity.CONVERSATION, "c1", conversation("c1", priority="high")), cursor=cursor)
        )
        conv = row(cache, m.Conversation, "c1")
        assert (conv.priority, conv.message_count, conv.preview) == ("high", 4, "Thanks!")
    # The server applies it at seq 10; until the feed gets there the effect is still shown.
    outbox.mark_done({mutation_id: 10})
    assert outbox.counts().pending == 0
    assert row(cache, m.Conversation, "c1").message_count == 4
    # The feed brings the server's versions: nothing is counted twice.
    server_msg = row_to_wire(Entity.MESSAGE, {**msg.__dict__, "delivery_status": "queued"})
    server_conv = conversation("c1", priority="high", message_count=4, preview="Thanks!")
    cache.apply_page(
        page((Entity.MESSAGE, mid, server_msg), (Entity.CONVERSATION, "c1", server_conv), cursor=10)
    )
    assert row(cache, m.Conversation, "c1").message_count == 4
    assert row(cache, m.Message, mid).delivery_status == "queued"
    with cache.session() as s:
        assert s.scalar(select(func.count()).select_from(t.outbox)) == 0
        assert s.scalar(select(func.count()).select_from(t.shadow)) == 0


def test_a_reply_the_server_already_has_is_not_counted_twice(cache: LocalCache) -> None:
    # The push answer was lost, the pull brought the server's copy before the retry.
    cache.apply_page(page((Entity.CONVERSATION, "c1", conversation("c1")), cursor=1))
    outbox = Outbox(cache)
    _, mid = reply(outbox)
    msg = row(cache, m.Message, mid)
    server_msg = row_to_wire(Entity.MESSAGE, {**msg.__dict__, "delivery_status": "queued"})
    cache.apply_page(
        page(
            (Entity.MESSAGE, mid, server_msg),
            (Entity.CONVERSATION, "c1", conversation("c1", message_count=4)),
            cursor=5,
        )
    )
    assert row(cache, m.Conversation, "c1").message_count == 4
    assert outbox.counts().pending == 1  # still to be confirmed by the server


def test_rejection_reverts_to_server_truth_and_keeps_the_reason(cache: LocalCache) -> None:
    cache.apply_page(page((Entity.CONVERSATION, "c1", conversation("c1")), cursor=1))
    outbox = Outbox(cache)
    claim = outbox.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": "c1"})
    tags = outbox.enqueue(
        MutationType.CONVERSATION_TAGS, {"conversation_id": "c1", "add": ["late"]}
    )
    conv = row(cache, m.Conversation, "c1")
    assert (conv.assignee_id, conv.tags) == ("u-ann", ["vip", "late"])
    changes = outbox.mark_rejected(claim, {"code": "already_assigned", "message": "Bob has it."})
    assert changes.ids(Entity.CONVERSATION) == {"c1"}
    conv = row(cache, m.Conversation, "c1")
    assert (conv.assignee_id, conv.tags) == (None, ["vip", "late"])  # the tag edit stays
    (rejected,) = outbox.rejected()
    assert rejected.id == claim and rejected.reason == {
        "code": "already_assigned",
        "message": "Bob has it.",
    }
    assert outbox.counts().rejected == 1 and [e.id for e in outbox.pending()] == [tags]
    assert outbox.dismiss(claim) and outbox.counts().rejected == 0
    assert not outbox.dismiss(claim)


def test_every_effect_mirrors_the_server(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            cursor=2,
        )
    )
    outbox = Outbox(cache)
    later = (T0 + timedelta(days=1)).isoformat()
    outbox.enqueue(
        MutationType.CONVERSATION_ASSIGN,
        {"conversation_id": "c1", "assignee_id": "u-bob", "team_id": "t1"},
    )
    outbox.enqueue(
        MutationType.CONVERSATION_STATUS,
        {"conversation_id": "c1", "status": "snoozed", "snoozed_until": later},
    )
    outbox.enqueue(
        MutationType.CONVERSATION_PRIORITY, {"conversation_id": "c1", "priority": "urgent"}
    )
    outbox.enqueue(
        MutationType.CONVERSATION_TAGS,
        {"conversation_id": "c1", "add": [" refund ", ""], "remove": ["vip"]},
    )
    outbox.enqueue(
        MutationType.CUSTOMER_UPDATE,
        {"customer_id": "cust-1", "fields": {"notes": "calls at 9", "loyalty_points": 5}},
    )
    _, note = reply(outbox, body="internal", is_note=True)
    conv = row(cache, m.Conversation, "c1")
    assert (conv.assignee_id, conv.team_id, conv.status, conv.priority) == (
        "u-bob",
        "t1",
        "snoozed",
        "urgent",
    )
    assert conv.snoozed_until == T0 + timedelta(days=1) and conv.tags == ["refund"]
    assert (conv.message_count, conv.preview) == (4, "Hi")  # a note does not change the preview
    assert row(cache, m.Message, note).is_note
    cust = row(cache, m.Customer, "cust-1")
    assert (cust.notes, cust.loyalty_points, cust.name) == ("calls at 9", 5, "Carla")
    outbox.enqueue(
        MutationType.CONVERSATION_STATUS, {"conversation_id": "c1", "status": "resolved"}
    )
    conv = row(cache, m.Conversation, "c1")
    assert conv.snoozed_until is None and conv.resolved_at is not None
    outbox.enqueue(MutationType.CONVERSATION_DELETE, {"conversation_id": "c1"})
    assert row(cache, m.Conversation, "c1") is None


def test_enqueue_refuses_what_the_server_could_never_accept(cache: LocalCache) -> None:
    outbox = Outbox(cache)
    with pytest.raises(ValueError, match="unknown mutation type"):
        outbox.enqueue("conversation.teleport", {"conversation_id": "c1"})
    with pytest.raises(ValueError, match="body_text"):
        outbox.enqueue(MutationType.MESSAGE_SEND, {"conversation_id": "c1"})
    with pytest.raises(TypeError):
        outbox.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": "c1", "at": object()})
    assert outbox.counts().pending == 0


def test_outbox_keeps_order_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    first = LocalCache(path)
    first.set_user(ME)
    ids = [
        Outbox(first).enqueue(
            MutationType.CONVERSATION_PRIORITY, {"conversation_id": "c1", "priority": p}
        )
        for p in ("low", "high", "urgent")
    ]
    first.close()
    again = Outbox(LocalCache(path))
    assert [e.id for e in again.pending()] == ids
    assert [e.args["priority"] for e in again.pending(limit=2)] == ["low", "high"]
    # A batch is also bounded in bytes, but always holds at least one action.
    assert len(again.pending(max_bytes=10)) == 1


def _indexes(path: Path, table: str) -> dict[str, str]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        )
        return {name: sql or "" for name, sql in rows}
    finally:
        db.close()


def _plan(path: Path, sql: str) -> str:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return " ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    finally:
        db.close()


def _sql(path: Path, *statements: str) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def test_an_index_the_models_gained_is_built_in_place_without_a_new_sync(
    tmp_path: Path,
) -> None:
    """A cache from before ``merged_into_id`` was indexed (a million customers: a scan each
    time a record opened) gets the indexes when it opens, and keeps its rows and cursor: an
    index is not a column, so nothing is synced again. They are partial (the merged rows):
    the pickers' ``merged_into_id IS NULL`` keeps its scan instead of an index of nearly
    every row."""
    path = tmp_path / "cache.sqlite"
    cache = LocalCache(path)
    cache.apply_page(page((Entity.CUSTOMER, "cust-1", customer("cust-1")), cursor=7))
    cache.close()
    _sql(
        path, "DROP INDEX ix_customers_merged_into_id", "DROP INDEX ix_conversations_merged_into_id"
    )
    reopened = LocalCache(path)
    assert not reopened.rebuilt and reopened.cursor() == 7
    assert row(reopened, m.Customer, "cust-1") is not None
    reopened.close()
    for table in ("customers", "conversations"):
        assert f"ix_{table}_merged_into_id" in _indexes(path, table)
        plan = _plan(path, f"SELECT id FROM {table} WHERE merged_into_id = 'cust-1'")
        assert f"USING INDEX ix_{table}_merged_into_id" in plan, plan
    plan = _plan(path, "SELECT id FROM customers WHERE merged_into_id IS NULL")
    assert "merged_into_id" not in plan, plan


def test_an_index_of_another_shape_is_rebuilt_and_one_that_cannot_be_built_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An index of the same name with other columns (an older csdesk's) is replaced; an index
    whose table lacks the column is logged and skipped, and the cache opens all the same (an
    index makes reads faster: it is no reason to refuse the agent's cache). A cache that
    has them all is not touched on open."""
    import sqlalchemy as sa

    from csdesk.sync import cache as cache_module

    path = tmp_path / "cache.sqlite"
    LocalCache(path).close()
    fresh = _indexes(path, "customers")
    _sql(
        path,
        "DROP INDEX ix_customers_merged_into_id",
        "CREATE INDEX ix_customers_merged_into_id ON customers (realm)",
        "DROP INDEX ix_conversations_merged_into_id",
        "ALTER TABLE conversations RENAME COLUMN merged_into_id TO merged_elsewhere",
    )
    with caplog.at_level("WARNING", logger="csdesk.sync.cache"):
        opened = LocalCache(path)
    assert not opened.rebuilt
    assert _indexes(path, "customers") == fresh  # the model's shape again
    assert "ix_conversations_merged_into_id" not in _indexes(path, "conversations")
    assert "ix_conversations_merged_into_id not built" in caplog.text
    _sql(path, "ALTER TABLE conversations RENAME COLUMN merged_elsewhere TO merged_into_id")
    ddl: list[str] = []
    sa.event.listen(
        opened.engine,
        "before_cursor_execute",
        lambda *a: ddl.append(a[2]) if "INDEX" in a[2] else None,
    )
    with opened.write() as s:
        cache_module._keep_indexes(s)
        cache_module._keep_indexes(s)
    opened.close()
    assert [d.split("(")[0].strip() for d in ddl] == [
        "CREATE INDEX ix_conversations_merged_into_id ON conversations"
    ], ddl  # built once the column is back; nothing else, then nothing at all


def test_schema_change_rebuilds_the_cache_but_keeps_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    cache = LocalCache(path)
    cache.set_user(ME)
    cache.apply_page(
        page(
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            cursor=7,
        )
    )
    _, mid = reply(Outbox(cache))
    with cache.write() as s:
        t.set_state(s, "schema", "from-an-older-csdesk")
    cache.close()
    reopened = LocalCache(path)
    assert reopened.rebuilt
    assert reopened.cursor() == 0 and row(reopened, m.Customer, "cust-1") is None
    assert Outbox(reopened).counts().pending == 1
    assert row(reopened, m.Message, mid).delivery_status == "pending"  # still shown
    assert not LocalCache(path).rebuilt


def test_reset_forgets_entities_and_cursor_but_not_pending_actions(cache: LocalCache) -> None:
    cache.apply_page(page((Entity.CONVERSATION, "c1", conversation("c1")), cursor=9))
    outbox = Outbox(cache)
    acked = outbox.enqueue(
        MutationType.CONVERSATION_PRIORITY, {"conversation_id": "c1", "priority": "low"}
    )
    outbox.mark_done({acked: 12})
    pending, mid = reply(outbox)
    changes = cache.reset()
    assert changes.everything
    assert cache.cursor() == 0 and row(cache, m.Conversation, "c1") is None
    assert outbox.get(acked) is None and [e.id for e in outbox.pending()] == [pending]
    assert row(cache, m.Message, mid) is not None
