"""``POST /webhooks/store/{provider}/{store}`` (a connected store's webhooks) and
``GET /api/v1/admin/stores`` (the connections and their import progress).

A webhook passes the same gate as the channels' (``channels.guard``), in this order: the store
is connected with that provider (else 404), the body within ``MAX_WEBHOOK_BYTES`` while it
streams in (413, before any authentication), the signature over the raw body valid (401; a
forged request spends a bucket of its own, so a flood of them never rate-limits the store's
real deliveries), the store's own rate (429), the payload well-formed (400). A change that
needs the store to be asked (a fulfillment's order) and cannot be, answers 503 so the store
delivers it again later.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from csdesk.domain.enums import Role
from csdesk.protocol import API_PREFIX
from csdesk.server.channels.guard import read_body
from csdesk.server.channels.vault import VaultError
from csdesk.server.commerce import stores, woocommerce_webhooks
from csdesk.server.commerce.importer import forget_customer
from csdesk.server.commerce.runtime import StoreRuntime, runtime_of
from csdesk.server.commerce.store_api import StoreRefused, StoreUnavailable, WebhookEvent
from csdesk.server.commerce.store_sync import apply_customers, apply_orders, write
from csdesk.server.commerce.stores import StoreSettings
from csdesk.server.deps import State, require
from csdesk.server.errors import ApiError
from csdesk.storage import models as m

log = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES: Final = 1024 * 1024
RATE_PER_MINUTE: Final = 1200

webhooks = APIRouter(prefix="/webhooks/store", tags=["webhooks"])
admin = APIRouter(prefix=f"{API_PREFIX}/admin", tags=["admin"])
Supervisor = Annotated[m.User, Depends(require(Role.ADMIN, Role.SUPERVISOR))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "the payload is not the shape the store documents"},
    401: {"description": "missing or wrong signature"},
    404: {"description": "no such store is connected"},
    413: {"description": "body too large"},
    429: {"description": "rate limited; see Retry-After"},
    503: {"description": "the store could not be asked; deliver again later"},
}


def _admit(rt: StoreRuntime, name: str, *, signed: bool) -> None:
    key = f"store:{name}" if signed else f"store:{name}:forged"
    wait = rt.limiter.take(key, RATE_PER_MINUTE)
    if wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            "too many store webhook requests; retry later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


def _settings(rt: StoreRuntime, provider: str, name: str) -> StoreSettings:
    try:
        found = rt.settings(name) if stores.NAME_PATTERN.match(name) else None
    except VaultError as exc:
        log.error("store %s webhook refused: %s", name, exc)
        raise ApiError(503, "store_unavailable", "this store cannot be used now") from None
    unusable = found is None or provider not in stores.FACTORIES
    if unusable or found is None or found.provider != provider or not found.enabled:
        raise ApiError(404, "store_not_connected", f"no {provider} store {name!r} is connected")
    return found


def _apply(rt: StoreRuntime, settings: StoreSettings, event: WebhookEvent) -> str:
    state, name = rt.state, settings.name
    if event.order is not None:
        apply_orders(state, name, [event.order], event.customer)
        return "order"
    if event.customer is not None:
        apply_customers(state, name, [event.customer])
        return "customer"
    if event.deleted_id is not None:
        deleted = event.deleted_id
        write(state, lambda s: forget_customer(s, name, deleted))
        return "deleted"
    if event.order_id is not None:
        with rt.connector(settings) as conn:
            order = conn.order(event.order_id)
        apply_orders(state, name, [order])
        return "order"
    return "ignored"


@webhooks.post(
    "/{provider}/{name}",
    summary="A connected store's webhooks (Shopify: X-Shopify-Hmac-Sha256 over the raw body)",
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}
    },
)
async def store_webhook(provider: str, name: str, request: Request) -> dict[str, str]:
    rt = runtime_of(request)
    settings = await run_in_threadpool(_settings, rt, provider, name)
    body = await read_body(request, MAX_WEBHOOK_BYTES)
    headers = dict(request.headers)
    if provider == "woocommerce" and woocommerce_webhooks.is_ping(headers, body):
        # WooCommerce saves a webhook only if its unsigned activation ping gets a 2xx. It
        # changes nothing, and it counts against the unsigned requests' rate limit.
        _admit(rt, name, signed=False)
        return {"result": "ping"}

    def check() -> tuple[bool, Any]:
        with rt.connector(settings) as conn:
            if not conn.verify_webhook(headers, body):
                return False, None
            try:
                return True, conn.parse_webhook(headers, body)
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                return True, exc

    signed, parsed = await run_in_threadpool(check)
    if not signed:
        _admit(rt, name, signed=False)
        client = request.client.host if request.client else "unknown"
        log.warning(
            "refused %s webhook for store %s from %s: bad signature", provider, name, client
        )
        raise ApiError(
            401, "bad_signature", f"{provider} webhook refused: signature does not match"
        )
    _admit(rt, name, signed=True)
    if isinstance(parsed, Exception):
        raise ApiError(400, "invalid_payload", f"{provider} webhook: {parsed}"[:300])
    if parsed is None:
        return {"result": "ignored"}
    try:
        result = await run_in_threadpool(_apply, rt, settings, parsed)
    except StoreUnavailable as exc:
        raise ApiError(503, "store_unavailable", f"cannot apply it now: {exc.reason}") from None
    except StoreRefused as exc:
        # The store says no to its own webhook's order (deleted since, a "send test
        # notification" sample): nothing to apply; a non-2xx would only make it retry.
        log.warning("%s webhook for store %s names nothing to fetch: %s", provider, name, exc)
        return {"result": "ignored"}
    return {"result": result}


class StoreOut(BaseModel):
    name: str
    provider: str
    enabled: bool
    phase: str
    customers_imported: int
    orders_imported: int
    synced_through: datetime | None
    attempts: int
    last_error: str | None
    progress: str
    webhook_path: str


@admin.get("/stores", response_model=list[StoreOut], responses={401: {}, 403: {}})
def list_stores(state: State, _user: Supervisor) -> list[StoreOut]:
    """Connected stores and where each import stands (never their secrets)."""
    with state.reads() as s:
        return [
            StoreOut(
                name=row.name,
                provider=row.provider,
                enabled=row.enabled,
                phase=row.phase,
                customers_imported=row.customers_done,
                orders_imported=row.orders_done,
                synced_through=row.synced_through,
                attempts=row.attempts,
                last_error=row.last_error,
                progress=stores.progress(row),
                webhook_path=stores.webhook_path(row.provider, row.name),
            )
            for row in stores.rows(s)
        ]
