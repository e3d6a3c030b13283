"""A login checks its password (argon2) outside any database transaction, a bounded number
at a time. The server runs in this process so a hook can hold a password check mid-way."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event

from csdesk.server.app import create_app
from csdesk.server.auth import passwords
from csdesk.server.config import ServerConfig
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw, from_address
from tests.helpers.server import TestUser, add_users, serve_in_thread
from tests.server.channels.support import wait_until

#: A bound for waiting on something that happens in milliseconds when the code is right.
PATIENCE = 20.0


class HeldVerify:
    """Replaces the password check: each call notes how many database transactions its
    thread has open, then waits until released."""

    def __init__(self, app: Any, open_tx: Counter[int]) -> None:
        self.app = app
        self.open_tx = open_tx
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        self.open_in_verify: list[int] = []
        self._real = passwords.verify_password

    def __call__(self, stored: str | None, password: str) -> bool:
        self.open_in_verify.append(self.open_tx[threading.get_ident()])
        self.entered.release()
        self.release.wait(PATIENCE * 2)
        return self._real(stored, password)


@contextmanager
def server_with_held_verify(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **config: Any
) -> Iterator[tuple[str, HeldVerify]]:
    app = create_app(
        ServerConfig(db_url=db_url, listen_notify=False, data_dir=tmp_path / "data", **config)
    )
    engine = app.state.csdesk.engine
    open_tx: Counter[int] = Counter()

    @event.listens_for(engine, "begin")
    def _begin(_conn: Any) -> None:
        open_tx[threading.get_ident()] += 1

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(_conn: Any) -> None:
        open_tx[threading.get_ident()] -= 1

    hook = HeldVerify(app, open_tx)
    with serve_in_thread(app) as url:
        try:
            yield url, hook
        finally:
            hook.release.set()


def _token(url: str, user: TestUser) -> str:
    r = requests.post(
        f"{url}/api/v1/auth/login",
        json={"username": user.username, "password": user.password},
        timeout=PATIENCE,
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


_SOURCES = itertools.count(2)


def _login_in_thread(url: str, user: TestUser, out: list[requests.Response]) -> threading.Thread:
    """A login from an address of its own (logins from one address take turns)."""
    client = from_address(f"127.0.1.{next(_SOURCES)}")

    def run() -> None:
        with client:
            out.append(
                client.post(
                    f"{url}/api/v1/auth/login",
                    json={"username": user.username, "password": user.password},
                    timeout=PATIENCE * 3,
                )
            )

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_push_commits_while_a_login_is_checking_its_password(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_users(db_url, list(users.values()))
    (made,) = make_conversations(db_url, 1)
    with server_with_held_verify(db_url, tmp_path, monkeypatch) as (url, hook):
        ann = Raw(url, _token(url, users["ann"]))
        monkeypatch.setattr(passwords, "verify_password", hook)
        done: list[requests.Response] = []
        stranger = TestUser("nobody", "guess-1234", users["bob"].role)
        logins = [_login_in_thread(url, u, done) for u in (users["bob"], stranger)]
        for _ in logins:
            assert hook.entered.acquire(timeout=PATIENCE), "no login reached the password check"
        # Both checks are held mid-way: their threads have no transaction open ...
        assert hook.open_in_verify == [0, 0]
        # ... and an agent's write commits meanwhile (on SQLite: nobody holds the writer lock).
        pushed: list[list[Any]] = []
        edit = {"customer_id": made.customer_id, "fields": {"phone": "+4915112345678"}}
        pusher = threading.Thread(target=lambda: pushed.append(ann.push(("customer.update", edit))))
        pusher.start()
        pusher.join(PATIENCE)
        committed = not pusher.is_alive()
        hook.release.set()
        for thread in logins:
            thread.join(PATIENCE * 3)
        pusher.join(PATIENCE * 3)
    assert committed, "a write waited for a login's password check"
    assert pushed and pushed[0][0]["status"] == "applied", pushed
    assert sorted(r.status_code for r in done) == [200, 401]


def test_logins_beyond_the_hashing_slots_and_queue_are_told_to_retry(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_users(db_url, list(users.values()))
    config = {"login_hash_slots": 1, "login_hash_queue": 1}
    with server_with_held_verify(db_url, tmp_path, monkeypatch, **config) as (url, hook):
        monkeypatch.setattr(passwords, "verify_password", hook)
        done: list[requests.Response] = []
        first = _login_in_thread(url, users["ann"], done)
        assert hook.entered.acquire(timeout=PATIENCE)  # the one slot is busy hashing
        second = _login_in_thread(url, users["bob"], done)
        gate = hook.app.state.login_hash_gate
        wait_until(lambda: gate.admitted == 2 or None, PATIENCE, "the second login to queue")
        # The slot and the queue are full: the next login is refused at once, not piled up.
        third = from_address("127.0.2.1").post(
            f"{url}/api/v1/auth/login",
            json={"username": "sue", "password": "sue-password"},
            timeout=PATIENCE,
        )
        assert third.status_code == 503 and third.json()["error"]["code"] == "busy"
        assert third.headers["Retry-After"] == "1"
        assert hook.open_in_verify == [0]  # still only the first one inside argon2
        hook.release.set()
        for thread in (first, second):
            thread.join(PATIENCE * 3)
    assert [r.status_code for r in done] == [200, 200]
