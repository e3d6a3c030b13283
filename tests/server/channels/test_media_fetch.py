"""Files customers send by MMS, WhatsApp, Messenger and Telegram are downloaded in the background
and agents open them through the real download route, like email attachments."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from csdesk.domain.enums import Role
from csdesk.server.channels import egress, media_fetch, telegram
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.channels.media_fetch import FetchError, MediaFetcher
from csdesk.server.channels.runtime import ChannelRuntime
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.fakes import FakeTwilio
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    Desk,
    Fakes,
    configure,
    live_desk,
    messaging_event,
    new_sid,
    sms_params,
    state_for,
    telegram_update,
    wait_until,
    whatsapp_message,
)

LIMIT = 64 * 1024  # --max-attachment-bytes of every connection in this module
ATTEMPTS = 3


@pytest.fixture(scope="module")
def media_desk(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    with live_desk(
        backend,
        shared_users,
        fakes,
        tmp_path_factory,
        max_attachment_bytes=LIMIT,
        max_attempts=ATTEMPTS,
        retry_seconds=0.1,
    ) as desk:
        yield desk


@pytest.fixture
def desk(media_desk: Desk) -> Desk:
    media_desk.fakes.clear()
    return media_desk


def _number() -> str:
    return f"+1415555{random.randrange(10_000):04d}"


def _finished(desk: Desk, provider_id: str) -> dict[str, Any]:
    """The message once every attachment is stored or failed (as a desk sees it)."""

    def probe() -> dict[str, Any] | None:
        msg = desk.message_by_provider_id(provider_id)
        if msg is None or not msg["attachments"]:
            return None
        return msg if all(a.get("fetch") for a in msg["attachments"]) else None

    return wait_until(probe, 30, f"the media of {provider_id}")


def _opened(desk: Desk, msg: dict[str, Any], index: int = 0) -> tuple[bytes, str, str]:
    r = desk.agent.get(f"/api/v1/messages/{msg['id']}/attachments/{index}")
    assert r.status_code == 200, r.text
    return r.content, r.headers["content-type"], r.headers["content-disposition"]


def _no_violations(desk: Desk) -> None:
    for fake in desk.fakes.all():
        assert not fake.violations, fake.violations


def test_mms_media_is_downloaded_with_basic_auth_and_opened_by_an_agent(desk: Desk) -> None:
    photo = os.urandom(5000)
    url = desk.fakes.twilio.add_media(photo, "image/jpeg")
    sid = new_sid("MM")
    params = sms_params(
        sid,
        _number(),
        "the broken lid",
        NumMedia="1",
        MediaUrl0=url,
        MediaContentType0="image/jpeg",
    )
    assert desk.twilio("/webhooks/twilio/sms", params).status_code == 200
    msg = _finished(desk, sid)
    entry = msg["attachments"][0]
    assert entry["fetch"] == "stored" and entry["size"] == len(photo)
    assert entry["provider_file_id"] == url and entry["filename"].endswith(".jpg")
    data, ctype, disposition = _opened(desk, msg)
    assert data == photo and ctype == "image/jpeg"
    assert entry["filename"] in disposition
    # Basic auth on the API host, then Twilio's redirect to its storage was followed.
    paths = [r.path for r in desk.fakes.twilio.requests]
    assert any("/Media/" in p for p in paths) and any(p.startswith("/media-cdn/") for p in paths)
    _no_violations(desk)


def test_whatsapp_cloud_media_is_looked_up_then_downloaded(desk: Desk) -> None:
    pdf = b"%PDF-1.4 " + os.urandom(3000)
    media_id = desk.fakes.graph.add_media(pdf, "application/pdf")
    wamid = "wamid." + new_sid("HBg")
    payload = whatsapp_message(wamid, _number()[1:], "")
    event = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    event.pop("text")
    event.update(
        type="document",
        document={"id": media_id, "mime_type": "application/pdf", "filename": "receipt.pdf"},
    )
    assert desk.meta(payload).status_code == 200
    msg = _finished(desk, wamid)
    assert msg["attachments"][0]["fetch"] == "stored"
    data, ctype, disposition = _opened(desk, msg)
    assert data == pdf and ctype == "application/pdf" and "receipt.pdf" in disposition
    gets = [r for r in desk.fakes.graph.requests if r.method == "GET"]
    assert [r.path.rsplit("/", 1)[-1] for r in gets][:1] == [media_id]
    assert all(r.headers.get("authorization") for r in gets)
    _no_violations(desk)


def test_messenger_attachment_url_is_fetched_plainly(desk: Desk) -> None:
    image = os.urandom(2048)
    url = desk.fakes.graph.add_cdn_file(image, "image/png", "screenshot.png")
    mid = "m_" + new_sid("")
    payload = messaging_event("page", str(random.randrange(10**15)), mid, "see this")
    payload["entry"][0]["messaging"][0]["message"]["attachments"] = [
        {"type": "image", "payload": {"url": url}}
    ]
    assert desk.meta(payload).status_code == 200
    msg = _finished(desk, mid)
    data, ctype, _ = _opened(desk, msg)
    assert data == image and ctype == "image/png"
    cdn = [r for r in desk.fakes.graph.requests if r.path.endswith("screenshot.png")]
    assert len(cdn) == 1 and "authorization" not in cdn[0].headers
    _no_violations(desk)


def _telegram_document(file_id: str, chat: int) -> dict[str, Any]:
    update = telegram_update(random.randrange(10**9), chat, random.randrange(10**6), "")
    message = update["message"]
    message.pop("text")
    message["caption"] = "my invoice"
    message["document"] = {
        "file_id": file_id,
        "file_unique_id": file_id[-6:],
        "file_name": "invoice.pdf",
        "mime_type": "application/pdf",
    }
    return update


def test_telegram_file_redelivered_webhook_is_downloaded_once(desk: Desk) -> None:
    doc = b"%PDF-1.7 " + os.urandom(4000)
    file_id = desk.fakes.telegram.add_file(doc, f"documents/file_{new_sid('')}.pdf")
    chat = random.randrange(10**9)
    update = _telegram_document(file_id, chat)
    for _ in range(3):  # the original and two redeliveries
        assert desk.telegram(update).status_code == 200
    pid = f"{chat}:{update['message']['message_id']}"
    msg = _finished(desk, pid)
    data, ctype, disposition = _opened(desk, msg)
    assert data == doc and ctype == "application/pdf" and "invoice.pdf" in disposition
    paths = [r.path for r in desk.fakes.telegram.requests]
    assert sum(p.endswith("/getFile") for p in paths) == 1
    assert sum(p.startswith("/file/") for p in paths) == 1
    _no_violations(desk)


def test_provider_down_is_retried_then_failed_with_a_reason(desk: Desk) -> None:
    url = desk.fakes.twilio.add_media(b"never arrives", "image/gif")
    desk.fakes.twilio.down(503)
    sid = new_sid("MM")
    params = sms_params(
        sid, _number(), "", NumMedia="1", MediaUrl0=url, MediaContentType0="image/gif"
    )
    assert desk.twilio("/webhooks/twilio/sms", params).status_code == 200
    msg = _finished(desk, sid)
    desk.fakes.twilio.down(None)
    entry = msg["attachments"][0]
    assert entry["fetch"] == "failed" and entry["sha256"] is None
    assert "Twilio answered HTTP 503" in entry["fetch_error"]
    assert f"after {ATTEMPTS} attempts" in entry["fetch_error"]
    assert len([r for r in desk.fakes.twilio.requests if "/Media/" in r.path]) == ATTEMPTS
    r = desk.agent.get(f"/api/v1/messages/{msg['id']}/attachments/0")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_stored"


def test_oversized_media_is_refused_with_a_reason(desk: Desk) -> None:
    url = desk.fakes.twilio.add_media(os.urandom(LIMIT + 1), "video/mp4")
    sid = new_sid("MM")
    params = sms_params(
        sid, _number(), "video", NumMedia="1", MediaUrl0=url, MediaContentType0="video/mp4"
    )
    assert desk.twilio("/webhooks/twilio/sms", params).status_code == 200
    entry = _finished(desk, sid)["attachments"][0]
    assert entry["fetch"] == "failed" and entry["sha256"] is None
    assert "larger than the server's limit" in entry["fetch_error"]
    # Refused at once: no retries of something that can never fit.
    assert len([r for r in desk.fakes.twilio.requests if "/Media/" in r.path]) == 1


# --- in process ------------------------------------------------------------------------------


def test_wrong_credentials_are_a_refusal_not_a_retry() -> None:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    try:
        url = fake.add_media(b"x" * 10, "image/png")
        cfg = ChannelSettings(
            Provider.TWILIO,
            True,
            {"account_sid": ACCOUNT_SID, "api_base_url": fake.url},
            {"auth_token": "not-the-token"},
        )
        policy = egress.EgressPolicy(egress.parse_origins([fake.url]))
        with egress.GuardedSession(policy) as http, pytest.raises(FetchError) as caught:
            media_fetch.fetch(http, cfg, "sms", url, LIMIT)
        assert not caught.value.retryable
        assert "refused the credentials" in caught.value.reason
        assert fake.violations == [f"GET {url.removeprefix(fake.url)}: Authenticate"]
    finally:
        fake.stop()


def test_several_processes_download_each_file_once(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    fakes = Fakes.start()
    try:
        configure(db_url, tmp_path, fakes, (Provider.TELEGRAM,))
        files = {}
        state = state_for(db_url, tmp_path, fakes)
        try:
            with state.writes() as s:
                for n in range(8):
                    data = os.urandom(100 + n)
                    file_id = fakes.telegram.add_file(data, f"photos/file_{n}.jpg")
                    update = _telegram_document(file_id, 5000 + n)
                    msg = telegram.parse_update(update).messages[0]
                    files[ingest_message(s, msg, provider="telegram").message_id] = data
                s.commit()
        finally:
            state.engine.dispose()
        states = [state_for(db_url, tmp_path, fakes) for _ in range(3)]
        try:
            fetchers = [MediaFetcher(st, ChannelRuntime(st).settings) for st in states]
            barrier = threading.Barrier(len(fetchers))

            def run(f: MediaFetcher) -> None:
                barrier.wait()
                while f.run_once():
                    pass

            threads = [threading.Thread(target=run, args=(f,)) for f in fetchers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            with states[0].reads() as s:
                rows = {i: s.get(m.Message, i) for i in files}
                left = s.query(m.MediaFetch).count()
        finally:
            for st in states:
                st.engine.dispose()
        downloads = [r.path for r in fakes.telegram.requests if r.path.startswith("/file/")]
        assert sorted(downloads) == sorted(set(downloads)) and len(downloads) == len(files)
        for message_id, data in files.items():
            row = rows[message_id]
            assert row is not None and row.attachments[0]["fetch"] == "stored"
            stored = states[0].attachments.path(row.attachments[0]["sha256"])
            assert stored is not None and stored.read_bytes() == data
        assert left == 0  # finished work leaves no bookkeeping behind
    finally:
        fakes.stop()


def _store_telegram_files(
    state: ServerState, fakes: Fakes, count: int, first_chat: int
) -> dict[str, tuple[str, bytes]]:
    """``count`` Telegram documents stored as the webhook stores them (message id: its
    provider id and the file's bytes), committed, with no server running."""
    stored: dict[str, tuple[str, bytes]] = {}
    with state.writes() as s:
        for n in range(count):
            data = os.urandom(200 + n)
            file_id = fakes.telegram.add_file(data, f"documents/file_{new_sid('')}.pdf")
            update = _telegram_document(file_id, first_chat + n)
            msg = telegram.parse_update(update).messages[0]
            result = ingest_message(s, msg, provider="telegram")
            stored[result.message_id] = (msg.provider_message_id, data)
        s.commit()
    return stored


def test_a_server_started_after_the_messages_were_stored_fetches_them(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    fakes = Fakes.start()
    try:
        configure(db_url, tmp_path, fakes, (Provider.TELEGRAM,))
        state = state_for(db_url, tmp_path, fakes)
        try:
            stored = _store_telegram_files(state, fakes, 3, 7000)
            with state.reads() as s:
                # The work is on record with the messages, before any server process exists.
                queued = set(s.scalars(select(m.MediaFetch.message_id)))
            assert queued == set(stored)
        finally:
            state.engine.dispose()
        ann = TestUser("ann", "ann-password", Role.AGENT)
        add_users(db_url, [ann])
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(egress.ENV_TRUSTED, fakes.origins())
            proc = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
        try:
            desk = Desk(proc, Raw.signed_in(proc, ann), fakes, db_url, tmp_path)
            for provider_id, data in stored.values():
                msg = _finished(desk, provider_id)
                assert msg["attachments"][0]["fetch"] == "stored", msg["attachments"]
                assert _opened(desk, msg)[0] == data
        finally:
            proc.stop()
        assert "Traceback" not in desk.log_text()
        downloads = [r.path for r in fakes.telegram.requests if r.path.startswith("/file/")]
        assert len(downloads) == len(set(downloads)) == len(stored)
        _no_violations(desk)
    finally:
        fakes.stop()


def test_inbound_media_bookkeeping_never_touches_the_dispatchers_table(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    fakes = Fakes.start()
    try:
        configure(db_url, tmp_path, fakes, (Provider.TELEGRAM,))
        state = state_for(db_url, tmp_path, fakes)
        try:
            fakes.telegram.down(503)
            ((message_id, (_, data)),) = _store_telegram_files(state, fakes, 1, 9000).items()
            fetcher = MediaFetcher(state, ChannelRuntime(state).settings)
            assert fetcher.run_once() == 1  # tried once, Telegram down: a retry is due later
            with state.reads() as s:
                row = s.get(m.MediaFetch, message_id)
                assert row is not None and row.attempts == 1 and row.lease_until is None
                assert row.last_error is not None and "Telegram answered HTTP 503" in row.last_error
                assert row.next_attempt_at > row.created_at
                assert s.query(m.OutboundAttempt).count() == 0

            fakes.telegram.down(None)
            with state.writes() as s:
                s.execute(
                    update(m.MediaFetch)
                    .where(m.MediaFetch.message_id == message_id)
                    .values(next_attempt_at=utcnow())
                )
                s.commit()
            assert fetcher.run_once() == 1
            with state.reads() as s:
                msg = s.get(m.Message, message_id)
                assert msg is not None and msg.attachments[0]["fetch"] == "stored"
                stored = state.attachments.path(msg.attachments[0]["sha256"])
                assert stored is not None and stored.read_bytes() == data
                assert s.get(m.MediaFetch, message_id) is None  # finished: nothing left
                assert s.query(m.OutboundAttempt).count() == 0
            assert fetcher.run_once() == 0
        finally:
            state.engine.dispose()
    finally:
        fakes.stop()


def _one_stored_telegram_file(db_url: str, tmp_path: Path, fakes: Fakes) -> tuple[str, bytes]:
    configure(db_url, tmp_path, fakes, (Provider.TELEGRAM,))
    data = os.urandom(200)
    file_id = fakes.telegram.add_file(data, "photos/one.jpg")
    state = state_for(db_url, tmp_path, fakes)
    try:
        with state.writes() as s:
            msg = telegram.parse_update(_telegram_document(file_id, 7100)).messages[0]
            message_id = ingest_message(s, msg, provider="telegram").message_id
            s.commit()
    finally:
        state.engine.dispose()
    return message_id, data


def test_a_file_that_cannot_be_stored_is_retried_then_failed_not_looped(
    db_url: str, tmp_path: Path, channel_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes = Fakes.start()
    try:
        message_id, _data = _one_stored_telegram_file(db_url, tmp_path, fakes)
        state = state_for(db_url, tmp_path, fakes)
        try:

            def disk_full(_data: bytes) -> str:
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(state.attachments, "put", disk_full)
            fetcher = MediaFetcher(state, ChannelRuntime(state).settings)
            for _round in range(3):  # max_attempts in the test configuration
                with state.writes() as s:  # due now, as the backoff would make it later
                    s.execute(update(m.MediaFetch).values(next_attempt_at=utcnow()))
                    s.commit()
                assert fetcher.run_once() == 1
            with state.reads() as s:
                entry = s.get(m.Message, message_id).attachments[0]  # type: ignore[union-attr]
                left = s.get(m.MediaFetch, message_id)
            assert entry["fetch"] == "failed"
            assert "could not be stored" in entry["fetch_error"]
            assert "No space left" in entry["fetch_error"]
            assert left is None  # finished: nothing left to retry forever
        finally:
            state.engine.dispose()
    finally:
        fakes.stop()


def test_a_process_whose_lease_ran_out_does_not_record_over_the_new_owner(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    fakes = Fakes.start()
    try:
        message_id, _data = _one_stored_telegram_file(db_url, tmp_path, fakes)
        state = state_for(db_url, tmp_path, fakes)
        try:
            slow = MediaFetcher(state, ChannelRuntime(state).settings)
            lease = slow._claim(message_id, utcnow())
            assert lease is not None
            with state.writes() as s:  # the lease expired and another process claimed it
                s.execute(update(m.MediaFetch).values(lease_until=utcnow() + media_fetch.LEASE * 2))
                s.commit()
            slow._work(message_id, lease)
            with state.reads() as s:
                entry = s.get(m.Message, message_id).attachments[0]  # type: ignore[union-attr]
                row = s.get(m.MediaFetch, message_id)
            assert entry.get("fetch") != "stored"  # the late result was not written ...
            assert row is not None and row.attempts == 0  # ... nor counted
            assert slow._renew(message_id, lease) is None  # and the lease is not ours
        finally:
            state.engine.dispose()
    finally:
        fakes.stop()


def test_a_senders_file_name_loses_what_turns_the_text_direction(desk: Desk) -> None:
    """A customer's "invoice<U+202E>fdp.exe" showed as "invoiceexe.pdf" to the agent."""
    doc = b"%PDF-1.7 " + os.urandom(500)
    file_id = desk.fakes.telegram.add_file(doc, f"documents/file_{new_sid('')}.pdf")
    chat = random.randrange(10**9)
    update = _telegram_document(file_id, chat)
    update["message"]["document"]["file_name"] = "invoice\u202efdp.exe"
    assert desk.telegram(update).status_code == 200
    msg = _finished(desk, f"{chat}:{update['message']['message_id']}")
    assert msg["attachments"][0]["filename"] == "invoice_fdp.exe"
    _no_violations(desk)
