"""Who may deliver: wrong or missing signatures, forged hosts, unconfigured channels, floods."""

from __future__ import annotations

import random
from pathlib import Path

import requests

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.vault import Vault
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import (
    AUTH_TOKEN,
    META_VERIFY_TOKEN,
    Desk,
    Fakes,
    configure,
    messaging_event,
    new_sid,
    sms_params,
    state_for,
    telegram_update,
    voice_params,
    wait_until,
    whatsapp_message,
)


def _stored(desk: Desk, provider_id: str) -> bool:
    return desk.message_by_provider_id(provider_id) is not None


def test_bad_and_missing_signatures_are_403_and_store_nothing(desk: Desk) -> None:
    sid = new_sid("SM")
    params = sms_params(sid, "+14155550142", "forged")
    wrong = desk.twilio("/webhooks/twilio/sms", params, token="not-the-token")
    missing = requests.post(desk.url("/webhooks/twilio/sms"), data=params, timeout=10)
    for r in (wrong, missing):
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "bad_signature"
    assert "missing X-Twilio-Signature" in missing.json()["error"]["message"]
    call = voice_params(new_sid("CA"), "+14155550142", "ringing")
    assert desk.twilio("/webhooks/twilio/voice", call, token="nope").status_code == 403

    wamid = "wamid." + new_sid("HBg")
    payload = whatsapp_message(wamid, "14155550142", "forged")
    assert desk.meta(payload, secret="wrong-secret").status_code == 403
    sha1 = desk.meta(payload, sha1_only=True)
    assert sha1.status_code == 403 and "SHA-1" in sha1.json()["error"]["message"]
    tampered = requests.post(
        desk.url("/webhooks/meta"),
        data=b'{"object":"page","entry":[]}',
        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
        timeout=10,
    )
    assert tampered.status_code == 403

    chat_id = random.randrange(10**9)
    update = telegram_update(1, chat_id, 1, "forged")
    assert desk.telegram(update, secret="guessed").status_code == 403
    assert desk.telegram(update, secret=None).status_code == 403

    for pid in (sid, wamid, f"{chat_id}:1"):
        assert not _stored(desk, pid)
    log = desk.log_text()
    assert "refused twilio webhook" in log and "refused meta webhook" in log
    assert "refused telegram webhook" in log


def test_signature_covers_the_public_url_not_the_host_header(desk: Desk) -> None:
    sid = new_sid("SM")
    params = sms_params(sid, "+14155550143", "via a proxy")
    # Signed for another host, and that host claimed in the Host header: still refused.
    evil = "http://evil.example/webhooks/twilio/sms"
    r = desk.twilio(
        "/webhooks/twilio/sms", params, signed_url=evil, headers={"Host": "evil.example"}
    )
    assert r.status_code == 403
    # Signed for the configured public URL, whatever Host the proxy passed on: accepted.
    r = desk.twilio("/webhooks/twilio/sms", params, headers={"Host": "internal:8080"})
    assert r.status_code == 200
    desk.wait_message(sid)


def test_query_string_is_part_of_the_twilio_signature(desk: Desk) -> None:
    from csdesk.server.channels.signatures import twilio_signature

    sid = new_sid("SM")
    params = sms_params(sid, "+14155550144", "with a query")
    url = desk.url("/webhooks/twilio/sms") + "?shop=eu"
    good = twilio_signature(AUTH_TOKEN, url, params)
    r = requests.post(url, data=params, headers={"X-Twilio-Signature": good}, timeout=10)
    assert r.status_code == 200
    other = desk.url("/webhooks/twilio/sms") + "?shop=us"
    r = requests.post(other, data=params, headers={"X-Twilio-Signature": good}, timeout=10)
    assert r.status_code == 403


def test_unconfigured_channels_refuse_every_delivery(bare_server: ServerProcess) -> None:
    base = bare_server.url
    attempts = [
        requests.post(f"{base}/webhooks/twilio/sms", data={"MessageSid": "SM1"}, timeout=10),
        requests.post(f"{base}/webhooks/twilio/voice", data={"CallSid": "CA1"}, timeout=10),
        requests.post(f"{base}/webhooks/meta", json={"object": "page"}, timeout=10),
        requests.get(
            f"{base}/webhooks/meta",
            params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
            timeout=10,
        ),
        requests.post(f"{base}/webhooks/telegram", json={"update_id": 1}, timeout=10),
    ]
    for r in attempts:
        assert r.status_code == 404, r.url
        assert r.json()["error"]["code"] == "channel_not_configured"


def test_rate_limit_answers_429_with_retry_after(
    db_url: str, bare_server: ServerProcess, tmp_path: Path, channel_key: str
) -> None:
    data_dir = tmp_path / "data"
    fakes = Fakes.start()
    try:
        configure(db_url, data_dir, fakes, (Provider.TELEGRAM,), rate_limit_per_minute=3)
        desk = Desk(bare_server, Raw(bare_server.url), fakes, db_url, data_dir)
        codes = []
        for n in range(6):
            r = desk.telegram(telegram_update(n, 5150, n + 1, f"flood {n}"))
            codes.append(r.status_code)
            if r.status_code == 429:
                assert int(r.headers["Retry-After"]) >= 1
                assert r.json()["error"]["code"] == "rate_limited"
        assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    finally:
        fakes.stop()


def test_removing_a_channel_refuses_its_webhooks_at_once(
    db_url: str, bare_server: ServerProcess, tmp_path: Path, channel_key: str
) -> None:
    data_dir = tmp_path / "data"
    fakes = Fakes.start()
    try:
        configure(db_url, data_dir, fakes, (Provider.META,))
        desk = Desk(bare_server, Raw(bare_server.url), fakes, db_url, data_dir)
        event = messaging_event("page", "31337", "m_" + new_sid(""), "hello")
        assert desk.meta(event).status_code == 200
        state = state_for(db_url, data_dir)
        try:
            with state.writes() as s:
                assert config_store.remove(s, Provider.META)
                s.commit()
        finally:
            state.engine.dispose()
        wait_until(lambda: desk.meta(event).status_code == 404 or None, what="refusal")
    finally:
        fakes.stop()


def test_secrets_are_not_stored_in_plain_text(desk: Desk) -> None:
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.reads() as s:
            rows = config_store.rows(s)
            dump = " ".join(f"{r.settings} {r.secrets}" for r in rows)
            assert {r.provider for r in rows} == {"twilio", "meta", "telegram"}
            twilio = config_store.load(s, Vault(desk.data_dir), Provider.TWILIO)
    finally:
        state.engine.dispose()
    assert twilio is not None and twilio.secret("auth_token") == AUTH_TOKEN
    assert AUTH_TOKEN not in dump and "telegram-secret" not in dump and "EAAG" not in dump


def test_forged_floods_spend_their_own_bucket_not_the_providers(
    db_url: str,
    bare_server: ServerProcess,
    users: dict[str, TestUser],
    tmp_path: Path,
    channel_key: str,
) -> None:
    """Unsigned junk past the limit is refused from its own bucket (403, then 429); the real
    provider's signed deliveries, checked first, still get through on every channel."""
    data_dir = tmp_path / "data"
    fakes = Fakes.start()
    try:
        configure(db_url, data_dir, fakes, tuple(Provider), rate_limit_per_minute=3)
        agent = Raw.signed_in(bare_server, users["ann"])
        desk = Desk(bare_server, agent, fakes, db_url, data_dir)
        sms = sms_params(new_sid("SM"), "+14155550145", "real")
        wamid = "wamid." + new_sid("HBg")
        meta_payload = whatsapp_message(wamid, "14155550145", "real")
        chat_id = random.randrange(10**9)
        tg = telegram_update(7, chat_id, 1, "real")
        forged = {
            "twilio": lambda: desk.twilio("/webhooks/twilio/sms", sms, token="forged"),
            "meta": lambda: desk.meta(meta_payload, secret="forged"),
            "telegram": lambda: desk.telegram(tg, secret="forged"),
        }
        signed = {
            "twilio": lambda: desk.twilio("/webhooks/twilio/sms", sms),
            "meta": lambda: desk.meta(meta_payload),
            "telegram": lambda: desk.telegram(tg),
        }
        for name, send in forged.items():
            codes = [send().status_code for _ in range(8)]
            assert codes[:3] == [403, 403, 403], (name, codes)
            assert 429 in codes[3:] and set(codes) <= {403, 429}, (name, codes)
            r = signed[name]()
            assert r.status_code == 200, (name, r.status_code, r.text)
        desk.wait_message(sms["MessageSid"])
        desk.wait_message(wamid)
        desk.wait_message(f"{chat_id}:1")
        # The handshake GET is gated the same way: a wrong verify token floods its own bucket.
        hs = {"hub.mode": "subscribe", "hub.challenge": "4242"}
        bad = [
            requests.get(
                desk.url("/webhooks/meta"), params={**hs, "hub.verify_token": "guess"}, timeout=10
            ).status_code
            for _ in range(8)
        ]
        assert 429 in bad and set(bad) <= {403, 429}, bad
        ok = requests.get(
            desk.url("/webhooks/meta"),
            params={**hs, "hub.verify_token": META_VERIFY_TOKEN},
            timeout=10,
        )
        # Three signed Meta deliveries allowed a minute; one was spent above.
        assert ok.status_code == 200 and ok.text == "4242"
    finally:
        fakes.stop()
