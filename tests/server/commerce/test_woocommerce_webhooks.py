"""WooCommerce webhooks: X-WC-Webhook-Signature over the raw body, and bodies as records."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from csdesk.server.commerce.bounded_json import Malformed
from csdesk.server.commerce.woocommerce import WooCommerceStore
from csdesk.server.commerce.woocommerce_webhooks import (
    is_ping,
    parse_webhook,
    signature,
    verify_webhook,
)
from tests.helpers.fakes.woocommerce import make_customer, make_order
from tests.server.commerce.conftest import WC_WEBHOOK_SECRET

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _signed(
    body: bytes, topic: str = "order.updated", secret: str = WC_WEBHOOK_SECRET
) -> dict[str, str]:
    """The headers WooCommerce sends: base64 of HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "8f1c",
    }


BODY = json.dumps(make_order(41, customer_id=7)).encode()


def test_a_valid_signature_verifies() -> None:
    assert verify_webhook(WC_WEBHOOK_SECRET, BODY, _signed(BODY))
    # header names are case-insensitive (a plain dict with lower-case names, as ASGI has)
    lower = {k.lower(): v for k, v in _signed(BODY).items()}
    assert verify_webhook(WC_WEBHOOK_SECRET, BODY, lower)
    assert signature(WC_WEBHOOK_SECRET, BODY) == _signed(BODY)["X-WC-Webhook-Signature"]


def test_a_forged_signature_fails() -> None:
    assert not verify_webhook(WC_WEBHOOK_SECRET, BODY, _signed(BODY, secret="guessed"))


def test_a_tampered_body_fails() -> None:
    headers = _signed(BODY)
    tampered = BODY.replace(b'"total": "20.00"', b'"total": "0.01"')
    assert tampered != BODY
    assert not verify_webhook(WC_WEBHOOK_SECRET, tampered, headers)
    # the same JSON re-serialised is different bytes: the raw body is what is signed
    reencoded = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert not verify_webhook(WC_WEBHOOK_SECRET, reencoded, headers)


@pytest.mark.parametrize("value", [None, "", "not base64 at all", "é" * 44])
def test_a_missing_or_garbage_header_fails(value: str | None) -> None:
    headers = _signed(BODY)
    del headers["X-WC-Webhook-Signature"]
    if value is not None:
        headers["X-WC-Webhook-Signature"] = value
    assert not verify_webhook(WC_WEBHOOK_SECRET, BODY, headers)


def test_an_empty_secret_verifies_nothing() -> None:
    assert not verify_webhook("", BODY, _signed(BODY, secret=""))


def test_the_connector_verifies_with_its_secret() -> None:
    store = WooCommerceStore("https://shop.example", "ck", "cs", WC_WEBHOOK_SECRET)
    assert store.verify_webhook(_signed(BODY), BODY)
    assert not store.verify_webhook(_signed(BODY, secret="other"), BODY)
    event = store.parse_webhook(_signed(BODY, "order.created"), BODY)
    assert event is not None and event.order is not None and event.topic == "order.created"


def test_the_activation_ping_is_recognised() -> None:
    assert is_ping({"User-Agent": "WooCommerce/9.4 Hookshot (WordPress/6.7)"}, b"webhook_id=12")
    assert not is_ping(_signed(b"webhook_id=12"), b"webhook_id=12")
    assert not is_ping({}, BODY)


@pytest.mark.parametrize("topic", ["order.created", "order.updated", "ORDER.UPDATED "])
def test_order_topics_become_orders(topic: str) -> None:
    event = parse_webhook(topic, BODY)
    assert event is not None and event.order is not None
    assert (event.order.external_id, event.order.total_cents, event.order.customer_external_id) == (
        "41",
        2000,
        "7",
    )


@pytest.mark.parametrize("topic", ["customer.created", "customer.updated"])
def test_customer_topics_become_customers(topic: str) -> None:
    body = json.dumps(make_customer(7, "ana@example.com", "Ana", "López", T0)).encode()
    event = parse_webhook(topic, body)
    assert event is not None and event.customer is not None
    assert (event.customer.external_id, event.customer.name) == ("7", "Ana López")
    assert event.customer.updated_at == T0


def test_deletions_carry_only_the_id() -> None:
    event = parse_webhook("customer.deleted", b'{"id": 7}')
    assert event is not None and (event.deleted_id, event.customer) == ("7", None)
    # An order's deletion is ignored: deleted_id names a customer (see
    # test_woocommerce_order_deleted.py: order 7 deleted must not unlink customer 7).
    assert parse_webhook("order.deleted", b'{"id": 41}') is None


@pytest.mark.parametrize("topic", ["product.updated", "coupon.created", "action.woocommerce_x", ""])
def test_topics_csdesk_does_not_use_are_none(topic: str) -> None:
    assert parse_webhook(topic, b"not even json") is None


@pytest.mark.parametrize(
    "body",
    [
        b"webhook_id=12",
        b"[]",
        b"{" * 10_000,
        b'{"id": 41, "total": ' + b"9" * 5000 + b"}",
        b'{"id": "41"}',
        b" " * (2 * 1024 * 1024 + 1),
        json.dumps({**make_order(41), "total": "-1.00"}).encode(),
        json.dumps({**make_order(41), "currency": None}).encode(),
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(Malformed):
        parse_webhook("order.updated", body)


def test_bad_text_in_a_webhook_is_cleaned() -> None:
    raw = make_customer(7, "ana@example.com", "A\u0000na", "L\ud800", T0)
    body = json.dumps(raw).encode()  # \u0000 and \ud800 escaped, as PHP's json_encode does
    event = parse_webhook("customer.updated", body)
    assert event is not None and event.customer is not None
    assert event.customer.name == "A\ufffdna L\ufffd"
