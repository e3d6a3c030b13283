"""One live server per module with a known secret key (so tests can sign survey links)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from tests.helpers.server import ServerProcess, TestUser, add_users


@pytest.fixture(scope="module")
def secret_key() -> Iterator[str]:
    """CSDESK_SECRET_KEY for this process and the servers it starts (they inherit it)."""
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, key)
        mp.setenv("CSDESK_SURVEY_CHANNELS", "all")
        mp.setenv("CSDESK_SURVEY_EVERY_DAYS", "14")
        mp.setenv("CSDESK_SURVEY_RATE_PER_MINUTE", "100000")  # tests/…/test_rate.py tries it
        yield key


@pytest.fixture(scope="module")
def srv(
    backend: str,
    shared_users: dict[str, TestUser],
    secret_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    add_users(backend, list(shared_users.values()))
    proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "server.log").start()
    try:
        yield proc
    finally:
        proc.stop()
    log = (proc.log_path.read_text(errors="replace")) if proc.log_path else ""
    assert "Traceback" not in log, log[-3000:]
