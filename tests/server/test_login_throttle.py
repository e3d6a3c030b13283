"""Failed logins are throttled per (user, client address) and per client address, over real
HTTP from several loopback addresses (127.0.0.x are distinct clients on Linux)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select, update

from csdesk.domain.enums import Role
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.types import utcnow
from tests.helpers.http import from_address
from tests.helpers.server import ServerProcess, TestUser, add_users

KIM = TestUser("kim", "kim-password", Role.AGENT)


def _login(
    client: requests.Session, server: ServerProcess, user: str, password: str, **kw: Any
) -> requests.Response:
    return client.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": user, "password": password},
        timeout=20,
        **kw,
    )


def _lockouts(server: ServerProcess) -> list[str]:
    assert server.log_path is not None
    return [line for line in server.log_path.read_text().splitlines() if "login locked" in line]


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(
    db_url: str, tmp_path: Path
) -> None:
    add_users(db_url, [KIM])
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    a, b = from_address("127.0.0.2"), from_address("127.0.0.3")
    try:
        codes = [_login(a, server, "kim", f"wrong-{n}").status_code for n in range(5)]
        assert codes == [401] * 5
        locked = _login(a, server, "kim", "kim-password")  # from A, even the right one waits
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        assert locked.json()["error"]["code"] == "throttled"
        # Kim, from an address that has not failed, signs in as usual ...
        assert _login(b, server, "kim", "kim-password").status_code == 200
        # ... and that does not unlock A.
        assert _login(a, server, "kim", "kim-password").status_code == 429
    finally:
        server.stop()
        a.close()
        b.close()
    lines = _lockouts(server)
    assert len(lines) == 1, lines  # one line per lockout, not per refused attempt
    assert "'kim'" in lines[0] and "127.0.0.2" in lines[0]


def test_spraying_many_user_names_from_one_address_locks_the_address(
    db_url: str, users: dict[str, TestUser], tmp_path: Path
) -> None:
    add_users(db_url, list(users.values()))
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    sprayer, colleague = from_address("127.0.0.4"), from_address("127.0.0.5")
    try:
        codes = []
        for n in range(36):
            # A client that is not a trusted proxy cannot pick its address by header.
            forged = {"X-Forwarded-For": f"198.51.100.{n}"}
            r = _login(sprayer, server, f"user-{n}", "Summer2026!", headers=forged)
            codes.append(r.status_code)
        assert codes[:30] == [401] * 30 and codes[30:] == [429] * 6, codes
        refused = _login(sprayer, server, "ann", "ann-password")
        assert refused.status_code == 429 and "this address" in refused.json()["error"]["message"]
        assert _login(colleague, server, "ann", "ann-password").status_code == 200
    finally:
        server.stop()
        sprayer.close()
        colleague.close()
    lines = _lockouts(server)
    assert len(lines) == 1 and re.search(r"address 127\.0\.0\.4 after 30 failures", lines[0])


def test_throttle_rows_for_unknown_names_expire(db_url: str, tmp_path: Path) -> None:
    add_users(db_url, [KIM])
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    client = from_address("127.0.0.6")
    engine = make_engine(db_url)

    def ghost_rows() -> int:
        with engine.connect() as conn:
            like = m.LoginThrottle.key.like("%ghost-%")
            return int(conn.scalar(select(func.count()).where(like)) or 0)

    try:
        for n in range(3):
            assert _login(client, server, f"ghost-{n}", "whatever-1").status_code == 401
        assert ghost_rows() == 3
        # Two hours pass with no failure under those names.
        with engine.begin() as conn:
            conn.execute(
                update(m.LoginThrottle).values(last_failure_at=utcnow() - timedelta(hours=2))
            )
        assert _login(client, server, "ghost-new", "whatever-1").status_code == 401
        assert ghost_rows() == 1  # only the new one is left
        with engine.connect() as conn:
            rows = {r.key: r.failures for r in conn.execute(select(m.LoginThrottle))}
        assert rows == {"u 127.0.0.6 ghost-new": 1, "a 127.0.0.6": 1}  # stale counts restart
    finally:
        engine.dispose()
        server.stop()
        client.close()


def test_a_long_user_name_still_fits_its_throttle_row(db_url: str, tmp_path: Path) -> None:
    """120 'İ' lower-case to 240 characters, past the 200 of login_throttle.key."""
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    client = from_address("127.0.0.7")
    try:
        for _ in range(2):
            assert _login(client, server, "İ" * 120, "whatever-1").status_code == 401
    finally:
        server.stop()
        client.close()
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = {r.key: r.failures for r in conn.execute(select(m.LoginThrottle))}
    finally:
        engine.dispose()
    (pair,) = [key for key in rows if key.startswith("u ")]
    assert len(pair) <= 200 and rows[pair] == 2


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_one_at_a_time(
    db_url: str, tmp_path: Path
) -> None:
    """Found by the outside review: every login of a burst passed the lock check before any
    failure was counted, so 24 parallel guesses from one address all reached argon2 (and a
    burst from one address could fill the shared hashing queue, so everyone else got 503)."""
    import threading

    add_users(db_url, [KIM])
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    clients = [from_address("127.0.0.8") for _ in range(24)]
    codes: list[int] = []
    start = threading.Barrier(len(clients))

    def guess(n: int) -> None:
        start.wait()
        codes.append(_login(clients[n], server, "kim", f"wrong-{n}").status_code)

    try:
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(codes) == len(clients)
        # Exactly the configured five guesses were checked; the rest were refused unchecked.
        assert codes.count(401) == 5 and codes.count(429) == len(clients) - 5, sorted(codes)
        with from_address("127.0.0.9") as other:
            assert _login(other, server, "kim", "kim-password").status_code == 200
    finally:
        server.stop()
        for c in clients:
            c.close()


def test_a_floor_behind_one_address_signs_in_at_once(db_url: str, tmp_path: Path) -> None:
    """Taking turns per address must not refuse a call centre behind one NAT address: twenty
    agents signing in together all get in (the turns are per user and address)."""
    import threading

    floor = [TestUser(f"agent{n}", f"agent{n}-password", Role.AGENT) for n in range(20)]
    add_users(db_url, floor)
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    clients = [from_address("127.0.0.10") for _ in floor]
    codes: list[int] = []
    start = threading.Barrier(len(clients))

    def sign_in(n: int) -> None:
        start.wait()
        user = floor[n]
        codes.append(_login(clients[n], server, user.username, user.password).status_code)

    try:
        threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert codes == [200] * len(floor), sorted(codes)
    finally:
        server.stop()
        for c in clients:
            c.close()
