"""``POST /webhooks/store/woocommerce/<store>`` on a live server: the activation ping is
answered, a signed order lands and reaches the desks, a forged one is 401; and
``csdesk-server store add woocommerce`` registers a connector (FACTORIES)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from csdesk.server.channels.vault import Vault
from csdesk.server.commerce import stores
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from tests.helpers.fakes.woocommerce import make_order
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.commerce.conftest import WC_KEY, WC_SECRET, WC_WEBHOOK_SECRET
from tests.server.commerce.test_woocommerce_webhooks import _signed

NAME = "woo-shop"
HOOK = f"/webhooks/store/woocommerce/{NAME}"


@pytest.fixture(scope="module")
def live_woo(
    backend: str,
    shared_users: dict[str, TestUser],
    store_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    add_users(backend, list(shared_users.values()))
    state = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    with state.writes() as s:
        stores.save(
            s,
            Vault(tmp_path_factory.mktemp("data")),
            NAME,
            "woocommerce",
            {"shop_url": "https://shop.example"},
            {
                "consumer_key": WC_KEY,
                "consumer_secret": WC_SECRET,
                "webhook_secret": WC_WEBHOOK_SECRET,
            },
        )
        s.commit()
    state.engine.dispose()
    proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "server.log")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def test_woocommerce_has_a_connector() -> None:
    assert "woocommerce" in stores.FACTORIES


def test_the_activation_ping_gets_a_2xx(live_woo: ServerProcess) -> None:
    r = requests.post(
        live_woo.url + HOOK,
        data=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=20,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"result": "ping"}


def test_a_signed_order_lands_and_a_forged_one_is_refused(
    live_woo: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    order = make_order(9041, customer_id=0)
    body = json.dumps(order).encode()
    headers = _signed(body, "order.created") | {"Content-Type": "application/json"}
    forged = headers | {"X-WC-Webhook-Signature": _signed(b"{}")["X-WC-Webhook-Signature"]}
    r = requests.post(live_woo.url + HOOK, data=body, headers=forged, timeout=20)
    assert r.status_code == 401, r.text
    r = requests.post(live_woo.url + HOOK, data=body, headers=headers, timeout=20)
    assert r.status_code == 200, r.text
    user = next(u for u in shared_users.values() if u.role == "agent")
    changes, _ = Raw.signed_in(live_woo, user).pull_all()
    numbers = [c["data"]["number"] for c in changes if c["entity"] == "order" and c.get("data")]
    assert f"#{order['number']}" in numbers  # WooCommerce shows order numbers as #N
