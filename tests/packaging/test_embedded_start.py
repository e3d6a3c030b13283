"""The embedded default starts ONE server child, which seeds the demo store only into a
database with no users and then serves (issue 10 item 6: a separate ``seed-demo`` child cost
1–1.5 s of every start, even when it had nothing to do)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from csdesk import embedded
from csdesk.domain.enums import Role
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.server import TestUser, add_users


def _usernames(db_url: str) -> set[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(m.User.username)))
    finally:
        engine.dispose()


def test_spawn_starts_one_child_that_seeds_and_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def popen(args: list[str], *a: Any, **kw: Any) -> Any:
        started.append(list(args))
        return real_popen(args, *a, **kw)

    def no_run(*_a: Any, **_kw: Any) -> Any:
        raise AssertionError("no separate child may run before the server")

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(subprocess, "run", no_run)
    server = embedded.spawn(tmp_path)
    try:
        assert len(started) == 1
        assert "serve" in started[0] and "--seed-demo-if-empty" in started[0]
        embedded.wait_ready(server, timeout=90)
        login = requests.post(
            f"{server.url}/api/v1/auth/login",
            json={"username": embedded.DEMO_USER, "password": embedded.DEMO_PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200  # the demo store is there
    finally:
        server.stop()
    assert len(started) == 1
    assert {u for u, _r in embedded.DEMO_USERS} <= _usernames(server.db_url)


def test_a_database_with_users_is_not_seeded(tmp_path: Path) -> None:
    db_url = f"sqlite+pysqlite:///{tmp_path / 'embedded-server.db'}"
    add_users(db_url, [TestUser("ann", "ann-password", Role.AGENT)])
    server = embedded.start(tmp_path, timeout=90)
    try:
        assert server.db_url == db_url
    finally:
        server.stop()
    assert _usernames(db_url) == {"ann"}
