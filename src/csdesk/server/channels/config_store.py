"""Provider connections in the ``channels`` table: settings in the clear, secrets encrypted.

One row per provider: Twilio (SMS, WhatsApp through Twilio, voice), Meta (WhatsApp Cloud API,
Messenger, Instagram: one app, one webhook), Telegram (one bot) and email (one or more IMAP
mailboxes in, SMTP out; no webhook; see "several mailboxes" below).  The webhook paths are
per provider, so one connection per provider is what an operator can point a console at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
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
#: wa_templates, wa_templates_asked: see wa_templates.py
RUNTIME_SETTINGS: Final = ("imap_state", "wa_templates", "wa_templates_asked")
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
    row = session.get(m.ChannelConfig, provider.value)
    if row is None:
        row = m.ChannelConfig(provider=provider.value, secrets="")
        session.add(row)
    else:
        for name in RUNTIME_SETTINGS:
            if name in (row.settings or {}) and name not in stored:
                stored[name] = row.settings[name]
        if provider == Provider.EMAIL:
            _keep_mailboxes(row, vault, stored, kept)
    stored["secrets_set"] = sorted(kept)  # which ones are set, so `list` needs no key
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


# --- email: one or more mailboxes in the one ``email`` row ------------------------------------
#
# The row's own (top-level) settings are the first mailbox, as they always were, so a
# connection made before there were several mailboxes keeps working untouched; its name is
# ``settings["name"]`` (default "default") and its SMTP server is the shared one.  Further
# mailboxes live in ``settings["mailboxes"][name]`` with their own IMAP login and address;
# their secrets are stored as ``"<name>:imap_password"`` / ``"<name>:smtp_password"``.  A
# mailbox added without an SMTP host sends through the shared SMTP server.  Each mailbox is
# handed to the IMAP worker and to the reply sender as a flat ``ChannelSettings`` (``mailbox``
# views below), the shape the single mailbox always had.

MAILBOXES: Final = "mailboxes"
DEFAULT_MAILBOX: Final = "default"
#: What belongs to one mailbox and is never inherited from the first one.
MAILBOX_OWN: Final = (
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_user",
    "mailbox",
    "from_address",
    "name",
)
SMTP_SETTINGS: Final = ("smtp_host", "smtp_port", "smtp_security", "smtp_user")
MAILBOX_SECRETS: Final = ("imap_password", "smtp_password")
_MAILBOX_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def check_mailbox_name(name: str) -> str:
    """Mailbox names are short lowercase words: they key secrets and appear in logs."""
    if not _MAILBOX_NAME.match(name):
        raise ValueError(
            f"email: mailbox name {name!r} must be 1-32 lowercase letters, digits, - or _"
        )
    return name


def primary_name(cfg: ChannelSettings) -> str:
    return cfg.text("name", DEFAULT_MAILBOX)


def _extras(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    raw = settings.get(MAILBOXES)
    if not isinstance(raw, dict):
        return {}
    return {str(k): dict(v) for k, v in raw.items() if isinstance(v, dict)}


def mailbox_names(cfg: ChannelSettings) -> list[str]:
    """The configured mailboxes, the first (shared-SMTP) one first."""
    return [primary_name(cfg), *sorted(_extras(cfg.settings))]


def mailbox(cfg: ChannelSettings, name: str) -> ChannelSettings | None:
    """Mailbox ``name`` of the email connection as a flat connection of its own (None: no such
    mailbox): its IMAP login and address, its SMTP server or the shared one, the common
    settings (retries, limits, Message-ID domain unless it has its own)."""
    # Which secrets the row holds is the row's business: a mailbox added elsewhere must not
    # look like a change of this one (the IMAP worker reconnects on a change).
    top = {k: v for k, v in cfg.settings.items() if k not in (MAILBOXES, "secrets_set")}
    shared = {k: v for k, v in cfg.secrets.items() if ":" not in k}
    if name == primary_name(cfg):
        return ChannelSettings(cfg.provider, cfg.enabled, {**top, "name": name}, shared)
    own = _extras(cfg.settings).get(name)
    if own is None:
        return None
    settings = {k: v for k, v in top.items() if k not in MAILBOX_OWN}
    secrets = {"smtp_password": shared.get("smtp_password", "")}
    if own.get("smtp_host"):
        for key in SMTP_SETTINGS:
            settings.pop(key, None)
        secrets = {}
    settings.update(own, name=name)
    for secret in MAILBOX_SECRETS:
        value = cfg.secrets.get(f"{name}:{secret}")
        if value:
            secrets[secret] = value
    return ChannelSettings(cfg.provider, cfg.enabled, settings, secrets)


def mailboxes(cfg: ChannelSettings) -> list[ChannelSettings]:
    found = (mailbox(cfg, name) for name in mailbox_names(cfg))
    return [box for box in found if box is not None]


def address_of(box: ChannelSettings) -> str:
    """The mailbox's own address (from ``--from``), lowercased: a route's business side."""
    return parseaddr(box.text("from_address"))[1].strip().lower()


def mailbox_for_reply(cfg: ChannelSettings, business: str | None) -> ChannelSettings:
    """The mailbox a reply leaves from: the one the customer wrote to (the route's business
    address; routes recorded before there were several mailboxes hold its IMAP login), else the
    first mailbox."""
    boxes = mailboxes(cfg)
    wanted = (business or "").strip().lower()
    if wanted:
        for box in boxes:
            if address_of(box) == wanted:
                return box
        for box in boxes:
            if box.text("imap_user").lower() == wanted:
                return box
    return boxes[0]


def save_mailbox(
    session: Session,
    vault: Vault,
    name: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    enabled: bool = True,
) -> m.ChannelConfig:
    """Add or replace mailbox ``name``, keeping the others.  With no email connection yet, or
    with the first mailbox's name, it is the first mailbox (the row's own settings, whose SMTP
    server is shared); otherwise a further one (``enabled`` is then the connection's, kept)."""
    check_mailbox_name(name)
    row = session.get(m.ChannelConfig, Provider.EMAIL.value, with_for_update=True)
    if row is None or name == str((row.settings or {}).get("name") or DEFAULT_MAILBOX):
        return save(
            session, vault, Provider.EMAIL, {**settings, "name": name}, secrets, enabled=enabled
        )
    if not secrets.get("imap_password"):
        raise ValueError(f"email: missing imap_password for mailbox {name!r}")
    current = dict(row.settings or {})
    extras = _extras(current)
    extras[name] = _clean({k: v for k, v in settings.items() if k not in _COMMON_ONLY})
    current[MAILBOXES] = extras
    own = {f"{name}:{k}": v for k, v in secrets.items() if v and k in MAILBOX_SECRETS}
    others = {k: v for k, v in vault.decrypt(row.secrets).items() if not k.startswith(f"{name}:")}
    everything = {**others, **own}
    current["secrets_set"] = sorted(everything)
    row.settings = current
    row.secrets = vault.encrypt(everything)
    return row


def _keep_mailboxes(
    row: m.ChannelConfig, vault: Vault, stored: dict[str, Any], kept: dict[str, str]
) -> None:
    """``channel add email`` replaces the first mailbox only: the further mailboxes, their
    secrets and the first mailbox's name stay."""
    old = row.settings or {}
    extras = _extras(old)
    if "name" not in stored and old.get("name"):
        stored["name"] = old["name"]
    if not extras:
        return
    stored[MAILBOXES] = extras
    for key, value in vault.decrypt(row.secrets).items():
        if ":" in key:
            kept[key] = value


#: Settings that are the connection's, not a mailbox's: ``channel email add`` for a further
#: mailbox does not take them (they come from the first mailbox's ``channel add email``).
_COMMON_ONLY: Final = ("rate_limit_per_minute", "max_attempts", "retry_seconds", "api_base_url")


def remove_mailbox(session: Session, vault: Vault, name: str) -> bool:
    """Remove a further mailbox; the first one goes with ``remove(EMAIL)`` (it carries the
    shared SMTP server), so it is refused while others exist."""
    row = session.get(m.ChannelConfig, Provider.EMAIL.value, with_for_update=True)
    if row is None:
        return False
    current = dict(row.settings or {})
    extras = _extras(current)
    if name == str(current.get("name") or DEFAULT_MAILBOX):
        if extras:
            raise ValueError(
                f"email: {name!r} is the first mailbox and its SMTP server is shared; remove "
                f"the others first ({', '.join(sorted(extras))}) or remove the whole email "
                "channel with `channel remove email`"
            )
        session.delete(row)
        return True
    if name not in extras:
        return False
    del extras[name]
    current[MAILBOXES] = extras
    stored = {k: v for k, v in vault.decrypt(row.secrets).items() if not k.startswith(f"{name}:")}
    current["secrets_set"] = sorted(stored)
    row.settings = current
    row.secrets = vault.encrypt(stored)
    return True
