"""Connected stores: what each provider needs, the connection rows, and the connector registry.

A store connection (``csdesk-server store add shopify|woocommerce``) is one row of
``store_connections`` named by the operator (``--name``, default the provider): settings in
the clear, secrets encrypted with the channels' vault (``CSDESK_SECRET_KEY`` or
``secret.key``). ``FACTORIES`` turns a decrypted connection into its connector; a provider is
registered with one line there (its CLI options are in ``SPECS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.server.channels.vault import Vault
from csdesk.server.commerce import shopify
from csdesk.server.commerce.http import StoreHttp
from csdesk.server.commerce.store_api import StoreConnector
from csdesk.storage import models as m

NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
#: Import phases, in order; "live": webhooks plus the periodic reconcile.
PHASES: Final = ("customers", "orders", "live")
DEFAULT_RECONCILE_MINUTES: Final = 15.0


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """A decrypted connection, as connectors and the webhook use it."""

    name: str
    provider: str
    enabled: bool
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]

    def text(self, key: str, default: str = "") -> str:
        value = self.settings.get(key)
        return str(value) if value not in (None, "") else default

    def secret(self, key: str) -> str:
        return self.secrets.get(key, "")

    @property
    def shop_url(self) -> str:
        return self.text("shop_url").rstrip("/")

    @property
    def reconcile_seconds(self) -> float:
        minutes = float(self.settings.get("reconcile_minutes") or DEFAULT_RECONCILE_MINUTES)
        return max(0.01, minutes) * 60.0


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """A provider's command-line options: settings (flag, key, help) and secrets (key, env)."""

    settings: tuple[tuple[str, str, str], ...]
    secrets: tuple[tuple[str, str, str], ...]


ConnectorFactory = Callable[[StoreSettings, StoreHttp], StoreConnector]


#: provider -> connector factory. ``factory(settings, http)``: ``http`` is a :class:`StoreHttp`
#: for ``settings.shop_url`` under the outbound rules; the factory must not do I/O.
def _woocommerce(settings: StoreSettings, http: StoreHttp) -> StoreConnector:
    """WooCommerce keeps its own HTTP session under the same outbound rules as ``http``."""
    from csdesk.server.commerce.woocommerce import WooCommerceStore

    return WooCommerceStore(
        settings.shop_url,
        settings.secret("consumer_key"),
        settings.secret("consumer_secret"),
        settings.secret("webhook_secret"),
        policy=http.session.policy,
    )


FACTORIES: dict[str, ConnectorFactory] = {
    "shopify": shopify.connect,
    "woocommerce": _woocommerce,
}

_COMMON: Final = (
    ("--shop-url", "shop_url", "the store's https base URL, e.g. https://acme.myshopify.com"),
    ("--reconcile-minutes", "reconcile_minutes", "how often to ask for what changed (15)"),
)
SPECS: Final[dict[str, ProviderSpec]] = {
    "shopify": ProviderSpec(
        settings=(
            *_COMMON,
            ("--api-version", "api_version", f"Admin API version ({shopify.API_VERSION})"),
        ),
        secrets=(
            ("access_token", "CSDESK_SHOPIFY_ACCESS_TOKEN", "Admin API access token (shpat_...)"),
            ("webhook_secret", "CSDESK_SHOPIFY_WEBHOOK_SECRET", "the app's client secret"),
        ),
    ),
    "woocommerce": ProviderSpec(
        settings=_COMMON,
        secrets=(
            ("consumer_key", "CSDESK_WOO_CONSUMER_KEY", "REST API consumer key (ck_...)"),
            ("consumer_secret", "CSDESK_WOO_CONSUMER_SECRET", "REST API consumer secret (cs_...)"),
            ("webhook_secret", "CSDESK_WOO_WEBHOOK_SECRET", "the webhooks' secret"),
        ),
    ),
}


def webhook_path(provider: str, name: str) -> str:
    return f"/webhooks/store/{provider}/{name}"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError(
            "a store name is 1-16 characters: lower-case letters, digits and '-', "
            "starting with a letter or digit"
        )
    return name


def check_settings(provider: str, settings: Mapping[str, Any]) -> None:
    url = str(settings.get("shop_url") or "")
    if not re.match(r"^https?://[^/\s?#]+/?$", url):
        raise ValueError("--shop-url must be the store's base URL, e.g. https://acme.example")
    minutes = settings.get("reconcile_minutes")
    if minutes is not None:
        try:
            value = float(minutes)
        except (TypeError, ValueError):
            raise ValueError("--reconcile-minutes must be a number") from None
        if not 0 < value <= 24 * 60:
            raise ValueError("--reconcile-minutes must be between 0 and 1440")


def save(
    session: Session,
    vault: Vault,
    name: str,
    provider: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    enabled: bool = True,
) -> m.StoreConnection:
    """Create or replace a connection; a replaced one keeps its import progress."""
    if provider not in SPECS:
        raise ValueError(f"unknown store provider {provider!r}")
    check_name(name)
    check_settings(provider, settings)
    missing = [key for key, _env, _h in SPECS[provider].secrets if not secrets.get(key)]
    if missing:
        raise ValueError(f"{provider}: missing {', '.join(missing)}")
    clean = {k: v for k, v in settings.items() if v not in (None, "")}
    row = session.get(m.StoreConnection, name)
    if row is not None and row.provider != provider:
        raise ValueError(f"store {name!r} is a {row.provider} store; remove it first")
    token = vault.encrypt(dict(secrets))
    if row is None:
        row = m.StoreConnection(
            name=name,
            provider=provider,
            phase=PHASES[0],
            customers_done=0,
            orders_done=0,
            attempts=0,
        )
        session.add(row)
    row.settings = {**clean, "secrets_set": sorted(k for k, v in secrets.items() if v)}
    row.secrets = token
    row.enabled = enabled
    session.flush()
    return row


def remove(session: Session, name: str) -> bool:
    row = session.get(m.StoreConnection, name)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def rows(session: Session) -> list[m.StoreConnection]:
    return list(session.scalars(select(m.StoreConnection).order_by(m.StoreConnection.name)))


def decrypt(row: m.StoreConnection, vault: Vault) -> StoreSettings:
    """Raises ``VaultError`` when the key is not the one the secrets were stored with."""
    return StoreSettings(
        row.name, row.provider, row.enabled, dict(row.settings or {}), vault.decrypt(row.secrets)
    )


def connector(settings: StoreSettings, http: StoreHttp) -> StoreConnector:
    factory = FACTORIES.get(settings.provider)
    if factory is None:
        raise ValueError(f"no connector for {settings.provider!r} in this server")
    return factory(settings, http)


def progress(row: m.StoreConnection) -> str:
    """Where the import stands, in a sentence for ``store list`` and the admin endpoint."""
    counts = f"{row.customers_done} customers, {row.orders_done} orders imported"
    if row.phase == "live":
        since = row.synced_through.isoformat() if row.synced_through else "never"
        state = f"import complete ({counts}); in sync through {since}"
    else:
        state = f"importing {row.phase} ({counts} so far)"
    if row.last_error:
        state += f"; last error: {row.last_error} (attempt {row.attempts})"
    return state
