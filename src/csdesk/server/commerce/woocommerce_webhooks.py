"""WooCommerce webhooks: the signature over the raw body, and the body as store records.

WooCommerce signs each delivery with ``X-WC-Webhook-Signature``: the base64 of the
HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret. The topic is in
``X-WC-Webhook-Topic`` (``order.created``, ``order.updated``, ``order.deleted``,
``customer.created``, ``customer.updated``, ``customer.deleted``, ...); the body is the
resource as the REST API v3 returns it (``{"id": N}`` alone for a deletion).

When a webhook is saved as active, WooCommerce first POSTs a *ping*: the form body
``webhook_id=N`` with no signature and no topic header. It must get a 2xx, or WooCommerce
refuses to save the webhook; :func:`is_ping` recognises it so the route can answer 200 without
believing anything in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Final

from csdesk.server.commerce import woocommerce_records as records
from csdesk.server.commerce.bounded_json import Malformed, loads_object
from csdesk.server.commerce.store_api import WebhookEvent

SIGNATURE_HEADER: Final = "X-WC-Webhook-Signature"
TOPIC_HEADER: Final = "X-WC-Webhook-Topic"
#: A webhook body is one order or customer: far below this.
MAX_WEBHOOK_BYTES: Final = 2 * 1024 * 1024
_PING: Final = re.compile(rb"webhook_id=\d{1,20}")
_ORDER_TOPICS: Final = frozenset({"order.created", "order.updated", "order.restored"})
_CUSTOMER_TOPICS: Final = frozenset({"customer.created", "customer.updated"})
#: Only a customer's deletion: ``deleted_id`` is a *customer* id to unlink (routes._apply), so
#: ``order.deleted`` (an order id) is ignored, never read as customer N; csdesk keeps the order.
_DELETED: Final = frozenset({"customer.deleted"})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (a plain dict from a test, Starlette's Headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, found in headers.items():
        if key.lower() == lowered:
            return found
    return None


def signature(secret: str, body: bytes) -> str:
    """What WooCommerce sends in ``X-WC-Webhook-Signature`` for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """The signature header matches ``body`` under ``secret`` (constant-time compare).

    False when the header is missing or empty, or the secret is empty (a webhook without a
    secret proves nothing).
    """
    sent = header(headers, SIGNATURE_HEADER)
    if not secret or not sent:
        return False
    return hmac.compare_digest(
        sent.strip().encode("ascii", "replace"), signature(secret, body).encode("ascii")
    )


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's unsigned ping (``webhook_id=N``) sent when a webhook is activated."""
    return (
        header(headers, SIGNATURE_HEADER) is None
        and header(headers, TOPIC_HEADER) is None
        and _PING.fullmatch(body.strip()) is not None
    )


def parse_webhook(topic: str, body: bytes) -> WebhookEvent | None:
    """A *verified* body of ``topic`` as an event; None for a topic csdesk does not use.

    Raises :class:`~csdesk.server.commerce.bounded_json.Malformed` for a body it cannot read
    (not JSON, too big or deep, a record with invalid fields).
    """
    topic = topic.strip().lower()
    if topic not in _ORDER_TOPICS | _CUSTOMER_TOPICS | _DELETED:
        return None
    data = loads_object(body, what=f"the {topic} webhook", max_bytes=MAX_WEBHOOK_BYTES)
    if topic in _DELETED:
        return WebhookEvent(topic, deleted_id=records.external_id(data.get("id"), topic))
    if topic in _ORDER_TOPICS:
        return WebhookEvent(topic, order=records.order(data))
    return WebhookEvent(topic, customer=records.customer(data))


def parse_delivery(headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
    """``parse_webhook`` with the topic from its header (None without one)."""
    topic = header(headers, TOPIC_HEADER)
    if not topic:
        return None
    return parse_webhook(topic, body)


__all__ = [
    "SIGNATURE_HEADER",
    "TOPIC_HEADER",
    "Malformed",
    "is_ping",
    "parse_delivery",
    "parse_webhook",
    "signature",
    "verify_webhook",
]
