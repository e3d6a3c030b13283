"""Follow-up reminders and scheduled replies through the live server (issue 14,
docs/scheduled-send.md), on both databases: a reminder comes due on time for its owner
alone (another agent's pull never carries it, and their dismissal answers "not found"); a
customer's reply makes a conditional one "answered"; a scheduled reply goes out through the
server's own round; bad input is a typed refusal, never a 5xx."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

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
        mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")  # the round that sends and reminds
        add_users(backend, list(shared_users.values()))
        proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "s.log").start()
    try:
        yield proc
    finally:
        proc.stop()


def _edit_db(db_url: str, change: Callable[[Any], None]) -> None:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            change(s)
            s.commit()
    finally:
        state.engine.dispose()


def _await(who: Raw, entity: str, ident: str, check: Callable[[dict[str, Any]], bool]) -> Any:
    """Long-poll the feed until the entity's latest state passes ``check``."""
    after = 0
    deadline = time.monotonic() + 30  # a bound for a broken server, not a timing assertion
    while time.monotonic() < deadline:
        page = who.get("/api/v1/changes", params={"after": after, "wait": 5}).json()
        for c in page["changes"]:
            if c["entity"] == entity and c["id"] == ident and check(c["data"]):
                return dict(c["data"])
        after = page["cursor"]
    raise AssertionError(f"{entity} {ident} never reached the expected state")


def _remind(who: Raw, conv_id: str, at: datetime, **extra: Any) -> str:
    rid = str(uuid.uuid4())
    args = {"reminder_id": rid, "conversation_id": conv_id, "due_at": at.isoformat(), **extra}
    result = who.push(("reminder.set", args))[0]
    assert result["status"] == "applied", result
    return rid


def test_a_reminder_comes_due_for_its_owner_alone(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    bob = Raw.signed_in(server, shared_users["bob"])
    conv_id = make_conversations(backend, 1)[0].conversation_id
    # A moment ago counts as now (a desk that was offline pushes late): due in the next round.
    rid = _remind(ann, conv_id, datetime.now(UTC) - timedelta(seconds=1))
    due = _await(ann, "reminder", rid, lambda d: d["status"] == "due")
    assert due["conversation_id"] == conv_id and due["fired_at"] is not None
    changes, _ = bob.pull_all()
    assert rid not in {c["id"] for c in changes if c["entity"] == "reminder"}
    assert bob.get(f"/api/v1/snapshot/reminder/{rid}").status_code == 404
    theirs = bob.push(("reminder.dismiss", {"reminder_id": rid}))[0]
    assert theirs["status"] == "rejected" and theirs["reason"]["code"] == "not_found"
    assert ann.push(("reminder.dismiss", {"reminder_id": rid}))[0]["status"] == "applied"
    assert _await(ann, "reminder", rid, lambda d: d["status"] == "dismissed")


def test_a_customer_reply_cancels_a_conditional_reminder(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    conv_id = make_conversations(backend, 1)[0].conversation_id
    later = datetime.now(UTC) + timedelta(hours=48)
    iffy = _remind(ann, conv_id, later)
    always = _remind(ann, conv_id, later, only_if_no_reply=False)

    def reply_then_due(s: Any) -> None:
        conv = s.get(m.Conversation, conv_id)
        conv.last_inbound_at = utcnow()  # the customer wrote back
        for rid in (iffy, always):
            s.get(m.Reminder, rid).due_at = utcnow() - timedelta(seconds=1)

    _edit_db(backend, reply_then_due)
    assert _await(ann, "reminder", iffy, lambda d: d["status"] != "pending")["status"] == (
        "answered"
    )
    assert _await(ann, "reminder", always, lambda d: d["status"] != "pending")["status"] == "due"


def test_a_scheduled_reply_goes_out_through_the_servers_round(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    bob = Raw.signed_in(server, shared_users["bob"])
    conv_id = make_conversations(backend, 1)[0].conversation_id
    sid = str(uuid.uuid4())
    at = datetime.now(UTC) + timedelta(hours=1)
    args = {"scheduled_id": sid, "conversation_id": conv_id, "body_text": "Hello later",
            "send_at": at.isoformat()}  # fmt: skip
    assert ann.push(("scheduled.send", args))[0]["status"] == "applied"
    held = _await(bob, "scheduled_message", sid, lambda d: d["status"] == "scheduled")
    assert held["body_text"] == "Hello later"  # a colleague sees it is scheduled
    edit = bob.push(("scheduled.edit", {"scheduled_id": sid, "body_text": "mine now"}))[0]
    assert edit["status"] == "rejected" and edit["reason"]["code"] == "forbidden"

    def due_now(s: Any) -> None:
        s.get(m.ScheduledMessage, sid).send_at = utcnow() - timedelta(seconds=1)

    _edit_db(backend, due_now)
    sent = _await(ann, "scheduled_message", sid, lambda d: d["status"] != "scheduled")
    assert sent["status"] == "sent" and sent["message_id"] == sid
    msg = _await(ann, "message", sid, lambda d: True)
    assert msg["body_text"] == "Hello later" and msg["direction"] == "out"
    late = ann.push(("scheduled.cancel", {"scheduled_id": sid}))[0]
    assert late["status"] == "rejected" and "already been sent" in late["reason"]["message"]


def test_bad_input_is_refused_without_a_server_error(
    server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, shared_users["ann"])
    conv_id = make_conversations(backend, 1)[0].conversation_id
    now = datetime.now(UTC)
    soon = (now + timedelta(hours=1)).isoformat()
    send = {"scheduled_id": str(uuid.uuid4()), "conversation_id": conv_id,
            "body_text": "Hi", "send_at": soon}  # fmt: skip
    remind = {"reminder_id": str(uuid.uuid4()), "conversation_id": conv_id, "due_at": soon}
    for mtype, args, words in (
        ("scheduled.send", {**send, "body_text": "nul \x00 here"}, "Invalid"),
        ("scheduled.send", {**send, "body_text": "lone \ud800"}, "Invalid"),
        ("scheduled.send", {**send, "send_at": "1990-01-01T00:00:00+00:00"}, "past"),
        ("scheduled.send", {**send, "send_at": "2999-01-01T00:00:00+00:00"}, "year ahead"),
        ("scheduled.send", {**send, "send_at": "2030-01-01T00:00:00"}, "time zone"),
        ("scheduled.send", {**send, "send_at": 10**40}, "Invalid"),
        ("scheduled.send", {**send, "conversation_id": str(uuid.uuid4())}, "does not exist"),
        ("scheduled.send", {**send, "scheduled_id": "x" * 37}, "Invalid"),
        ("scheduled.edit", {"scheduled_id": str(uuid.uuid4()), "body_text": "x"}, "not exist"),
        ("reminder.set", {**remind, "note": "a\x00b"}, "Invalid"),
        ("reminder.set", {**remind, "due_at": "0001-01-01T00:00:00+00:00"}, "past"),
        ("reminder.set", {**remind, "only_if_no_reply": "perhaps"}, "Invalid"),
    ):
        r = ann.post("/api/v1/push", json={"mutations": [
            {"id": str(uuid.uuid4()), "type": mtype, "args": args}]})  # fmt: skip
        if r.status_code == 422:  # the edge refuses text no database stores (NUL, surrogates)
            assert words == "Invalid" and "cannot be stored" in r.text, (mtype, args, r.text)
            continue
        assert r.status_code == 200, (mtype, args, r.text)
        result = r.json()["results"][0]
        assert result["status"] == "rejected", (mtype, args, result)
        assert words in result["reason"]["message"], (mtype, args, result)
