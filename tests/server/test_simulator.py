"""The demo's simulated customers: live through the feed, reproducible by seed, never fatal."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, Realm
from csdesk.server import simulator
from csdesk.server.config import ServerConfig
from csdesk.server.simulator import CustomerSimulator, Simulation, Tick
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class SimulatingServer(ServerProcess):
    """``csdesk-server serve --simulate-customers SECONDS``, exactly as the demo starts it."""

    every: float = 0.3

    def command(self) -> list[str]:
        return [*super().command(), "--simulate-customers", str(self.every)]


@pytest.fixture
def state(db_url: str) -> Iterator[ServerState]:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        yield state
    finally:
        state.engine.dispose()


def counts_match(session: Session, conversation_ids: set[str]) -> dict[str, tuple[int, int]]:
    """conversation id -> (message_count, messages stored), for the ones that disagree."""
    wrong: dict[str, tuple[int, int]] = {}
    for cid in conversation_ids:
        conv = session.get_one(m.Conversation, cid)
        stored = session.scalar(
            select(func.count()).select_from(m.Message).where(m.Message.conversation_id == cid)
        )
        if conv.message_count != stored:
            wrong[cid] = (conv.message_count, int(stored or 0))
    return wrong


def test_simulated_customers_arrive_through_the_feed(
    db_url: str, users: dict[str, TestUser], tmp_path: Path
) -> None:
    add_users(db_url, [users["ann"]])
    make_conversations(db_url, 4)
    make_conversations(db_url, 2, realm=Realm.TRAINING)
    log_path = tmp_path / "server.log"
    server = SimulatingServer(db_url, log_path=log_path, every=0.3).start()
    try:
        ann = Raw.signed_in(server, users["ann"])
        _, cursor = ann.pull_all()
        inbound: dict[str, dict[str, Any]] = {}
        conversations: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 30
        while len(inbound) < 5 and time.monotonic() < deadline:
            page = ann.get("/api/v1/changes", params={"after": cursor, "wait": 5}).json()
            cursor = page["cursor"]
            for change in page["changes"]:
                if change["entity"] == "message":
                    inbound[change["id"]] = change["data"]
                elif change["entity"] == "conversation":
                    conversations[change["id"]] = change["data"]
        assert len(inbound) >= 5, f"only {len(inbound)} simulated messages in 30 s"
    finally:
        server.stop()
    # Stopped by SIGTERM within the grace period (uvicorn re-raises it after a clean
    # shutdown), not killed; a lifespan or tick failure would have logged an error.
    assert server.proc is not None and server.proc.returncode in (0, -signal.SIGTERM)
    log = log_path.read_text()
    assert "Traceback" not in log and "ERROR" not in log and "tick failed" not in log, log

    for msg in inbound.values():
        assert msg["direction"] == "in" and msg["delivery_status"] == "received"
        assert msg["realm"] == Realm.PRODUCTION.value and msg["body_text"].strip()
        # Every message's conversation came down the feed as well, newer than the message.
        conv = conversations[msg["conversation_id"]]
        written = datetime.fromisoformat(msg["created_at"])
        assert datetime.fromisoformat(conv["last_message_at"]) >= written
        assert datetime.fromisoformat(conv["last_inbound_at"]) >= written
        assert conv["waiting_since"] is not None and conv["status"] == "open"
        assert conv["channel"] == msg["channel"]

    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.reads() as s:
            touched = {msg["conversation_id"] for msg in inbound.values()}
            assert counts_match(s, touched) == {}
            training_messages = s.scalar(
                select(func.count())
                .select_from(m.Message)
                .where(m.Message.realm == Realm.TRAINING.value)
            )
        assert training_messages == 2  # the sandbox is never written to
    finally:
        state.engine.dispose()


def run_ticks(state: ServerState, seed: int, n: int) -> list[Tick | None]:
    """``n`` ticks in one transaction, rolled back: the database is left as it was."""
    sim = Simulation(seed)
    with state.writes() as s:
        ticks = [sim.step(s, NOW) for _ in range(n)]
        assert counts_match(s, {t.conversation_id for t in ticks if t}) == {}
        s.rollback()
    return ticks


def test_the_same_seed_writes_the_same_customers(db_url: str, state: ServerState) -> None:
    make_conversations(db_url, 5)
    first = run_ticks(state, 11, 12)
    assert all(t is not None for t in first)
    assert run_ticks(state, 11, 12) == first
    assert run_ticks(state, 12, 12) != first
    with state.reads() as s:  # rolled back: nothing was written
        assert s.scalar(select(func.count()).select_from(m.Message)) == 5


def test_a_follow_up_keeps_the_conversation_bookkeeping(
    db_url: str, state: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator, "NEW_SHARE", 0.0)
    monkeypatch.setattr(simulator, "REOPEN_SHARE", 0.0)
    (made,) = make_conversations(db_url, 1)
    with state.writes() as s:
        s.get_one(m.Conversation, made.conversation_id).status = ConversationStatus.PENDING.value
        s.commit()
    with state.writes() as s:
        tick = Simulation(3).step(s, NOW)
        s.commit()
    assert tick is not None and tick.kind == "follow_up"
    assert tick.conversation_id == made.conversation_id
    with state.reads() as s:
        conv = s.get_one(m.Conversation, made.conversation_id)
        msg = s.get_one(m.Message, tick.message_id)
    assert conv.status == ConversationStatus.OPEN.value  # the customer answered: open again
    assert conv.message_count == 2
    assert conv.last_message_at == conv.last_inbound_at == conv.waiting_since == NOW
    assert conv.preview == msg.body_text.strip().splitlines()[0]
    assert msg.direction == "in" and msg.channel == Channel.EMAIL.value
    assert msg.subject == "Re: Question 0"  # an email reply keeps the thread's subject


def test_a_resolved_conversation_reopens_when_the_customer_writes(
    db_url: str, state: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator, "NEW_SHARE", 0.0)
    monkeypatch.setattr(simulator, "REOPEN_SHARE", 1.0)
    (made,) = make_conversations(db_url, 1)
    with state.writes() as s:
        conv = s.get_one(m.Conversation, made.conversation_id)
        conv.status, conv.resolved_at = ConversationStatus.RESOLVED.value, NOW
        s.commit()
    with state.writes() as s:
        tick = Simulation(5).step(s, NOW)
        s.commit()
    assert tick is not None and tick.kind == "reopen"
    with state.reads() as s:
        conv = s.get_one(m.Conversation, made.conversation_id)
    assert conv.status == ConversationStatus.OPEN.value and conv.resolved_at is None
    assert conv.message_count == 2


def test_a_new_conversation_starts_its_sla_clocks(
    db_url: str, state: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator, "NEW_SHARE", 1.0)
    (made,) = make_conversations(db_url, 1)
    with state.writes() as s:
        s.get_one(m.Customer, made.customer_id).language = "de"
        s.commit()
    with state.writes() as s:
        tick = Simulation(9).step(s, NOW)
        s.commit()
    assert tick is not None and tick.kind == "new"
    assert tick.conversation_id != made.conversation_id
    with state.reads() as s:
        conv = s.get_one(m.Conversation, tick.conversation_id)
        msg = s.get_one(m.Message, tick.message_id)
    first_response, resolution = simulator.SLA[Channel(conv.channel)]
    if conv.priority == "high":
        first_response, resolution = first_response / 2, resolution / 2
    assert conv.first_response_due_at == NOW + first_response
    assert conv.resolution_due_at == NOW + resolution
    assert conv.customer_id == made.customer_id and conv.language == "de"
    assert conv.status == "open" and conv.assignee_id is None and conv.subject
    assert conv.message_count == 1 and conv.waiting_since == NOW
    assert msg.conversation_id == conv.id and msg.author_name == "Customer 0"
    assert "{" not in msg.body_text  # every placeholder was filled


def test_a_failing_tick_is_logged_and_the_next_one_runs(
    db_url: str, state: ServerState, caplog: pytest.LogCaptureFixture
) -> None:
    make_conversations(db_url, 2)
    calls = 0

    def flaky_writes() -> Session:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise ConnectionError("database went away")
        return state.writes()

    async def main() -> CustomerSimulator:
        sim = CustomerSimulator(flaky_writes, 0.02, seed=1)
        sim.launch()
        deadline = time.monotonic() + 10
        while sim.ticks < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await sim.stop()
        return sim

    with caplog.at_level(logging.ERROR, logger="csdesk.server.simulator"):
        sim = asyncio.run(main())
    assert sim.ticks >= 3  # it went on after the failures
    failures = [r for r in caplog.records if "tick failed" in r.getMessage()]
    assert len(failures) == 2
    with state.reads() as s:
        stored = s.scalar(select(func.count()).select_from(m.Message))
    assert stored == 2 + sim.ticks  # stop() let the last tick finish; nothing half-written


def test_simulated_customers_receive_replies_when_no_provider_is_configured(
    db_url: str, users: dict[str, TestUser], tmp_path: Path
) -> None:
    """In the demo the customers are simulated, so a reply with no real provider connected is
    delivered to them (and says so); without the simulator the same reply fails with a reason."""
    add_users(db_url, [users["ann"]])
    (made,) = make_conversations(db_url, 1)  # an email conversation; no email connection
    server = SimulatingServer(db_url, log_path=tmp_path / "server.log", every=30).start()
    try:
        ann = Raw.signed_in(server, users["ann"])
        mid = str(uuid.uuid4())
        ann.push(
            (
                "message.send",
                {
                    "conversation_id": made.conversation_id,
                    "message_id": mid,
                    "body_text": "On its way!",
                },
            )
        )
        deadline = time.monotonic() + 20
        data: dict[str, Any] = {}
        while time.monotonic() < deadline:
            data = ann.get(f"/api/v1/entities/message/{mid}").json()["data"]
            if data["delivery_status"] != "queued":
                break
            time.sleep(0.1)
        assert data["delivery_status"] == "delivered"
        assert data["provider_message_id"] == f"simulated-{mid}"
    finally:
        server.stop()
