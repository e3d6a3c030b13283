"""Provider connections in the ``channels`` table: settings in the clear, secrets encrypted.

One row per provider: Twilio (SMS, WhatsApp through Twilio, voice), Meta (WhatsApp Cloud API,
Messenger, Instagram: one app, one webhook), Telegram (one bot) and email (one IMAP mailbox in,
SMTP out; no webhook).  The webhook paths are per provider, so one connection per provider is
what an operator can point a console at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel
from csdesk.server.channels.vault import Vault
from csdesk.storage import models as m


class Provider(StrEnum):
    TWILIO = "twilio"
    META = "meta"
    TELEGRAM = "telegram"
    EMAIL = "email"


#: Secrets each provider needs; a connection missing one of these is refused at ``save``.
REQUIRED_SECRETS: Final[dict[Provider, tuple[str, ...]]] = {
    Provider.TWILIO: ("auth_token",),
    Provider.META: ("app_secret", "access_token", "verify_token"),
    Provider.TELEGRAM: ("bot_token", "secret_token"),
    Provider.EMAIL: ("imap_password",),
}
OPTIONAL_SECRETS: Final[dict[Provider, tuple[str, ...]]] = {
    Provider.TWILIO: (),
    Provider.META: ("page_access_token",),
    Provider.TELEGRAM: (),
    Provider.EMAIL: ("smtp_password",),  # a local relay may take mail without a login
}
#: Webhook paths as operators paste them into provider consoles; never change them.
WEBHOOK_PATHS: Final[dict[Provider, tuple[str, ...]]] = {
    Provider.TWILIO: ("/webhooks/twilio/sms", "/webhooks/twilio/voice"),
    Provider.META: ("/webhooks/meta",),
    Provider.TELEGRAM: ("/webhooks/telegram",),
    Provider.EMAIL: (),
}
#: Settings the server itself keeps in the row (the IMAP worker's last UID per mailbox); kept
#: when ``channel add`` replaces the connection, so re-adding it does not re-import the mailbox.
RUNTIME_SETTINGS: Final = ("imap_state",)
DEFAULT_RATE_PER_MINUTE: Final = 600
DEFAULT_MAX_ATTEMPTS: Final = 5
DEFAULT_RETRY_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """A decrypted connection, as the webhooks and the dispatcher use it."""

    provider: Provider
    enabled: bool
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]

    def text(self, name: str, default: str = "") -> str:
        value = self.settings.get(name)
        return str(value) if value not in (None, "") else default

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    @property
    def rate_per_minute(self) -> int:
        return int(self.settings.get("rate_limit_per_minute") or DEFAULT_RATE_PER_MINUTE)

    @property
    def max_attempts(self) -> int:
        return max(1, int(self.settings.get("max_attempts") or DEFAULT_MAX_ATTEMPTS))

    @property
    def retry_seconds(self) -> float:
        return max(0.05, float(self.settings.get("retry_seconds") or DEFAULT_RETRY_SECONDS))

    def sends(self, channel: Channel) -> bool:
        """Whether this connection can deliver replies on ``channel``."""
        if self.provider == Provider.TWILIO:
            return channel == Channel.SMS or (
                channel == Channel.WHATSAPP and bool(self.text("whatsapp_from"))
            )
        if self.provider == Provider.META:
            if channel == Channel.WHATSAPP:
                return bool(self.text("phone_number_id"))
            return channel in (Channel.MESSENGER, Channel.INSTAGRAM)
        if self.provider == Provider.EMAIL:
            return channel == Channel.EMAIL
        return channel == Channel.TELEGRAM


def _clean(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if v not in (None, "")}


def save(
    session: Session,
    vault: Vault,
    provider: Provider,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    enabled: bool = True,
) -> m.ChannelConfig:
    """Create or replace a provider connection; secrets are encrypted before they are stored."""
    missing = [name for name in REQUIRED_SECRETS[provider] if not secrets.get(name)]
    if missing:
        raise ValueError(f"{provider.value}: missing {', '.join(missing)}")
    allowed = set(REQUIRED_SECRETS[provider]) | set(OPTIONAL_SECRETS[provider])
    unknown = set(secrets) - allowed
    if unknown:
        raise ValueError(f"{provider.value}: unknown secrets {', '.join(sorted(unknown))}")
    kept = {k: v for k, v in secrets.items() if v}
    stored = _clean(settings)
    stored["secrets_set"] = sorted(kept)  # which ones are set, so `list` needs no key
    row = session.get(m.ChannelConfig, provider.value)
    if row is None:
        row = m.ChannelConfig(provider=provider.value, secrets="")
        session.add(row)
    else:
        for name in RUNTIME_SETTINGS:
            if name in (row.settings or {}) and name not in stored:
                stored[name] = row.settings[name]
    row.enabled = enabled
    row.settings = stored
    row.secrets = vault.encrypt(kept)
    return row


def load(session: Session, vault: Vault, provider: Provider) -> ChannelSettings | None:
    """The connection for ``provider``, or None when it is not configured or disabled."""
    row = session.get(m.ChannelConfig, provider.value)
    if row is None or not row.enabled:
        return None
    return ChannelSettings(provider, row.enabled, dict(row.settings), vault.decrypt(row.secrets))


def remove(session: Session, provider: Provider) -> bool:
    row = session.get(m.ChannelConfig, provider.value)
    if row is None:
        return False
    session.delete(row)
    return True


def set_enabled(session: Session, provider: Provider, enabled: bool) -> bool:
    row = session.get(m.ChannelConfig, provider.value)
    if row is None:
        return False
    row.enabled = enabled
    return True


def rows(session: Session) -> list[m.ChannelConfig]:
    """Every configured connection, for ``channel list`` (secrets stay encrypted)."""
    return list(session.scalars(select(m.ChannelConfig).order_by(m.ChannelConfig.provider)))
