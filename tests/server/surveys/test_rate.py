"""The survey page is rate-limited per client address like the other public endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers.server import ServerProcess, TestUser, add_users


@pytest.fixture
def strict_server(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    monkeypatch.setenv("CSDESK_SURVEY_RATE_PER_MINUTE", "3")
    add_users(db_url, list(users.values()))
    proc = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        yield proc
    finally:
        proc.stop()


def test_a_guesser_is_slowed_down(strict_server: ServerProcess) -> None:
    answers = [
        requests.get(f"{strict_server.url}/survey/guess{n}.abc", timeout=10) for n in range(4)
    ]
    assert [r.status_code for r in answers] == [400, 400, 400, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "try again" in answers[-1].text
    assert requests.post(f"{strict_server.url}/survey/x.y", timeout=10).status_code == 429
