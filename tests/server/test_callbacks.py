"""Callback tasks (issue 11): scheduled through the push, due on time on the server, given to
their agent (who acknowledges them), or to the queue when nobody has them, the agent is
disabled, or nobody acknowledged them within the grace period; bad input is refused."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.server.callbacks.due import wake_due
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users


@pytest.fixture(scope="module")
def server(
    backend: str, shared_users: dict[str, TestUser], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")  # the round that makes callbacks due
        add_users(backend, list(shared_users.values()))
        proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "s.log").start()
    try:
        yield proc
    finally:
        proc.stop()


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


def _ids(who: Raw) -> dict[str, str]:
    changes, _ = who.pull_all()
    return {c["data"]["username"]: c["id"] for c in changes if c["entity"] == "user"}


def _customer(db_url: str) -> tuple[str, str]:
    made = make_conversations(db_url, 1)[0]
    state = _state(db_url)
    try:
        with state.reads() as s:
            conv = s.get(m.Conversation, made.conversation_id)
            assert conv is not None
            return conv.customer_id, conv.id
    finally:
        state.engine.dispose()


def _schedule(who: Raw, customer_id: str, assignee: str | None, **extra: Any) -> str:
    cb_id = str(uuid.uuid4())
    args = {
        "callback_id": cb_id,
        "customer_id": customer_id,
        "phone": "+14155550123",
        "due_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "assignee_id": assignee,
        "note": "Wants to hear about the refund",
        **extra,
    }
    result = who.push(("callback.schedule", args))[0]
    assert result["status"] == "applied", result
    return cb_id


def _make_due_now(db_url: str, cb_id: str) -> None:
    """Its time moved into the past directly (the push refuses a time in the past)."""
    state = _state(db_url)
    try:
        with state.writes() as s:
            cb = s.get(m.Callback, cb_id)
            assert cb is not None
            cb.due_at = utcnow() - timedelta(seconds=1)
            s.commit()
    finally:
        state.engine.dispose()


def _await(who: Raw, cb_id: str, check: Any) -> dict[str, Any]:
    """Long-poll the feed until the callback's latest state passes ``check``."""
    after = 0
    deadline = time.monotonic() + 30  # a bound for a broken server, not a timing assertion
    while time.monotonic() < deadline:
        page = who.get("/api/v1/changes", params={"after": after, "wait": 5}).json()
        for c in page["changes"]:
            if c["entity"] == "callback" and c["id"] == cb_id and check(c["data"]):
                return dict(c["data"])
        after = page["cursor"]
    raise AssertionError(f"callback {cb_id} never reached the expected state")


def test_a_due_callback_reaches_its_agent_who_acknowledges_it(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    ids = _ids(ann)
    customer_id, _conv = _customer(backend)
    cb_id = _schedule(ann, customer_id, ids["ann"])
    scheduled = _await(ann, cb_id, lambda d: d["status"] == "scheduled")
    assert scheduled["assignee_id"] == ids["ann"] and scheduled["created_by_id"] == ids["ann"]
    _make_due_now(backend, cb_id)
    due = _await(ann, cb_id, lambda d: d["status"] == "due")
    assert due["assignee_id"] == ids["ann"] and due["fired_at"] is not None
    assert due["seen_at"] is None
    assert ann.push(("callback.take", {"callback_id": cb_id}))[0]["status"] == "applied"
    seen = _await(ann, cb_id, lambda d: d["seen_at"] is not None)
    # Acknowledged: however late it gets, it stays Ann's.
    state = _state(backend)
    try:
        with state.writes() as s:
            assert cb_id not in wake_due(s, utcnow() + timedelta(days=1), timedelta(minutes=2))
            s.commit()
    finally:
        state.engine.dispose()
    assert seen["assignee_id"] == ids["ann"]


def test_an_unacknowledged_or_unassigned_callback_goes_to_the_queue(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    bob = Raw.signed_in(server, shared_users["bob"])
    ids = _ids(ann)
    customer_id, conv_id = _customer(backend)
    bobs = _schedule(ann, customer_id, ids["bob"], conversation_id=conv_id)
    queued = _schedule(ann, customer_id, None)
    for cb in (bobs, queued):
        _make_due_now(backend, cb)
    assert _await(ann, queued, lambda d: d["status"] == "due")["assignee_id"] is None
    assert _await(ann, bobs, lambda d: d["status"] == "due")["assignee_id"] == ids["bob"]
    # Bob's desk is offline: nobody acknowledged it when the grace period ran out.
    state = _state(backend)
    try:
        with state.writes() as s:
            moved = wake_due(s, utcnow() + timedelta(minutes=3), timedelta(minutes=2))
            s.commit()
    finally:
        state.engine.dispose()
    assert bobs in moved
    in_queue = _await(ann, bobs, lambda d: d["assignee_id"] is None)
    assert in_queue["status"] == "due" and "bob did not pick it up" in in_queue["detail"]
    # Ann takes it from the queue; Bob, back, finds it taken.
    assert ann.push(("callback.take", {"callback_id": bobs}))[0]["status"] == "applied"
    late = bob.push(("callback.take", {"callback_id": bobs}))[0]
    assert late["status"] == "rejected" and "ann has already taken" in late["reason"]["message"]


def test_changing_and_cancelling_a_callback(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    ids = _ids(ann)
    customer_id, _conv = _customer(backend)
    cb_id = _schedule(ann, customer_id, ids["ann"])
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    change = {"callback_id": cb_id, "due_at": later.isoformat(), "set_assignee": True}
    assert ann.push(("callback.update", change))[0]["status"] == "applied"
    moved = _await(ann, cb_id, lambda d: d["assignee_id"] is None)
    assert datetime.fromisoformat(moved["due_at"]) == later
    assert ann.push(("callback.cancel", {"callback_id": cb_id}))[0]["status"] == "applied"
    assert _await(ann, cb_id, lambda d: d["status"] == "cancelled")["done_at"] is not None
    again = ann.push(("callback.cancel", {"callback_id": cb_id}))[0]
    assert again["status"] == "rejected" and "already cancelled" in again["reason"]["message"]


def test_bad_callbacks_are_refused(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    tia = Raw.signed_in(server, shared_users["tia"])
    ids = _ids(ann)
    customer_id, _conv = _customer(backend)
    now = datetime.now(UTC)
    base = {
        "callback_id": str(uuid.uuid4()),
        "customer_id": customer_id,
        "due_at": (now + timedelta(hours=1)).isoformat(),
    }
    for bad, words in (
        ({**base, "due_at": (now - timedelta(minutes=1)).isoformat()}, "past"),
        ({**base, "due_at": "2027-01-01T10:00:00"}, "time zone"),
        ({**base, "due_at": (now + timedelta(days=400)).isoformat()}, "a year ahead"),
        ({**base, "due_at": "99999999999-01-01"}, "Invalid"),
        ({**base, "customer_id": str(uuid.uuid4())}, "does not exist"),
        ({**base, "phone": "call me maybe"}, "+4420"),
        ({**base, "assignee_id": str(uuid.uuid4())}, "does not exist"),
        ({**base, "note": "x" * 1001}, "Invalid note"),
        ({**base, "due_at": 10**40}, "Invalid"),
    ):
        result = ann.push(("callback.schedule", bad))[0]
        assert result["status"] == "rejected" and words in result["reason"]["message"], bad
    # A trainee sees no production customer, and gives callbacks to nobody else.
    assert tia.push(("callback.schedule", base))[0]["status"] == "rejected"
    trainee = tia.push(("callback.schedule", {**base, "assignee_id": ids["ann"]}))[0]
    assert trainee["status"] == "rejected"
    for text in ("\x00", "\ud800"):
        r = ann.post(
            "/api/v1/push",
            data=(
                '{"mutations":[{"id":"m","type":"callback.schedule","args":{"note":"'
                + text.encode("unicode_escape").decode().replace("\\x00", "\\u0000")
                + '"}}]}'
            ),
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= r.status_code < 500, r.text


def test_a_disabled_agent_s_due_callback_goes_to_the_queue_at_once(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser], tmp_path: Path
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    ids = _ids(ann)
    customer_id, _conv = _customer(backend)
    cb_id = _schedule(ann, customer_id, ids["sue"])
    state = _state(backend)
    try:
        with state.writes() as s:
            sue = s.get(m.User, ids["sue"])
            assert sue is not None
            sue.active = False
            s.commit()
    finally:
        state.engine.dispose()
    _make_due_now(backend, cb_id)
    queued = _await(ann, cb_id, lambda d: d["status"] == "due" and d["assignee_id"] is None)
    assert "did not pick it up" in queued["detail"]


def test_the_call_phone_command(db_url: str, users: dict[str, TestUser]) -> None:
    """``csdesk-server call-phone`` sets (and clears) what a user's click-to-call rings."""
    from csdesk.server.cli import main

    add_users(db_url, [users["ann"]])
    assert main(["call-phone", "--db", db_url, "ann", "+14155550199"]) == 0
    assert main(["call-phone", "--db", db_url, "ann", "555-0199"]) == 2
    assert main(["call-phone", "--db", db_url, "nobody", "+14155550199"]) == 2
    state = _state(db_url)
    try:
        with state.reads() as s:
            ann = s.scalars(select(m.User).where(m.User.username == "ann")).one()
            assert ann.call_phone == "+14155550199"
    finally:
        state.engine.dispose()
    assert main(["call-phone", "--db", db_url, "ann", "client:ann"]) == 0
    assert main(["call-phone", "--db", db_url, "ann", ""]) == 0
    state = _state(db_url)
    try:
        with state.reads() as s:
            assert (
                s.scalars(select(m.User.call_phone).where(m.User.username == "ann")).one() is None
            )
    finally:
        state.engine.dispose()
