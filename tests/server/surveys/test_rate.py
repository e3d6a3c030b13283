"""The survey page is rate-limited per client address like the other public endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.surveys.support import make_reachable, survey_message, token_in


@pytest.fixture
def strict_server(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    monkeypatch.setenv("CSDESK_SURVEY_RATE_PER_MINUTE", "3")
    monkeypatch.setenv("CSDESK_SURVEY_CHANNELS", "all")
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


def test_made_up_links_from_a_shared_address_do_not_lock_out_a_real_customer(
    strict_server: ServerProcess, db_url: str, users: dict[str, TestUser]
) -> None:
    """Customers behind one address (an office, a carrier's NAT) share it with the guesser:
    a link we signed spends its own survey's bucket, a made-up one the address's."""
    (made,) = make_reachable(db_url, 1)
    ann = Raw.signed_in(strict_server, users["ann"])
    (result,) = ann.push(
        ("conversation.set_status", {"conversation_id": made.conversation_id, "status": "resolved"})
    )
    assert result["status"] == "applied"
    token = token_in(survey_message(db_url, made.conversation_id).body_text)
    guesses = [
        requests.get(f"{strict_server.url}/survey/guess{n}.abc", timeout=10).status_code
        for n in range(4)
    ]
    assert guesses == [400, 400, 400, 429]
    assert requests.get(f"{strict_server.url}/survey/{token}", timeout=10).status_code == 200
    done = requests.post(f"{strict_server.url}/survey/{token}", data={"csat": "5"}, timeout=10)
    assert done.status_code == 200 and "Thank you" in done.text
