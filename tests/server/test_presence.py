"""Presence (the collision notice) against a live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from csdesk.domain.enums import Realm, Role
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.data import make_conversations, new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

PRESENCE = "/api/v1/presence"

_SERVE = """
import json, sys
import uvicorn
from csdesk.server.app import create_app
from csdesk.server.config import ServerConfig
config = ServerConfig(**json.loads(sys.argv[1]))
uvicorn.run(create_app(config), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@dataclass
class ConfiguredServer(ServerProcess):
    """A live server with ``ServerConfig`` fields the CLI does not expose (a short TTL)."""

    config: dict[str, Any] = field(default_factory=dict)

    def command(self) -> list[str]:
        config = {"db_url": self.db_url, **self.config}
        return [sys.executable, "-c", _SERVE, json.dumps(config), str(self.port)]


@contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def put(client: Raw, conversation_id: str | None, typing: bool = False) -> list[dict[str, Any]]:
    r = client.request("PUT", PRESENCE, json={"conversation_id": conversation_id, "typing": typing})
    assert r.status_code == 200, r.text
    viewers: list[dict[str, Any]] = r.json()
    return viewers


def others(client: Raw, conversation_id: str) -> list[dict[str, Any]]:
    r = client.get(PRESENCE, params={"conversation_id": conversation_id})
    assert r.status_code == 200, r.text
    viewers: list[dict[str, Any]] = r.json()
    return viewers


def typing_by_name(viewers: list[dict[str, Any]]) -> dict[str, bool]:
    """display name -> typing (a test user's display name is its user name)."""
    return {v["display_name"]: v["typing"] for v in viewers}


def test_agents_see_each_other_viewing_and_typing(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    one, two = make_conversations(backend, 2)
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    sue = Raw.signed_in(live, shared_users["sue"])

    assert put(ann, one.conversation_id) == []  # nobody else yet
    before = datetime.now(UTC)
    seen_by_bob = put(bob, one.conversation_id, typing=True)
    assert typing_by_name(seen_by_bob) == {"ann": False}
    assert seen_by_bob[0]["user_id"] == shared_users["ann"].id

    # Ann's desktop polls: Bob is typing a reply; she never sees herself.
    (viewer,) = others(ann, one.conversation_id)
    assert viewer["user_id"] == shared_users["bob"].id and viewer["display_name"] == "bob"
    assert viewer["typing"] is True
    seen_at = datetime.fromisoformat(viewer["seen_at"])
    assert before - timedelta(seconds=5) <= seen_at <= datetime.now(UTC) + timedelta(seconds=5)

    # A supervisor opening it sees both; Bob stops typing.
    assert typing_by_name(put(sue, one.conversation_id)) == {"ann": False, "bob": True}
    put(bob, one.conversation_id, typing=False)
    assert typing_by_name(others(ann, one.conversation_id)) == {"bob": False, "sue": False}

    # One conversation at a time: opening another moves Bob there.
    put(bob, two.conversation_id)
    assert typing_by_name(others(ann, one.conversation_id)) == {"sue": False}
    assert typing_by_name(others(ann, two.conversation_id)) == {"bob": False}

    # Leaving (null) removes him everywhere.
    assert put(bob, None) == []
    assert others(ann, two.conversation_id) == []
    put(sue, None)
    assert others(ann, one.conversation_id) == []


def test_trainees_and_production_never_see_each_other(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (prod,) = make_conversations(backend, 1)
    (train,) = make_conversations(backend, 1, realm=Realm.TRAINING)
    ann = Raw.signed_in(live, shared_users["ann"])
    tia = Raw.signed_in(live, shared_users["tia"])

    put(ann, prod.conversation_id, typing=True)
    # A production conversation does not exist for a trainee: neither to read nor to join.
    r = tia.get(PRESENCE, params={"conversation_id": prod.conversation_id})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = tia.request("PUT", PRESENCE, json={"conversation_id": prod.conversation_id})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    # And the training sandbox is invisible from production.
    assert put(tia, train.conversation_id, typing=True) == []
    r = ann.get(PRESENCE, params={"conversation_id": train.conversation_id})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = ann.request("PUT", PRESENCE, json={"conversation_id": train.conversation_id})
    assert r.status_code == 404
    put(ann, None)
    put(tia, None)


def test_a_demoted_agent_drops_out_of_production_at_once(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    """A row written before a role change must not show a trainee on production work."""
    pat = TestUser("pat", "pat-password", Role.AGENT)
    add_users(backend, [pat])
    (prod,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    put(Raw.signed_in(live, pat), prod.conversation_id, typing=True)
    assert typing_by_name(others(ann, prod.conversation_id)) == {"pat": True}

    engine = make_engine(backend)
    try:
        with engine.begin() as conn:
            conn.execute(update(m.User).where(m.User.id == pat.id).values(role=Role.TRAINEE.value))
    finally:
        engine.dispose()
    assert others(ann, prod.conversation_id) == []


def test_bad_requests_answer_json_errors(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    unknown = new_id()
    r = ann.get(PRESENCE, params={"conversation_id": unknown})
    assert r.status_code == 404 and unknown in r.json()["error"]["message"]
    r = ann.request("PUT", PRESENCE, json={"conversation_id": unknown, "typing": False})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # conversation_id is required (null to leave): an empty body must not silently leave.
    r = ann.request("PUT", PRESENCE, json={"typing": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = ann.request("PUT", PRESENCE, json={"conversation_id": "x" * 37})
    assert r.status_code == 422
    r = ann.get(PRESENCE, params={"conversation_id": "abc\x00def"})  # PostgreSQL refuses NUL
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = ann.get(PRESENCE)
    assert r.status_code == 422 and "conversation_id" in r.json()["error"]["message"]
    anonymous = Raw(live.url)
    r = anonymous.get(PRESENCE, params={"conversation_id": unknown})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_stale_presence_expires_and_a_heartbeat_revives_it(
    db_url: str, users: dict[str, TestUser], tmp_path: Path
) -> None:
    add_users(db_url, [users["ann"], users["bob"]])
    (made,) = make_conversations(db_url, 1)
    ttl = 1.0
    server = ConfiguredServer(
        db_url, log_path=tmp_path / "server.log", config={"presence_ttl_seconds": ttl}
    )
    with running(server):
        ann = Raw.signed_in(server, users["ann"])
        bob = Raw.signed_in(server, users["bob"])
        put(bob, made.conversation_id, typing=True)
        assert typing_by_name(others(ann, made.conversation_id)) == {"bob": True}

        time.sleep(ttl + 0.5)  # Bob's desktop crashed: no heartbeat, no "leave"
        assert others(ann, made.conversation_id) == []
        assert put(ann, made.conversation_id) == []

        put(bob, made.conversation_id)  # back online
        assert typing_by_name(others(ann, made.conversation_id)) == {"bob": False}


def test_presence_is_shared_by_server_processes(
    pg_url: str, users: dict[str, TestUser], tmp_path: Path
) -> None:
    """Two processes on one PostgreSQL: Ann on one sees Bob, who talks to the other."""
    add_users(pg_url, [users["ann"], users["bob"]])
    (made,) = make_conversations(pg_url, 1)
    first = ServerProcess(pg_url, log_path=tmp_path / "a.log")
    second = ServerProcess(pg_url, log_path=tmp_path / "b.log")
    with running(first), running(second):
        ann = Raw.signed_in(first, users["ann"])
        bob = Raw.signed_in(second, users["bob"])
        put(bob, made.conversation_id, typing=True)
        assert typing_by_name(put(ann, made.conversation_id)) == {"bob": True}
        assert typing_by_name(others(bob, made.conversation_id)) == {"ann": False}
