"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# Qt without a display aborts the process: default to offscreen unless a test runs under Xvfb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from csdesk.domain.enums import Role
from tests.helpers.requirements import require
from tests.helpers.server import (
    ServerProcess,
    TestUser,
    add_users,
    postgres_admin_url,
    postgres_database,
    sqlite_database,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every test that takes ``db_url`` runs on SQLite, and on PostgreSQL when the environment
    # names one (CI does); under CI=true a missing PostgreSQL fails instead of skipping.
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
    if "blank_db_url" in metafunc.fixturenames:
        metafunc.parametrize("blank_db_url", ["sqlite", "postgresql"], indirect=True)
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True, scope="module")


@contextmanager
def _database(kind: str, directory: Path, *, migrated: bool = True) -> Iterator[str]:
    """A fresh database: at the migrations' head (copied from a template made once per test
    process), or empty with ``migrated=False``."""
    if kind == "sqlite":
        yield sqlite_database(directory / "server.db", migrated=migrated)
        return
    if not postgres_admin_url():
        require(False, "PostgreSQL tests need CSDESK_TEST_POSTGRES_URL")
    with postgres_database(migrated=migrated) as url:
        yield url


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the migrations' head, no rows, for one test."""
    with _database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no migrations run), for tests of the migrations."""
    with _database(request.param, tmp_path, migrated=False) as url:
        yield url


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database, for what only PostgreSQL does (several server processes)."""
    with _database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database shared by one module's tests (they must not depend on each other's data)."""
    with _database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


def _users() -> dict[str, TestUser]:
    return {
        "ann": TestUser("ann", "ann-password", Role.AGENT),
        "bob": TestUser("bob", "bob-password", Role.AGENT),
        "tia": TestUser("tia", "tia-password", Role.TRAINEE),
        "sue": TestUser("sue", "sue-password", Role.SUPERVISOR),
        "adm": TestUser("adm", "adm-password", Role.ADMIN),
    }


@pytest.fixture
def users() -> dict[str, TestUser]:
    return _users()


@pytest.fixture(scope="module")
def shared_users() -> dict[str, TestUser]:
    return _users()


@pytest.fixture(scope="module")
def live(
    backend: str, shared_users: dict[str, TestUser], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One live server per module on the ``backend`` database, with ``shared_users``."""
    add_users(backend, list(shared_users.values()))
    proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "server.log").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def chat_closed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live-chat opening hours that fall on another day, for servers started after this."""
    other = (datetime.now(UTC) + timedelta(days=3)).strftime("%a")
    monkeypatch.setenv("CSDESK_CHAT_HOURS", f"{other} 00:00-24:00")


@pytest.fixture
def closed_chat_server(chat_closed_now: None, server: ServerProcess) -> ServerProcess:
    """A live server whose live chat is closed now (the hours are set before it starts)."""
    return server


@pytest.fixture
def server(db_url: str, users: dict[str, TestUser], tmp_path: Path) -> Iterator[ServerProcess]:
    """A live server on ``db_url`` with the test users."""
    add_users(db_url, list(users.values()))
    proc = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        yield proc
    finally:
        proc.stop()
