"""POST /api/v1/translate over real HTTP, against local LibreTranslate and DeepL fakes that check
the providers' documented requests; provider errors become clear codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels.egress import ENV_TRUSTED
from csdesk.server.channels.inbound import Handle, InboundMessage
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.channels.vault import ENV_KEY
from csdesk.server.cli import main
from csdesk.storage import models as m
from tests.helpers.fakes.base import DROP
from tests.helpers.fakes.translation import FakeDeepL, FakeLibreTranslate, rendered
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import new_sid, state_for
from tests.server.languages.test_detect import SAMPLES

pytestmark = pytest.mark.timeout(120)
LT_KEY = "lt-key-5a1f"
DEEPL_KEY = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9:fx"


@pytest.fixture
def lt() -> Iterator[FakeLibreTranslate]:
    fake = FakeLibreTranslate(LT_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def deepl() -> Iterator[FakeDeepL]:
    fake = FakeDeepL(DEEPL_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def live(
    monkeypatch: pytest.MonkeyPatch,
    lt: FakeLibreTranslate,
    deepl: FakeDeepL,
    db_url: str,
    users: dict[str, TestUser],
    tmp_path: Path,
) -> Iterator[ServerProcess]:
    """A server whose outbound rules exempt exactly the two fakes' origins."""
    monkeypatch.setenv(ENV_KEY, Fernet.generate_key().decode())
    monkeypatch.setenv(ENV_TRUSTED, f"{lt.url},{deepl.url}")
    monkeypatch.setenv("CSDESK_TRANSLATION_TIMEOUT", "1.5")
    add_users(db_url, list(users.values()))
    proc = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    yield proc
    proc.stop()


def _german_message(db_url: str, tmp_path: Path) -> str:
    state = state_for(db_url, tmp_path / "ingest")
    try:
        msg = InboundMessage(
            channel=Channel.SMS,
            provider_message_id=new_sid("p-"),
            sender_handle=Handle(IdentityKind.PHONE, "+4915100000001"),
            sender_name="Jana",
            text=SAMPLES["de"],
            sent_at=datetime.now(UTC),
        )
        with state.writes() as s:
            mid = ingest_message(s, msg).message_id
            s.commit()
        return mid
    finally:
        state.engine.dispose()


def _stored(db_url: str, tmp_path: Path, mid: str) -> list[Any]:
    state = state_for(db_url, tmp_path / "read")
    try:
        with state.reads() as s:
            row = s.get(m.Message, mid)
            assert row is not None
            return list(row.translations)
    finally:
        state.engine.dispose()


def _post(live: ServerProcess, token: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{live.url}/api/v1/translate",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _add(db_url: str, *args: str) -> None:
    assert main(["translation", "add", *args, "--db", db_url]) == 0


def test_libretranslate_translates_a_message_and_keeps_it(
    live: ServerProcess,
    lt: FakeLibreTranslate,
    users: dict[str, TestUser],
    db_url: str,
    tmp_path: Path,
) -> None:
    _add(db_url, "libretranslate", "--url", lt.url, "--api-key", LT_KEY)
    mid = _german_message(db_url, tmp_path)
    token = live.login(users["ann"])
    r = _post(live, token, {"message_id": mid, "target": "en"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["text"] == rendered(SAMPLES["de"], "en")
    assert (out["source"], out["target"], out["provider"]) == ("de", "en", "libretranslate")
    (sent,) = lt.requests
    assert sent.json() == {
        "q": SAMPLES["de"],
        "source": "de",  # the detected language of the message
        "target": "en",
        "format": "text",
        "api_key": LT_KEY,
    }
    assert lt.violations == []
    # Kept beside the original, for every desk; asking again replaces, not piles up.
    assert _post(live, token, {"message_id": mid, "target": "en"}).status_code == 200
    kept = _stored(db_url, tmp_path, mid)
    assert [(t["target"], t["text"], t["provider"]) for t in kept] == [
        ("en", rendered(SAMPLES["de"], "en"), "libretranslate")
    ]
    assert kept[0]["by"] and kept[0]["source"] == "de"
    # A trainee cannot reach a production message.
    trainee = live.login(users["tia"])
    assert _post(live, trainee, {"message_id": mid, "target": "en"}).json()["error"]["code"] == (
        "not_found"
    )


def test_deepl_translates_a_reply_draft_without_keeping_it(
    live: ServerProcess, deepl: FakeDeepL, users: dict[str, TestUser], db_url: str
) -> None:
    _add(db_url, "deepl", "--url", deepl.url, "--api-key", DEEPL_KEY)
    token = live.login(users["bob"])
    draft = "Your parcel left our warehouse this morning."
    r = _post(live, token, {"text": draft, "target": "de", "source": "en"})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == rendered(draft, "DE")
    r = _post(live, token, {"text": draft, "target": "pt"})
    assert r.json()["text"] == rendered(draft, "PT-PT")  # DeepL needs the variant
    first, second = deepl.requests
    assert first.headers["authorization"] == f"DeepL-Auth-Key {DEEPL_KEY}"
    assert first.json() == {"text": [draft], "target_lang": "DE", "source_lang": "EN"}
    assert second.json() == {"text": [draft], "target_lang": "PT-PT"}
    assert deepl.violations == []


@pytest.mark.parametrize(
    ("status", "code", "http", "words"),
    [
        (429, "translation_rate_limited", 429, "too many requests"),
        (456, "translation_quota_exceeded", 503, "quota is used up"),
        (503, "translation_unavailable", 502, "unavailable (HTTP 503)"),
        (403, "translation_not_authorized", 502, "refused the API key"),
        (DROP, "translation_unreachable", 502, "cannot be reached"),
    ],
)
def test_provider_errors_are_clear_codes(
    live: ServerProcess,
    deepl: FakeDeepL,
    users: dict[str, TestUser],
    db_url: str,
    status: int,
    code: str,
    http: int,
    words: str,
) -> None:
    _add(db_url, "deepl", "--url", deepl.url, "--api-key", DEEPL_KEY)
    token = live.login(users["ann"])
    deepl.fail(status)
    r = _post(live, token, {"text": "Hello there, how are you?", "target": "fr"})
    assert r.status_code == http
    err = r.json()["error"]
    assert err["code"] == code and words in err["message"]
    if status == 429:
        assert int(r.headers["Retry-After"]) >= 1


def test_a_provider_that_does_not_answer_times_out(
    live: ServerProcess, lt: FakeLibreTranslate, users: dict[str, TestUser], db_url: str
) -> None:
    _add(db_url, "libretranslate", "--url", lt.url, "--api-key", LT_KEY)
    token = live.login(users["ann"])
    lt.hold()
    try:
        r = _post(live, token, {"text": "Where is my parcel?", "target": "de"})
    finally:
        lt.release()
    assert r.status_code == 504 and r.json()["error"]["code"] == "translation_timeout"


def test_refusals(
    live: ServerProcess, users: dict[str, TestUser], db_url: str, tmp_path: Path
) -> None:
    token = live.login(users["ann"])
    r = _post(live, token, {"text": "Hello", "target": "de"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "translation_not_configured"
    assert _post(live, token, {"target": "de"}).status_code == 422
    assert _post(live, token, {"text": "x", "message_id": "y", "target": "de"}).status_code == 422
    assert _post(live, token, {"text": "x", "target": "../../x"}).status_code == 422
    assert _post(live, token, {"text": "x" * 5001, "target": "de"}).status_code == 422
    assert _post(live, token, {"text": "a\x00b", "target": "de"}).status_code == 422
    assert requests.post(f"{live.url}/api/v1/translate", json={}, timeout=10).status_code == 401
    # A provider on a private address the operator did not exempt is never contacted.
    _add(db_url, "libretranslate", "--url", "https://127.0.0.1:9", "--name", "a-local")
    r = _post(live, token, {"text": "Hello", "target": "de"})
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "translation_refused_address"
    # Per user, at most 30 a minute.
    codes = [_post(live, token, {"text": "Hi", "target": "de"}).status_code for _ in range(30)]
    assert codes[-1] == 429 and 429 not in codes[:25]


def test_cli_keeps_the_key_encrypted_and_lists_without_it(
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_KEY, Fernet.generate_key().decode())
    state = state_for(db_url, tmp_path / "cli")  # migrated database
    state.engine.dispose()
    _add(db_url, "deepl", "--api-key", DEEPL_KEY)
    assert main(["translation", "add", "libretranslate", "--db", db_url]) == 2  # no --url
    assert main(["translation", "add", "libretranslate", "--url", "ftp://x", "--db", db_url]) == 2
    capsys.readouterr()
    assert main(["translation", "list", "--db", db_url]) == 0
    listing = capsys.readouterr().out
    assert "deepl: deepl (enabled)" in listing and DEEPL_KEY not in listing
    state = state_for(db_url, tmp_path / "cli")
    try:
        with state.reads() as s:
            row = s.get(m.TranslationConnection, "deepl")
            assert row is not None and DEEPL_KEY not in row.secrets
    finally:
        state.engine.dispose()
    assert main(["translation", "remove", "deepl", "--db", db_url]) == 0
    assert main(["translation", "remove", "deepl", "--db", db_url]) == 1
