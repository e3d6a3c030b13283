"""A live server with every channel connected to local fakes, and signed provider deliveries.

The signatures are computed exactly as the providers document (``channels.signatures`` is
itself tested against the providers' published examples), over the server's public URL.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
import requests

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.egress import ENV_TRUSTED
from csdesk.server.channels.signatures import meta_signature, twilio_signature
from csdesk.server.channels.vault import Vault
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage.migrate import upgrade
from tests.helpers.fakes import FakeGraph, FakeTelegram, FakeTwilio
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

T = TypeVar("T")

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-7f3a9c"
BUSINESS_NUMBER = "+14155550100"
WHATSAPP_NUMBER_ID = "106540352242922"
META_APP_SECRET = "meta-app-secret-51c2"
META_ACCESS_TOKEN = "EAAG-whatsapp-system-user-token"
META_PAGE_TOKEN = "EAAG-page-token"
META_VERIFY_TOKEN = "verify-me-please"
PAGE_ID = "1029384756"
TELEGRAM_BOT_TOKEN = "123456789:AAEhBP0av28S1k4JzQrXbJwXW3bDCDbkE7g"
TELEGRAM_SECRET = "telegram-secret_token-Z9"
ALL_SECRETS = (
    AUTH_TOKEN,
    META_APP_SECRET,
    META_ACCESS_TOKEN,
    META_PAGE_TOKEN,
    META_VERIFY_TOKEN,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_SECRET,
)


@dataclass
class Fakes:
    twilio: FakeTwilio
    graph: FakeGraph
    telegram: FakeTelegram

    @classmethod
    def start(cls) -> Fakes:
        return cls(
            FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start(),
            FakeGraph(META_ACCESS_TOKEN, WHATSAPP_NUMBER_ID, META_PAGE_TOKEN).start(),
            FakeTelegram(TELEGRAM_BOT_TOKEN).start(),
        )

    def all(self) -> tuple[FakeTwilio, FakeGraph, FakeTelegram]:
        return self.twilio, self.graph, self.telegram

    def origins(self) -> str:
        """The fakes' origins, for ``CSDESK_FETCH_TRUSTED_ORIGINS``: the media fetch rules
        (https, public addresses) exempt exactly these loopback servers."""
        return ",".join(fake.url for fake in self.all())

    def clear(self) -> None:
        for fake in self.all():
            fake.clear()

    def stop(self) -> None:
        for fake in self.all():
            fake.stop()


def state_for(db_url: str, data_dir: Path, fakes: Fakes | None = None) -> ServerState:
    """A server state on ``db_url``; its media fetches may reach ``fakes`` (and nothing else
    on loopback)."""
    config = ServerConfig(
        db_url=db_url,
        listen_notify=False,
        data_dir=data_dir,
        fetch_trusted_origins=tuple(fakes.origins().split(",")) if fakes else (),
    )
    state = ServerState.build(config)
    upgrade(state.engine)
    with state.writes() as s:
        ensure_counter(s)
        s.commit()
    return state


def configure(
    db_url: str,
    data_dir: Path,
    fakes: Fakes,
    providers: tuple[Provider, ...] = tuple(Provider),
    **common: Any,
) -> None:
    """Connect ``providers`` to the fakes, with fast retries unless ``common`` says otherwise."""
    common = {"max_attempts": 3, "retry_seconds": 0.2, **common}
    state = state_for(db_url, data_dir)
    vault = Vault(data_dir)
    try:
        with state.writes() as s:
            if Provider.TWILIO in providers:
                config_store.save(
                    s,
                    vault,
                    Provider.TWILIO,
                    {
                        "account_sid": ACCOUNT_SID,
                        "from_number": BUSINESS_NUMBER,
                        "default_region": "US",
                        "api_base_url": fakes.twilio.url,
                        **common,
                    },
                    {"auth_token": AUTH_TOKEN},
                )
            if Provider.META in providers:
                config_store.save(
                    s,
                    vault,
                    Provider.META,
                    {
                        "phone_number_id": WHATSAPP_NUMBER_ID,
                        "api_base_url": fakes.graph.url,
                        **common,
                    },
                    {
                        "app_secret": META_APP_SECRET,
                        "access_token": META_ACCESS_TOKEN,
                        "verify_token": META_VERIFY_TOKEN,
                        "page_access_token": META_PAGE_TOKEN,
                    },
                )
            if Provider.TELEGRAM in providers:
                config_store.save(
                    s,
                    vault,
                    Provider.TELEGRAM,
                    {"api_base_url": fakes.telegram.url, **common},
                    {"bot_token": TELEGRAM_BOT_TOKEN, "secret_token": TELEGRAM_SECRET},
                )
            s.commit()
    finally:
        state.engine.dispose()


@contextmanager
def live_desk(
    db_url: str,
    users: dict[str, TestUser],
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
    providers: tuple[Provider, ...] = tuple(Provider),
    **settings: Any,
) -> Iterator[Desk]:
    """A live server with ``providers`` connected to the fakes (``settings`` for every
    connection), Ann signed in; on the way out its log must hold no traceback and no secret."""
    add_users(db_url, list(users.values()))
    data_dir = tmp_path_factory.mktemp("data")
    configure(db_url, data_dir, fakes, providers, **settings)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TRUSTED, fakes.origins())  # the server process inherits it at start
        proc = ServerProcess(db_url, log_path=tmp_path_factory.mktemp("log") / "server.log")
        proc.start()
    desk = Desk(proc, Raw.signed_in(proc, users["ann"]), fakes, db_url, data_dir)
    try:
        yield desk
    finally:
        proc.stop()
    log = desk.log_text()
    assert "Traceback" not in log, log[-3000:]
    leaked = [secret for secret in ALL_SECRETS if secret in log]
    assert not leaked, f"secrets in the server log: {leaked}"


def wait_until(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``probe`` until it returns something other than None (or fail at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class Desk:
    """The live server, an agent signed in to it, and the fakes its channels talk to."""

    server: ServerProcess
    agent: Raw
    fakes: Fakes
    db_url: str
    data_dir: Path

    def url(self, path: str) -> str:
        return self.server.url + path

    # --- deliveries as the providers sign them ----------------------------------------------

    def twilio(
        self,
        path: str,
        params: dict[str, str],
        *,
        token: str = AUTH_TOKEN,
        signed_url: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        sig = signature or twilio_signature(token, signed_url or self.url(path), params)
        return requests.post(
            self.url(path),
            data=params,
            headers={"X-Twilio-Signature": sig, **(headers or {})},
            timeout=20,
        )

    def meta(
        self, payload: dict[str, Any], *, secret: str = META_APP_SECRET, sha1_only: bool = False
    ) -> requests.Response:
        body = orjson.dumps(payload)
        sig = meta_signature(secret, body)
        header = (
            {"X-Hub-Signature": "sha1=" + sig.removeprefix("sha256=")[:40]}
            if sha1_only
            else {"X-Hub-Signature-256": sig}
        )
        return requests.post(
            self.url("/webhooks/meta"),
            data=body,
            headers={"Content-Type": "application/json", **header},
            timeout=20,
        )

    def telegram(
        self, update: dict[str, Any], *, secret: str | None = TELEGRAM_SECRET
    ) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return requests.post(
            self.url("/webhooks/telegram"), data=orjson.dumps(update), headers=headers, timeout=20
        )

    # --- what the agents see ------------------------------------------------------------------

    def entities(self, entity: str) -> dict[str, dict[str, Any]]:
        """The latest state of every ``entity`` the agent can see, by id."""
        changes, _ = self.agent.pull_all()
        return {c["id"]: c["data"] for c in changes if c["entity"] == entity and c["data"]}

    def message_by_provider_id(self, provider_id: str) -> dict[str, Any] | None:
        for msg in self.entities("message").values():
            if msg["provider_message_id"] == provider_id:
                return msg
        return None

    def wait_message(self, provider_id: str, timeout: float = 15.0) -> dict[str, Any]:
        return wait_until(
            lambda: self.message_by_provider_id(provider_id), timeout, f"message {provider_id}"
        )

    def wait_status(self, message_id: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            msg = self.entities("message").get(message_id)
            return msg if msg is not None and msg["delivery_status"] == status else None

        return wait_until(probe, timeout, f"message {message_id} to become {status}")

    def entity(self, entity: str, entity_id: str) -> dict[str, Any]:
        r = self.agent.get(f"/api/v1/entities/{entity}/{entity_id}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    def log_text(self) -> str:
        assert self.server.log_path is not None
        return self.server.log_path.read_text(errors="replace")


# --- payloads shaped as the providers document them ---------------------------------------------


def sms_params(sid: str, sender: str, body: str, **extra: str) -> dict[str, str]:
    """An incoming-message webhook as Twilio posts it."""
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "SAN FRANCISCO",
        "FromZip": "94105",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": body,
        "FromCountry": "US",
        "To": BUSINESS_NUMBER,
        "ToZip": "94105",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def status_params(sid: str, status: str, to: str, **extra: str) -> dict[str, str]:
    """A message status callback as Twilio posts it to the StatusCallback URL."""
    return {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": BUSINESS_NUMBER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def voice_params(sid: str, caller: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": caller,
        "To": BUSINESS_NUMBER,
        "CallStatus": status,
        "ApiVersion": "2010-04-01",
        "Direction": "inbound",
        "Caller": caller,
        "Called": BUSINESS_NUMBER,
        **extra,
    }


def whatsapp_message(wamid: str, wa_id: str, text: str, name: str = "Ana") -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": WHATSAPP_NUMBER_ID,
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status(wamid: str, wa_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": WHATSAPP_NUMBER_ID,
                            },
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": status,
                                    "timestamp": str(int(time.time())),
                                    "recipient_id": wa_id,
                                    **extra,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def messaging_event(obj: str, sender: str, mid: str, text: str) -> dict[str, Any]:
    """A Messenger (``page``) or Instagram (``instagram``) message event."""
    now = int(time.time() * 1000)
    return {
        "object": obj,
        "entry": [
            {
                "id": PAGE_ID,
                "time": now,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": now,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


def telegram_update(update_id: int, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Tomas", "language_code": "en"},
            "chat": {"id": chat_id, "first_name": "Tomas", "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }
