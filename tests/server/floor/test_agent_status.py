"""Agent status against a live server, on SQLite and PostgreSQL: set from the desk through the
outbox's push, recorded as spans, "On a call" from the calls, "Offline" after the TTL, and the
floor endpoints for supervisors only."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.domain.enums import Direction, Realm
from csdesk.protocol import Entity, MutationType
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.data import make_conversations, new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

TTL = 2.0


@pytest.fixture(scope="module")
def floor_server(
    backend: str, shared_users: dict[str, TestUser], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A live server whose desks go offline after ``TTL`` seconds unheard (the environment
    is read by the server child as it starts)."""
    add_users(backend, list(shared_users.values()))
    saved = {
        k: os.environ.get(k) for k in ("CSDESK_AGENT_OFFLINE_SECONDS", "CSDESK_FLOOR_SWEEP_SECONDS")
    }
    os.environ["CSDESK_AGENT_OFFLINE_SECONDS"] = str(TTL)
    os.environ["CSDESK_FLOOR_SWEEP_SECONDS"] = "0.2"
    try:
        proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "server.log")
        proc.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        yield proc
    finally:
        proc.stop()


def statuses(client: Raw) -> dict[str, dict[str, Any]]:
    changes, _cursor = client.pull_all()
    return {c["id"]: c["data"] for c in changes if c["entity"] == Entity.AGENT_STATUS and c["data"]}


def wait_for(check: Any, what: str, timeout: float = 20.0) -> Any:
    """Poll the server until ``check()`` is truthy (a server-side clock, nothing to await)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def spans(db_url: str, user_id: str) -> list[tuple[str, datetime, datetime | None]]:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.reads() as s:
            S = m.AgentStatusSpan
            return [
                (r.status, r.started_at, r.ended_at)
                for r in s.scalars(select(S).where(S.user_id == user_id).order_by(S.id))
            ]
    finally:
        state.engine.dispose()


def set_status(client: Raw, status: str) -> dict[str, Any]:
    [result] = client.push((MutationType.AGENT_SET_STATUS, {"status": status}))
    return dict(result)


def test_status_set_syncs_and_records_spans(
    floor_server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(floor_server, shared_users["ann"])
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    ann_id = shared_users["ann"].id
    assert set_status(ann, "on_break")["status"] == "applied"
    seen = statuses(sue)[ann_id]
    assert seen["status"] == "on_break" and seen["chosen"] == "on_break"
    assert "seen_at" not in seen  # server-only
    assert set_status(ann, "available")["status"] == "applied"
    assert statuses(sue)[ann_id]["status"] == "available"
    history = spans(backend, ann_id)
    kinds = [s for s, _a, _b in history]
    assert kinds[-2:] == ["on_break", "available"]
    assert all(end is not None for _s, _a, end in history[:-1])
    assert history[-1][2] is None  # one open span
    for (_s, _a, end), (_s2, start, _e) in itertools.pairwise(history):
        assert end == start  # no gap, no overlap
    now = datetime.now(UTC)
    r = sue.get(
        "/api/v1/floor/status-time",
        params={
            "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(minutes=1)).isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    mine = {a["user_id"]: a["seconds"] for a in r.json()["agents"]}
    assert set(mine[ann_id]) >= {"on_break", "available"}
    assert all(v >= 0 for v in mine[ann_id].values())


def test_agent_goes_offline_after_the_ttl_and_back_online_when_heard(
    floor_server: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    bob = Raw.signed_in(floor_server, shared_users["bob"])
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    bob_id = shared_users["bob"].id
    assert set_status(bob, "away")["status"] == "applied"
    assert statuses(sue)[bob_id]["status"] == "away"
    # bob's desk says nothing more: after the TTL the server marks him offline by itself.
    gone = wait_for(lambda: statuses(sue)[bob_id]["status"] == "offline", "bob offline")
    assert gone
    assert statuses(sue)[bob_id]["chosen"] == "away"  # his choice is kept
    bob.get("/api/v1/changes", params={"after": 0, "limit": 1})  # the desk is back
    assert wait_for(lambda: statuses(sue)[bob_id]["status"] == "away", "bob back")


def _ringing_call(db_url: str, conversation_id: str) -> str:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            msg = m.Message(
                id=new_id(),
                realm=Realm.PRODUCTION.value,
                conversation_id=conversation_id,
                channel="phone",
                direction=Direction.IN.value,
                body_text="Incoming call",
                author_name="Caller",
                delivery_status="received",
            )
            call = m.Call(
                id=new_id(),
                realm=Realm.PRODUCTION.value,
                call_sid="CA" + uuid.uuid4().hex,
                message_id=msg.id,
                conversation_id=conversation_id,
                direction=Direction.IN.value,
                from_number="+15550100",
                provider_status="ringing",
                outcome="ringing",
            )
            s.add_all([msg, call])
            s.commit()
            return call.id
    finally:
        state.engine.dispose()


def test_on_a_call_while_the_call_lasts(
    floor_server: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    [made] = make_conversations(backend, 1)
    call_id = _ringing_call(backend, made.conversation_id)
    ann = Raw.signed_in(floor_server, shared_users["ann"])
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    ann_id = shared_users["ann"].id
    assert set_status(ann, "available")["status"] == "applied"
    [took] = ann.push((MutationType.CALL_TAKE, {"call_id": call_id}))
    assert took["status"] == "applied", took
    row = statuses(sue)[ann_id]
    assert row["status"] == "on_call" and row["on_call"] is True
    board = sue.get("/api/v1/floor").json()
    mine = next(a for a in board["agents"] if a["user_id"] == ann_id)
    assert mine["status"] == "on_call"
    assert mine["call_conversation_id"] == made.conversation_id
    [done] = ann.push((MutationType.CALL_WRAP_UP, {"call_id": call_id, "disposition": "resolved"}))
    assert done["status"] == "applied", done
    assert statuses(sue)[ann_id]["status"] == "available"
    assert "on_call" in [s for s, _a, _b in spans(backend, ann_id)]


@pytest.mark.parametrize("who", ["ann", "tia"])
def test_floor_endpoints_refuse_agents_and_trainees(
    floor_server: ServerProcess, shared_users: dict[str, TestUser], who: str
) -> None:
    client = Raw.signed_in(floor_server, shared_users[who])
    assert client.get("/api/v1/floor").status_code == 403
    now = datetime.now(UTC)
    r = client.get(
        "/api/v1/floor/status-time",
        params={"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()},
    )
    assert r.status_code == 403
    [msg] = client.push(
        (
            MutationType.FLOOR_MESSAGE_SEND,
            {"message_id": new_id(), "to_user_id": shared_users["bob"].id, "body": "hi"},
        )
    )
    assert msg["status"] == "rejected" and msg["reason"]["code"] == "forbidden"


@pytest.mark.parametrize("who", ["sue", "adm"])
def test_supervisors_see_the_board_and_message_agents(
    floor_server: ServerProcess, backend: str, shared_users: dict[str, TestUser], who: str
) -> None:
    make_conversations(backend, 2)
    client = Raw.signed_in(floor_server, shared_users[who])
    r = client.get("/api/v1/floor")
    assert r.status_code == 200, r.text
    board = r.json()
    unassigned = board["queues"][0]
    assert unassigned["kind"] == "unassigned" and unassigned["open"] >= 2
    assert {a["user_id"] for a in board["agents"]} >= {shared_users["ann"].id}
    assert "adm" not in {a["name"] for a in board["agents"]}  # admins are not staff rows
    mid = new_id()
    [sent] = client.push(
        (
            MutationType.FLOOR_MESSAGE_SEND,
            {"message_id": mid, "to_user_id": shared_users["ann"].id, "body": "  Take chat 4  "},
        )
    )
    assert sent["status"] == "applied", sent
    ann = Raw.signed_in(floor_server, shared_users["ann"])
    changes, _ = ann.pull_all()
    got = [c["data"] for c in changes if c["entity"] == Entity.FLOOR_MESSAGE and c["id"] == mid]
    # The feed is the whole realm's: it says a message is for ann, never its words.
    assert got and got[0]["to_user_id"] == shared_users["ann"].id
    assert got[0]["body"] == "" and got[0]["from_name"] == ""
    bob = Raw.signed_in(floor_server, shared_users["bob"])
    changes, _ = bob.pull_all()
    assert all("Take chat 4" not in str(c["data"]) for c in changes)
    snap = bob.get(f"/api/v1/entities/floor_message/{mid}").json()
    assert "Take chat 4" not in str(snap)
    # Ann's desk reads the words of her own messages; bob asking for hers gets nothing.
    words = ann.get("/api/v1/floor/messages", params={"ids": f"{mid},nonexistent"}).json()
    assert [(x["id"], x["body"], x["from_user_id"]) for x in words["messages"]] == [
        (mid, "Take chat 4", shared_users[who].id)
    ]
    assert bob.get("/api/v1/floor/messages", params={"ids": mid}).json() == {"messages": []}
    many = ",".join(new_id() for _ in range(101))
    assert ann.get("/api/v1/floor/messages", params={"ids": many}).status_code == 422
    tia = Raw.signed_in(floor_server, shared_users["tia"])
    changes, _ = tia.pull_all()
    assert mid not in {c["id"] for c in changes}  # the sandbox never sees production's


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    (MutationType.AGENT_SET_STATUS, {"status": "offline"}),
    (MutationType.AGENT_SET_STATUS, {"status": "on_call"}),
    (MutationType.AGENT_SET_STATUS, {"status": 10**40}),
    (MutationType.AGENT_SET_STATUS, {"status": "away", "extra": 1}),
    (MutationType.AGENT_SET_STATUS, {}),
    (MutationType.FLOOR_MESSAGE_SEND, {"message_id": "x", "to_user_id": "nobody", "body": "hi"}),
    (MutationType.FLOOR_MESSAGE_SEND, {"message_id": "y" * 99, "to_user_id": "n", "body": "hi"}),
    (MutationType.FLOOR_MESSAGE_SEND, {"message_id": "z", "to_user_id": "n", "body": "x" * 5000}),
    (MutationType.FLOOR_MESSAGE_SEND, {"message_id": "w", "to_user_id": "n", "body": "   "}),
]


@pytest.mark.parametrize("mutation", HOSTILE, ids=lambda m: str(m[1])[:30])
def test_hostile_mutations_are_refused_not_500(
    floor_server: ServerProcess,
    shared_users: dict[str, TestUser],
    mutation: tuple[str, dict[str, Any]],
) -> None:
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    [result] = sue.push(mutation)
    assert result["status"] == "rejected", result


@pytest.mark.parametrize(
    "body",
    [
        '{"mutations":[{"id":"a1","type":"floor.message","args":{"message_id":"m1","to_user_id":"u","body":"a\\u0000b"}}]}',
        '{"mutations":[{"id":"a2","type":"floor.message","args":{"message_id":"m2","to_user_id":"u","body":"\\ud800"}}]}',
        '{"mutations":[{"id":"a3","type":"agent.set_status","args":{"status":"aw\\u0000ay"}}]}',
    ],
)
def test_nul_and_lone_surrogates_are_4xx(
    floor_server: ServerProcess, shared_users: dict[str, TestUser], body: str
) -> None:
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    r = sue.post("/api/v1/push", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        assert r.json()["results"][0]["status"] == "rejected"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00"},  # no time zone
        {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},  # backwards
        {"start": "2020-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},  # too long
        {"start": "99999-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"start": "1" * 400, "end": "x"},
        {"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-02T00:00:00+14:00"},
        {"start": "9999-12-30T00:00:00-14:00", "end": "9999-12-31T00:00:00-14:00"},
        {"start": "2026-01-01T00:00:00\x00Z", "end": "2026-01-01T00:00:00Z"},
    ],
)
def test_status_time_bad_periods_are_4xx(
    floor_server: ServerProcess, shared_users: dict[str, TestUser], params: dict[str, str]
) -> None:
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    r = sue.get("/api/v1/floor/status-time", params=params)
    assert 400 <= r.status_code < 500, r.text


def test_signing_out_is_offline_at_once(
    floor_server: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    adm = Raw.signed_in(floor_server, shared_users["adm"])
    sue = Raw.signed_in(floor_server, shared_users["sue"])
    adm_id = shared_users["adm"].id
    assert set_status(adm, "available")["status"] == "applied"
    assert statuses(sue)[adm_id]["status"] == "available"
    assert adm.post("/api/v1/auth/logout").status_code == 204
    assert statuses(sue)[adm_id]["status"] == "offline"  # no TTL to wait for
    assert statuses(sue)[adm_id]["chosen"] == "available"
