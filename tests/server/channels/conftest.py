"""Fixtures for the channel tests: a channel key, the fake providers, a connected live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import Desk, Fakes, live_desk


@pytest.fixture(scope="module")
def channel_key() -> Iterator[str]:
    """CSDESK_SECRET_KEY for this process and the servers it starts (they inherit it)."""
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, key)
        yield key


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    running = Fakes.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def desk_module(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """One live server per module with every channel connected to the fakes."""
    with live_desk(backend, shared_users, fakes, tmp_path_factory) as desk:
        yield desk


@pytest.fixture
def desk(desk_module: Desk) -> Desk:
    """The module's server with the fakes reset (no faults, no recorded requests)."""
    desk_module.fakes.clear()
    return desk_module


@pytest.fixture
def bare_server(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, channel_key: str
) -> Iterator[ServerProcess]:
    """A live server with no channel configured."""
    add_users(db_url, list(users.values()))
    proc = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        yield proc
    finally:
        proc.stop()
