"""Team-scoped canned responses and macros over a live server on SQLite and PostgreSQL
(docs/macros.md, "Sharing"): a team's rows reach only that team's members' desks and the
supervisors' and administrators'; a row whose scope changes (everyone → team, team A → team B,
team → personal) becomes a tombstone for the desks that lose it, the snapshot endpoint answers
404 to them; a user moved to another team gets the new team's rows and loses the old team's
with their next pull; the shared page cache never hands one user's rows to another."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from csdesk.protocol import Entity, MutationType
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.test_macros_api import _canned, _macro, _status

Users = dict[str, TestUser]
Fed = dict[str, dict[str, Any] | None]


def _new() -> str:
    return str(uuid.uuid4())


def _writes(db_url: str, change: Callable[[Any], None]) -> None:
    """``change(session)`` through the server's own session factory: the change feed (and
    the team audiences, ``feed.audience``) see it exactly as a server write."""
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            change(s)
            s.commit()
    finally:
        state.engine.dispose()


def _teams(db_url: str, **members: TestUser) -> dict[str, str]:
    """A new team for each name, ``members[name]`` in it."""
    ids = {name: _new() for name in members}

    def change(s: Any) -> None:
        for name, team in ids.items():
            s.add(m.Team(id=team, name=f"{name} {team[:8]}"))
        s.flush()
        for name, user in members.items():
            row = s.get(m.User, user.id)
            assert row is not None
            row.team_id = ids[name]

    _writes(db_url, change)
    return ids


def _move(db_url: str, user: TestUser, team: str) -> None:
    def change(s: Any) -> None:
        row = s.get(m.User, user.id)
        assert row is not None
        row.team_id = team

    _writes(db_url, change)


class Desk:
    """One desk's view of the feed: what it holds, pulled incrementally like the desk does."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.cursor = 0
        self.held: Fed = {}

    def pull(self) -> Fed:
        changes, self.cursor = self.raw.pull_all(self.cursor)
        fed: Fed = {
            c["id"]: c["data"]
            for c in changes
            if c["entity"] in (Entity.MACRO, Entity.CANNED_RESPONSE)
        }
        self.held.update(fed)
        return fed

    def until(self, done: Callable[[Fed], bool], timeout: float = 30.0) -> Fed:
        """Pull until ``done(held)``; the held rows (a change made by another process reaches
        a SQLite server's feed with its next look at the database)."""
        deadline = time.monotonic() + timeout
        self.pull()
        while not done(self.held) and time.monotonic() < deadline:
            self.raw.get("/api/v1/changes", params={"after": self.cursor, "limit": 1, "wait": 2})
            self.pull()
        return self.held

    def has(self, ident: str) -> bool:
        return self.held.get(ident) is not None


def test_team_rows_reach_only_the_team_and_the_leads_and_follow_scope_changes(
    live: ServerProcess, shared_users: Users, backend: str
) -> None:
    teams = _teams(backend, a=shared_users["ann"], b=shared_users["bob"])
    ann = Desk(Raw.signed_in(live, shared_users["ann"]))
    bob = Desk(Raw.signed_in(live, shared_users["bob"]))
    sue = Desk(Raw.signed_in(live, shared_users["sue"]))
    adm = Raw.signed_in(live, shared_users["adm"])
    mac, canned = _new(), _new()
    assert _status(
        adm.push(
            (MutationType.MACRO_SAVE, _macro(mac, "everyone")),
            (MutationType.CANNED_SAVE, _canned(canned, "team", team_id=teams["a"])),
        )
    ) == ["applied", "applied"]
    for desk in (ann, bob, sue):
        desk.until(lambda held: mac in held)
    assert ann.has(mac) and bob.has(mac) and sue.has(mac)
    # A team's canned response: team A's member and the supervisor, never team B's.
    assert ann.has(canned) and sue.has(canned)
    assert canned not in bob.held
    assert bob.raw.get(f"/api/v1/entities/canned_response/{canned}").status_code == 404
    assert ann.raw.get(f"/api/v1/entities/canned_response/{canned}").status_code == 200

    # Everyone → team A: Bob's desk gets a tombstone, Ann's and Sue's the new row.
    assert _status(
        adm.push((MutationType.MACRO_SAVE, _macro(mac, "team", team_id=teams["a"])))
    ) == ["applied"]
    bob.until(lambda held: held.get(mac) is None)
    assert mac in bob.held and bob.held[mac] is None
    for desk in (ann, sue):
        held = desk.until(lambda held: (held.get(mac) or {}).get("scope") == "team")
        assert (held[mac] or {}).get("team_id") == teams["a"]
    assert bob.raw.get(f"/api/v1/entities/macro/{mac}").status_code == 404
    assert ann.raw.get(f"/api/v1/entities/macro/{mac}").json()["data"]["scope"] == "team"
    # The shared page cache: Ann's and Bob's full pulls, one after the other at the same
    # cursor (one cached page), each with their own team rows only.
    full_ann, _ = ann.raw.pull_all()
    full_bob, _ = bob.raw.pull_all()
    assert {c["id"] for c in full_ann if not c["deleted"]} >= {mac, canned}
    assert not {mac, canned} & {c["id"] for c in full_bob if not c["deleted"]}

    # Team A → team B: now Ann loses it and Bob gets it.
    assert _status(
        adm.push((MutationType.MACRO_SAVE, _macro(mac, "team", team_id=teams["b"])))
    ) == ["applied"]
    ann.until(lambda held: held.get(mac) is None)
    assert mac in ann.held and ann.held[mac] is None
    bob.until(lambda held: bob.has(mac))
    assert (bob.held[mac] or {}).get("team_id") == teams["b"]
    assert ann.raw.get(f"/api/v1/entities/macro/{mac}").status_code == 404

    # Team B → personal (the administrator's own now): Bob and Sue lose it.
    assert _status(adm.push((MutationType.MACRO_SAVE, _macro(mac, "personal")))) == ["applied"]
    for desk in (bob, sue):
        desk.until(lambda held: held.get(mac) is None)
        assert mac in desk.held and desk.held[mac] is None
    assert sue.raw.get(f"/api/v1/entities/macro/{mac}").status_code == 404
    mine = adm.get(f"/api/v1/entities/macro/{mac}").json()["data"]
    assert mine["scope"] == "personal" and mine["owner_id"] == shared_users["adm"].id
    # Deleting a team item reaches its team as a tombstone.
    assert _status(adm.push((MutationType.CANNED_DELETE, {"canned_id": canned}))) == ["applied"]
    ann.until(lambda held: held.get(canned) is None)
    assert ann.held[canned] is None


def test_a_user_moved_to_another_team_gets_its_rows_and_loses_the_old_ones(
    live: ServerProcess, shared_users: Users, backend: str
) -> None:
    ann_user = shared_users["ann"]
    teams = _teams(backend, a=ann_user, b=shared_users["bob"])
    ann = Desk(Raw.signed_in(live, ann_user))
    adm = Raw.signed_in(live, shared_users["adm"])
    old, new = _new(), _new()
    assert _status(
        adm.push(
            (MutationType.MACRO_SAVE, _macro(old, "team", team_id=teams["a"])),
            (MutationType.CANNED_SAVE, _canned(new, "team", team_id=teams["b"])),
        )
    ) == ["applied", "applied"]
    ann.until(lambda held: ann.has(old))
    assert ann.has(old) and new not in ann.held
    _move(backend, ann_user, teams["b"])
    ann.until(lambda held: ann.has(new) and held.get(old) is None)
    assert ann.has(new)
    assert old in ann.held and ann.held[old] is None
    assert ann.raw.get(f"/api/v1/entities/macro/{old}").status_code == 404
    assert ann.raw.get(f"/api/v1/entities/canned_response/{new}").status_code == 200
    # A desk starting afresh (cursor 0) holds the same.
    fresh = Desk(ann.raw)
    fresh.until(lambda held: fresh.has(new))
    assert fresh.has(new) and not fresh.has(old)


def test_favourite_keys_are_the_users_own_row(live: ServerProcess, shared_users: Users) -> None:
    """``macro.key`` keeps the user's keys in one row that reaches only their desks; a key
    moves from the macro that held it; bad keys are refused, never a 500."""
    ann, bob = (Raw.signed_in(live, shared_users[n]) for n in ("ann", "bob"))
    me = shared_users["ann"].id
    one, two = _new(), _new()
    assert _status(
        ann.push(
            (MutationType.MACRO_KEY, {"macro_id": one, "key": 1}),
            (MutationType.MACRO_KEY, {"macro_id": two, "key": 2}),
            (MutationType.MACRO_KEY, {"macro_id": two, "key": 1}),  # takes 1 from the first
        )
    ) == ["applied", "applied", "applied"]
    fed = ann.latest(Entity.MACRO_KEYS, {me})
    assert fed[me]["keys"] == {two: 1} and fed[me]["owner_id"] == me
    # A second computer of Ann's starts with them; nobody else's desk ever sees them.
    again = Raw.signed_in(live, shared_users["ann"]).latest(Entity.MACRO_KEYS, {me})
    assert again[me]["keys"] == {two: 1}
    assert me not in {c["id"] for c in bob.pull_all()[0] if c["entity"] == Entity.MACRO_KEYS}
    assert bob.get(f"/api/v1/entities/macro_keys/{me}").status_code == 404
    assert ann.get(f"/api/v1/entities/macro_keys/{me}").json()["data"]["keys"] == {two: 1}
    assert _status(
        ann.push(
            (MutationType.MACRO_KEY, {"macro_id": two, "key": None}),
            (MutationType.MACRO_KEY, {"macro_id": one, "key": 10}),
            (MutationType.MACRO_KEY, {"macro_id": one, "key": "x"}),
            (MutationType.MACRO_KEY, {"macro_id": "", "key": 1}),
        )
    ) == ["applied", "invalid", "invalid", "invalid"]
    assert ann.get(f"/api/v1/entities/macro_keys/{me}").json()["data"]["keys"] == {}
