"""Snoozes wake on time, on the server: back to open through the change feed, with an audit
entry, exactly once even with several server processes on one PostgreSQL (issue 9, item 27).
The wake interval is short here (CSDESK_SNOOZE_WAKE_SECONDS); tests wait on the feed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.domain.enums import ConversationStatus, Role
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.server.sync.snooze import WAKE_ACTION
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

WAKE_ENV = "CSDESK_SNOOZE_WAKE_SECONDS"


@pytest.fixture
def waking_server(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    monkeypatch.setenv(WAKE_ENV, "0.2")
    add_users(db_url, list(users.values()))
    proc = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        yield proc
    finally:
        proc.stop()


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


def _snooze(db_url: str, conv_ids: list[str], until: timedelta, assignee: str | None) -> None:
    """Snoozed directly in the database (the push refuses a time in the past)."""
    state = _state(db_url)
    try:
        with state.writes() as s:
            for cid in conv_ids:
                conv = s.get(m.Conversation, cid)
                assert conv is not None
                conv.status = ConversationStatus.SNOOZED.value
                conv.snoozed_until = utcnow() + until
                conv.assignee_id = assignee
            s.commit()
    finally:
        state.engine.dispose()


def _wakes(db_url: str, conv_ids: list[str]) -> list[m.AuditEntry]:
    state = _state(db_url)
    try:
        with state.reads() as s:
            return list(
                s.scalars(
                    select(m.AuditEntry).where(
                        m.AuditEntry.action == WAKE_ACTION, m.AuditEntry.entity_id.in_(conv_ids)
                    )
                )
            )
    finally:
        state.engine.dispose()


def _await_open(who: Raw, after: int, conv_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Long-poll the change feed until every conversation in ``conv_ids`` arrives open."""
    opened: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 30  # a bound for a broken server, not a timing assertion
    while set(opened) != conv_ids:
        assert time.monotonic() < deadline, f"still snoozed: {conv_ids - set(opened)}"
        page = who.get("/api/v1/changes", params={"after": after, "wait": 10}).json()
        after = page["cursor"]
        for change in page["changes"]:
            data = change["data"]
            if change["id"] in conv_ids and data and data["status"] == "open":
                opened[change["id"]] = data
    return opened


def test_a_snooze_that_ran_out_wakes_through_the_feed(
    waking_server: ServerProcess, db_url: str, users: dict[str, TestUser]
) -> None:
    due, later = make_conversations(db_url, 2)
    ann = Raw.signed_in(waking_server, users["ann"])
    head = ann.head()
    _snooze(db_url, [due.conversation_id], -timedelta(minutes=5), users["ann"].id)
    _snooze(db_url, [later.conversation_id], timedelta(hours=3), users["ann"].id)
    opened = _await_open(ann, head, {due.conversation_id})
    woke = opened[due.conversation_id]
    assert woke["assignee_id"] == users["ann"].id
    # It keeps the time its snooze ended: with status open that says "snooze over".
    assert woke["snoozed_until"] is not None
    still = ann.get(f"/api/v1/entities/conversation/{later.conversation_id}").json()["data"]
    assert still["status"] == "snoozed"
    (entry,) = _wakes(db_url, [due.conversation_id])
    assert entry.actor_user_id is None and entry.after is not None
    assert entry.after["status"] == "open"
    assert _wakes(db_url, [later.conversation_id]) == []


def test_a_snooze_set_from_a_desk_wakes_when_its_time_comes(
    waking_server: ServerProcess, db_url: str, users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(db_url, 1)
    bob = Raw.signed_in(waking_server, users["bob"])
    until = utcnow() + timedelta(seconds=1)
    result = bob.push(
        (
            "conversation.set_status",
            {
                "conversation_id": made.conversation_id,
                "status": "snoozed",
                "snoozed_until": until.isoformat(),
            },
        )
    )[0]
    assert result["status"] == "applied", result
    opened = _await_open(bob, result["seq"], {made.conversation_id})
    assert opened[made.conversation_id]["status"] == "open"
    assert utcnow() >= until  # never before its time


def test_several_processes_wake_each_snooze_once(pg_url: str, tmp_path: Path) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(pg_url, [ann])
    made = make_conversations(pg_url, 40)
    ids = [c.conversation_id for c in made]
    servers = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WAKE_ENV, "0.05")
        for n in range(3):
            servers.append(ServerProcess(pg_url, log_path=tmp_path / f"s{n}.log").start())
        try:
            client = Raw.signed_in(servers[0], ann)
            head = client.head()
            _snooze(pg_url, ids, -timedelta(seconds=1), ann.id)
            _await_open(client, head, set(ids))
            entries = _wakes(pg_url, ids)
        finally:
            for server in servers:
                server.stop()
    per_conversation = {cid: 0 for cid in ids}
    for entry in entries:
        per_conversation[entry.entity_id] += 1
    assert set(per_conversation.values()) == {1}, per_conversation
    for n in range(3):
        assert "Traceback" not in (tmp_path / f"s{n}.log").read_text()
