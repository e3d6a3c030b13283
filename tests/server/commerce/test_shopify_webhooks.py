"""``POST /webhooks/store/shopify/<store>`` on a live server: HMAC over the raw body, limits
before authentication, forged and tampered bodies refused, payload errors 400, and what
arrives reaches the desks through the change feed. Also ``GET /api/v1/admin/stores``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from csdesk.server.channels.egress import ENV_TRUSTED
from csdesk.server.channels.vault import Vault
from csdesk.server.commerce import stores
from csdesk.server.commerce.shopify import hmac_signature
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from tests.helpers.fakes.shopify import FakeShopify
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.commerce.support import SECRET, STORE, TOKEN

HOOK = f"/webhooks/store/shopify/{STORE}"


@pytest.fixture(scope="module")
def fake_module() -> Iterator[FakeShopify]:
    fake = FakeShopify(TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def live_store(
    backend: str,
    shared_users: dict[str, TestUser],
    fake_module: FakeShopify,
    store_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    add_users(backend, list(shared_users.values()))
    state = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    with state.writes() as s:
        stores.save(
            s,
            Vault(tmp_path_factory.mktemp("data")),
            STORE,
            "shopify",
            {"shop_url": fake_module.url},
            {"access_token": TOKEN, "webhook_secret": SECRET},
        )
        s.commit()
    state.engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TRUSTED, fake_module.url)
        proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "server.log")
        proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def fake(fake_module: FakeShopify) -> FakeShopify:
    fake_module.clear()
    return fake_module


def _post(
    server: ServerProcess, topic: str, body: bytes, *, secret: str = SECRET,
    signature: str | None = None, path: str = HOOK,
) -> requests.Response:  # fmt: skip
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": hmac_signature(secret, body) if signature is None else signature,
        "X-Shopify-Shop-Domain": "acme.myshopify.com",
        "X-Shopify-API-Version": "2025-01",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    headers = {k: v for k, v in headers.items() if v}  # an empty signature: none at all
    return requests.post(server.url + path, data=body, headers=headers, timeout=20)


def _orders(server: ServerProcess, user: TestUser) -> dict[str, dict[str, Any]]:
    changes, _ = Raw.signed_in(server, user).pull_all()
    found: dict[str, dict[str, Any]] = {}
    for c in changes:
        if c["entity"] == "order" and c.get("data"):
            number = c["data"]["number"]
            assert found.get(number, c)["id"] == c["id"], f"two orders {number}"
            found[number] = c["data"] | {"id": c["id"]}
    return found


def test_a_signed_order_webhook_lands_and_syncs(
    live_store: ServerProcess, fake: FakeShopify, shared_users: dict[str, TestUser]
) -> None:
    cid = fake.add_customer("hook@shop.example", first="Hana")
    oid = fake.add_order(cid, fulfilled=True, price="12.50")
    payload = fake.rest_order(oid)
    body = json.dumps(payload).encode()
    r = _post(live_store, "orders/updated", body)
    assert r.status_code == 200, r.text
    assert r.json() == {"result": "order"}
    again = _post(live_store, "orders/updated", body)  # Shopify retries; nothing doubles
    assert again.status_code == 200
    orders = _orders(live_store, shared_users["ann"])
    assert orders[payload["name"]]["total_cents"] == 2500
    assert orders[payload["name"]]["status"] == "shipped"


def test_a_fulfillment_webhook_fetches_the_order_from_shopify(
    live_store: ServerProcess, fake: FakeShopify, shared_users: dict[str, TestUser]
) -> None:
    cid = fake.add_customer("ful@shop.example")
    oid = fake.add_order(cid, fulfilled=True)
    number = fake.orders[oid]["name"]
    body = json.dumps({"id": 9001, "order_id": int(oid.rsplit("/", 1)[1]), "status": "success"})
    r = _post(live_store, "fulfillments/create", body.encode())
    assert r.status_code == 200, r.text
    assert [q.json()["variables"] for q in fake.requests if "query Order(" in q.json()["query"]]
    assert fake.violations == []
    assert number in _orders(live_store, shared_users["ann"])


@pytest.mark.parametrize("case", ["forged", "tampered", "unsigned", "wrong store secret"])
def test_bad_signatures_are_401(live_store: ServerProcess, fake: FakeShopify, case: str) -> None:
    cid = fake.add_customer("forged@shop.example")
    body = json.dumps(fake.rest_order(fake.add_order(cid))).encode()
    if case == "forged":
        r = _post(live_store, "orders/create", body, secret="not-the-secret")
    elif case == "tampered":
        good = hmac_signature(SECRET, body)
        r = _post(live_store, "orders/create", body.replace(b"20.00", b"0.01"), signature=good)
    elif case == "unsigned":
        r = _post(live_store, "orders/create", body, signature="")
    else:
        r = _post(live_store, "orders/create", body, signature=hmac_signature(SECRET, b"{}"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_signature"


def test_oversized_bodies_are_refused_before_authentication(live_store: ServerProcess) -> None:
    big = b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    assert _post(live_store, "orders/create", big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length to trust
        yield b'{"x": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    r = requests.post(
        live_store.url + HOOK,
        data=chunks(),
        headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "x"},
        timeout=20,
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        json.dumps({"id": "abc", "created_at": "2026-11-01T00:00:00Z"}).encode(),
        json.dumps({"id": 1, "created_at": "yesterday", "currency": "EUR"}).encode(),
        json.dumps(
            {"id": 2, "created_at": "2026-11-01T00:00:00Z", "total_price": "1e999"}
        ).encode(),
        json.dumps(
            {
                "id": 3,
                "created_at": "2026-11-01T00:00:00Z",
                "line_items": [{"id": 4, "quantity": -1, "price": "1.00"}],
            }
        ).encode(),
        b'\xff\xfe{"id": 5}',
    ],
)
def test_malformed_signed_payloads_are_400(live_store: ServerProcess, body: bytes) -> None:
    r = _post(live_store, "orders/create", body)
    assert r.status_code == 400, r.text


def test_unknown_stores_and_topics(live_store: ServerProcess) -> None:
    body = b'{"id": 1}'
    assert (
        _post(live_store, "orders/create", body, path="/webhooks/store/shopify/other").status_code
        == 404
    )
    assert (
        _post(
            live_store, "orders/create", body, path="/webhooks/store/woocommerce/acme"
        ).status_code
        == 404
    )
    ignored = _post(live_store, "products/update", body)
    assert ignored.status_code == 200 and ignored.json() == {"result": "ignored"}


def test_admin_endpoint_shows_progress(
    live_store: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    sue = Raw.signed_in(live_store, shared_users["sue"])
    r = sue.get("/api/v1/admin/stores")
    assert r.status_code == 200
    (row,) = r.json()
    assert row["name"] == STORE and row["provider"] == "shopify"
    assert row["webhook_path"] == HOOK and "secret" not in json.dumps(row).lower()
    assert row["phase"] in ("customers", "orders", "live") and row["progress"]
    ann = Raw.signed_in(live_store, shared_users["ann"])
    assert ann.get("/api/v1/admin/stores").status_code == 403


def test_customer_webhooks(
    live_store: ServerProcess, fake: FakeShopify, shared_users: dict[str, TestUser]
) -> None:
    when = "2026-11-01T10:00:00Z"
    payload = {"id": 777001, "email": "Cleo@Shop.example", "first_name": "Cleo",
               "last_name": "Ray", "verified_email": True, "tags": "vip, wholesale",
               "created_at": when, "updated_at": when}  # fmt: skip
    r = _post(live_store, "customers/update", json.dumps(payload).encode())
    assert r.status_code == 200 and r.json() == {"result": "customer"}
    changes, _ = Raw.signed_in(live_store, shared_users["ann"]).pull_all()
    named = [c["data"] for c in changes if c["entity"] == "customer" and c.get("data")]
    cleo = [c for c in named if c["name"] == "Cleo Ray"]
    assert len(cleo) == 1 and cleo[0]["email"] == "cleo@shop.example"
    gone = _post(live_store, "customers/delete", json.dumps({"id": 777001}).encode())
    assert gone.status_code == 200 and gone.json() == {"result": "deleted"}
