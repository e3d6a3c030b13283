"""The in-memory token cache: fewer database reads, never a revoked token accepted.

The servers here keep a checked token for an hour (CSDESK_AUTH_CACHE_SECONDS), so a refusal
can only come from invalidation, not from the entry running out.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csdesk.domain.enums import Role
from csdesk.server.app import create_app
from csdesk.server.auth.cache import INVALID, AuthCache, Verdict
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users, serve_in_thread

HOUR = "3600"


def _user(user_id: str = "u1", role: str = "agent") -> m.User:
    return m.User(id=user_id, username=user_id, display_name=user_id, role=role, active=True)


class FakeTokens:
    """A lookup that counts its calls and knows some token hashes."""

    def __init__(self, known: dict[str, Verdict]) -> None:
        self.known = known
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.gate: threading.Event | None = None  # set: lookups wait for it

    def __call__(self, hashes: Sequence[str]) -> dict[str, Verdict]:
        self.calls.append(list(hashes))
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        return {h: self.known[h] for h in hashes if h in self.known}


def _later(hours: float = 1) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def test_concurrent_misses_are_one_read_and_hits_none() -> None:
    known = {f"t{n}": Verdict(_user(f"u{n}"), "", _later()) for n in range(50)}
    tokens = FakeTokens(known)
    cache = AuthCache(3600, tokens)

    async def run() -> None:
        first = await asyncio.gather(*(cache.check(f"t{n}") for n in range(50)), cache.check("t0"))
        assert [u.id for u, _ in first if u is not None] == [f"u{n}" for n in range(50)] + ["u0"]
        assert len(tokens.calls) == 1 and sorted(tokens.calls[0]) == sorted(known)
        again = await asyncio.gather(*(cache.check(f"t{n}") for n in range(50)))
        assert all(u is not None for u, _ in again)
        assert len(tokens.calls) == 1  # all from memory

    asyncio.run(run())


def test_unknown_revoked_and_expired_tokens_are_refused_even_when_cached() -> None:
    tokens = FakeTokens(
        {
            "old": Verdict(_user(), "", datetime.now(UTC) - timedelta(seconds=1)),
            "revoked": INVALID,
        }
    )
    cache = AuthCache(3600, tokens)

    async def run() -> None:
        assert await cache.check("nope") == (None, "token_invalid")
        assert await cache.check("revoked") == (None, "token_invalid")
        assert await cache.check("old") == (None, "token_expired")
        assert await cache.check("nope") == (None, "token_invalid")
        assert len(tokens.calls) == 4  # refusals are not kept

    asyncio.run(run())


def test_invalidation_drops_a_users_tokens_and_a_read_racing_it_is_not_kept() -> None:
    tokens = FakeTokens(
        {"a": Verdict(_user("ua"), "", _later()), "b": Verdict(_user("ub"), "", _later())}
    )
    cache = AuthCache(3600, tokens)

    async def run() -> None:
        await asyncio.gather(cache.check("a"), cache.check("b"))
        cache.invalidate(["ua"])
        tokens.known["a"] = INVALID  # logged out
        assert await cache.check("a") == (None, "token_invalid")
        assert (await cache.check("b"))[0] is not None
        assert len(tokens.calls) == 2  # b still from memory

        # A read that started before an invalidation answers, but is not kept.
        tokens.known["c"] = Verdict(_user("uc"), "", _later())
        tokens.gate, tokens.entered = threading.Event(), threading.Event()
        pending = asyncio.ensure_future(cache.check("c"))
        assert await asyncio.to_thread(tokens.entered.wait, 30)  # the read is under way
        cache.invalidate(["someone-else"])
        tokens.gate.set()
        assert (await pending)[0] is not None
        assert len(cache) == 1  # only b

    asyncio.run(run())


def test_an_untrusted_cache_keeps_nothing() -> None:
    tokens = FakeTokens({"a": Verdict(_user(), "", _later())})
    cache = AuthCache(3600, tokens, trusted=False)

    async def run() -> None:
        await cache.check("a")
        await cache.check("a")
        assert len(tokens.calls) == 2
        cache.set_trusted(True)
        await cache.check("a")
        await cache.check("a")
        assert len(tokens.calls) == 3

    asyncio.run(run())


@pytest.fixture
def long_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSDESK_AUTH_CACHE_SECONDS", HOUR)


def test_logout_and_revocation_are_refused_at_once(
    long_cache: None, server: ServerProcess, users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(server, users["ann"])
    assert ann.get("/api/v1/auth/me").status_code == 200  # now cached
    assert ann.post("/api/v1/auth/logout").status_code == 204
    assert ann.get("/api/v1/auth/me").status_code == 401

    bob1 = Raw.signed_in(server, users["bob"])
    bob2 = Raw.signed_in(server, users["bob"])
    assert bob1.get("/api/v1/auth/me").status_code == bob2.get("/api/v1/auth/me").status_code == 200
    admin = Raw.signed_in(server, users["adm"])
    r = admin.post(f"/api/v1/admin/users/{users['bob'].id}/revoke-tokens")
    assert r.status_code == 200
    assert bob1.get("/api/v1/changes").status_code == 401
    assert bob2.get("/api/v1/auth/me").status_code == 401


@pytest.fixture
def in_process(
    db_url: str, users: dict[str, TestUser], tmp_path: Path
) -> Iterator[tuple[ServerState, str]]:
    add_users(db_url, list(users.values()))
    app = create_app(ServerConfig(db_url=db_url, data_dir=tmp_path, auth_cache_seconds=3600))
    with serve_in_thread(app) as url:
        yield app.state.csdesk, url


def test_role_change_and_deactivation_apply_at_once(
    in_process: tuple[ServerState, str], users: dict[str, TestUser]
) -> None:
    state, url = in_process
    sue = Raw(url, _login(url, users["sue"]))
    ann = Raw(url, _login(url, users["ann"]))
    assert sue.get("/api/v1/admin/users").status_code == 200  # a supervisor may list
    assert ann.get("/api/v1/auth/me").json()["role"] == "agent"
    reads = state.auth.lookups
    assert ann.get("/api/v1/auth/me").status_code == 200
    assert state.auth.lookups == reads  # from memory

    with state.writes() as s:
        s.get_one(m.User, users["sue"].id).role = Role.AGENT.value
        s.get_one(m.User, users["ann"].id).active = False
        s.commit()
    assert sue.get("/api/v1/admin/users").status_code == 403
    assert ann.get("/api/v1/auth/me").status_code == 401


def _login(url: str, user: TestUser) -> str:
    r = Raw(url).post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def _refused_soon(client: Raw, deadline: float = 20.0) -> int:
    """The status of /me once it is refused, or the last one after ``deadline`` seconds (a
    NOTIFY arrives in milliseconds; the entry itself would live an hour)."""
    end = time.monotonic() + deadline
    status = client.get("/api/v1/auth/me").status_code
    while status == 200 and time.monotonic() < end:
        time.sleep(0.05)
        status = client.get("/api/v1/auth/me").status_code
    return status


def test_logout_on_one_process_is_refused_on_the_other(
    long_cache: None, pg_url: str, tmp_path: Path
) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    bob = TestUser("bob", "bob-password", Role.AGENT)
    adm = TestUser("adm", "adm-password", Role.ADMIN)
    add_users(pg_url, [ann, bob, adm])
    one = ServerProcess(pg_url, log_path=tmp_path / "one.log").start()
    two = ServerProcess(pg_url, log_path=tmp_path / "two.log").start()
    try:
        token = one.login(ann)
        on_one, on_two = Raw(one.url, token), Raw(two.url, token)
        assert on_two.get("/api/v1/auth/me").status_code == 200  # cached on two
        assert on_one.post("/api/v1/auth/logout").status_code == 204
        assert _refused_soon(on_two) == 401

        bob_on_two = Raw(two.url, one.login(bob))
        assert bob_on_two.get("/api/v1/auth/me").status_code == 200
        admin = Raw.signed_in(one, adm)
        assert admin.post(f"/api/v1/admin/users/{bob.id}/revoke-tokens").status_code == 200
        assert _refused_soon(bob_on_two) == 401
    finally:
        one.stop()
        two.stop()


def test_each_check_hands_out_its_own_user() -> None:
    """A request that changes its user object changes neither the cached verdict nor what
    another request with the same token sees (the objects are not shared)."""
    cache = AuthCache(3600, FakeTokens({"t": Verdict(_user("u1", "agent"), "", _later())}))

    async def run() -> None:
        first, _ = await cache.check("t")
        assert first is not None
        first.role = Role.SUPERVISOR.value
        second, _ = await cache.check("t")
        assert second is not None and second is not first
        assert second.role == Role.AGENT.value
        assert second.id == "u1" and second.active

    asyncio.run(run())


def test_tokens_and_users_changed_through_any_orm_write_are_dropped(
    in_process: tuple[ServerState, str], users: dict[str, TestUser]
) -> None:
    """Not only logout/revoke_all: a token revoked or deleted as an object, and a bulk
    UPDATE of users (no objects named), are refused at once."""
    from sqlalchemy import delete, select, update

    state, url = in_process
    ann = Raw(url, _login(url, users["ann"]))
    bob = Raw(url, _login(url, users["bob"]))
    sue = Raw(url, _login(url, users["sue"]))
    for client in (ann, bob, sue):
        assert client.get("/api/v1/auth/me").status_code == 200  # now cached
    with state.writes() as s:
        token = s.scalars(select(m.AuthToken).where(m.AuthToken.user_id == users["ann"].id)).one()
        token.revoked_at = datetime.now(UTC)
        s.commit()
    assert ann.get("/api/v1/auth/me").status_code == 401
    with state.writes() as s:
        s.execute(delete(m.AuthToken).where(m.AuthToken.user_id == users["bob"].id))
        s.commit()
    assert bob.get("/api/v1/auth/me").status_code == 401
    with state.writes() as s:
        s.execute(update(m.User).where(m.User.id == users["sue"].id).values(active=False))
        s.commit()
    assert sue.get("/api/v1/auth/me").status_code == 401


def test_a_role_or_deactivation_written_by_another_process_applies_on_the_server(
    long_cache: None, pg_url: str, tmp_path: Path
) -> None:
    """A user row changed by another process's write session (the CLI builds the same
    ServerState) reaches a running server through NOTIFY: the old role is refused there."""
    sue = TestUser("sue", "sue-password", Role.SUPERVISOR)
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(pg_url, [sue, ann])
    server = ServerProcess(pg_url, log_path=tmp_path / "server.log").start()
    other = ServerState.build(ServerConfig(db_url=pg_url, listen_notify=False, data_dir=tmp_path))
    try:
        as_sue = Raw(server.url, server.login(sue))
        as_ann = Raw(server.url, server.login(ann))
        assert as_sue.get("/api/v1/admin/users").status_code == 200  # cached as supervisor
        assert as_ann.get("/api/v1/auth/me").json()["role"] == "agent"
        with other.writes() as s:
            s.get_one(m.User, sue.id).role = Role.AGENT.value
            s.get_one(m.User, ann.id).role = Role.TRAINEE.value
            s.commit()
        end = time.monotonic() + 20
        while as_sue.get("/api/v1/admin/users").status_code == 200 and time.monotonic() < end:
            time.sleep(0.05)
        assert as_sue.get("/api/v1/admin/users").status_code == 403
        assert as_ann.get("/api/v1/auth/me").json()["role"] == "trainee"
        with other.writes() as s:
            s.get_one(m.User, ann.id).active = False
            s.commit()
        assert _refused_soon(as_ann) == 401
    finally:
        server.stop()
        other.engine.dispose()


def test_a_flood_of_forged_tokens_keeps_nothing_and_evicts_no_real_one() -> None:
    tokens = FakeTokens({"real": Verdict(_user("u1"), "", _later())})
    cache = AuthCache(3600, tokens)

    async def run() -> None:
        assert (await cache.check("real"))[0] is not None
        forged = await asyncio.gather(*(cache.check(f"forged{n}") for n in range(3000)))
        assert all(user is None and why == "token_invalid" for user, why in forged)
        assert len(cache) == 1  # refusals take no room
        assert len(tokens.calls) == 2 and len(tokens.calls[1]) == 3000  # one batched read
        reads = len(tokens.calls)
        assert (await cache.check("real"))[0] is not None
        assert len(tokens.calls) == reads  # the real one still from memory

    asyncio.run(run())
