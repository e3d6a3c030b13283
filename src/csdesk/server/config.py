"""Server settings, built by the CLI or by tests; never read at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import platformdirs

from csdesk.server.surveys.rules import SurveyRules


def default_data_dir() -> Path:
    """Where the server keeps its files (the SQLite database, the channel secret key)."""
    return Path(platformdirs.user_data_dir("csdesk-server", "csdesk"))


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment (``default`` when unset or bad)."""
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if 0 <= value < float("inf") else default


def default_db_url() -> str:
    data = default_data_dir()
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{data / 'csdesk.db'}"


def _env_number(name: str, default: int) -> int:
    """A whole number from the environment; the default when unset or not a number."""
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() else default


@dataclass(frozen=True)
class ServerConfig:
    db_url: str = field(default_factory=default_db_url)
    token_ttl: timedelta = timedelta(hours=12)
    #: Failed logins for one user name from one client address before that pair is locked
    #: for a while (the same user from an address that has not failed is not).
    throttle_after: int = 5
    #: Failed logins from one client address, whatever the user names, before the address is
    #: locked for a while (password spraying).
    throttle_address_after: int = 30
    throttle_base_seconds: float = 30.0
    throttle_max_seconds: float = 900.0
    #: Failures older than this are forgotten and their rows deleted.
    throttle_forget_seconds: float = 3600.0
    #: Password hashes computed at once (argon2 is CPU and memory bound; None: one per core),
    #: and how many more logins may wait for one before the rest are told to retry (503).
    login_hash_slots: int | None = None
    login_hash_queue: int = 32
    max_body_bytes: int = 2 * 1024 * 1024
    #: Where providers reach this server (channels check signatures against it).
    public_base_url: str = "http://127.0.0.1:8765"
    #: Wake other processes on the same PostgreSQL (off for SQLite automatically).
    listen_notify: bool = True
    #: How often a PostgreSQL listener re-reads the head while agents wait (backstop).
    backstop_seconds: float = 2.0
    #: How long a checked bearer token is trusted from memory (``server.auth.cache``) before
    #: the database is asked again; logout, revocation and user changes drop it at once.
    #: 0: ask the database on every request. $CSDESK_AUTH_CACHE_SECONDS.
    auth_cache_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_AUTH_CACHE_SECONDS", 5.0)
    )
    #: Memory for encoded feed rows that pulls reuse (``sync.pull.RowCache``); 0: none.
    #: $CSDESK_PULL_ROW_CACHE_BYTES.
    pull_row_cache_bytes: int = field(
        default_factory=lambda: _env_number("CSDESK_PULL_ROW_CACHE_BYTES", 32 << 20)
    )
    #: Holds ``secret.key`` (channel secrets' encryption key) unless CSDESK_SECRET_KEY is set.
    data_dir: Path = field(default_factory=default_data_dir)
    #: Provider webhooks are small; anything bigger is refused before it is read (413).
    webhook_max_body_bytes: int = 256 * 1024
    #: How long an agent's "viewing"/"typing" notice lasts without a heartbeat.
    presence_ttl_seconds: float = 30.0
    #: Demo only: write a simulated inbound customer message about this often (None: off).
    simulate_customers_seconds: float | None = None
    #: Seed for the simulated customers (None: a fresh one per start).
    simulate_seed: int | None = None
    #: Live chat opening hours ("Mon-Fri 09:00-17:00; Sat 10:00-13:00"; None: always open);
    #: outside them the widget offers a contact form. Default: $CSDESK_CHAT_HOURS.
    chat_hours: str | None = field(default_factory=lambda: os.environ.get("CSDESK_CHAT_HOURS"))
    #: The IANA time zone the chat hours are in. Default: $CSDESK_CHAT_TIMEZONE or UTC.
    chat_timezone: str = field(
        default_factory=lambda: os.environ.get("CSDESK_CHAT_TIMEZONE") or "UTC"
    )
    #: Origins (``http://127.0.0.1:5001``) exempt from the media fetch rules
    #: (``server.channels.egress``): local fake providers in tests, nothing in production.
    #: Default: $CSDESK_FETCH_TRUSTED_ORIGINS (comma or space separated).
    fetch_trusted_origins: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            os.environ.get("CSDESK_FETCH_TRUSTED_ORIGINS", "").replace(",", " ").split()
        )
    )
    #: Bytes of files one user may hold uploaded but not yet sent on a reply (413 beyond).
    #: Default: $CSDESK_UPLOAD_QUOTA_BYTES or 200 MiB.
    upload_quota_bytes: int = field(
        default_factory=lambda: _env_number("CSDESK_UPLOAD_QUOTA_BYTES", 200 * 1024 * 1024)
    )
    #: An upload no reply used is removed after this long (the sweep's grace period).
    #: Default: $CSDESK_UPLOAD_GRACE_SECONDS or a day.
    upload_grace_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_UPLOAD_GRACE_SECONDS", 24 * 3600)
    )
    #: How often the server looks for such uploads (and once at start).
    upload_sweep_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_UPLOAD_SWEEP_SECONDS", 3600)
    )
    #: At most one call to Meta for the WhatsApp template list per this many seconds and
    #: business account, shared by every request and process. $CSDESK_WA_TEMPLATES_REFRESH_SECONDS.
    wa_templates_refresh_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_WA_TEMPLATES_REFRESH_SECONDS", 60.0)
    )
    #: How often snoozed conversations whose time has come are woken (back to open).
    #: $CSDESK_SNOOZE_WAKE_SECONDS.
    snooze_wake_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_SNOOZE_WAKE_SECONDS", 15.0)
    )
    #: How often the delay detector looks for late orders (``server.outreach.scanner``).
    #: $CSDESK_OUTREACH_SCAN_SECONDS; 0 turns it off.
    outreach_scan_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_OUTREACH_SCAN_SECONDS", 600.0)
    )
    #: A parcel the carrier has said nothing about for this many days is late.
    #: $CSDESK_OUTREACH_STALE_DAYS.
    outreach_stale_days: int = field(
        default_factory=lambda: _env_number("CSDESK_OUTREACH_STALE_DAYS", 3)
    )
    #: An order not shipped this many days after it was placed is late.
    #: $CSDESK_OUTREACH_SHIP_DAYS.
    outreach_ship_days: int = field(
        default_factory=lambda: _env_number("CSDESK_OUTREACH_SHIP_DAYS", 2)
    )
    #: Outreach messages handed to providers per minute at most (a bulk send is spaced out).
    #: $CSDESK_OUTREACH_PER_MINUTE.
    outreach_per_minute: int = field(
        default_factory=lambda: _env_number("CSDESK_OUTREACH_PER_MINUTE", 30)
    )
    #: How long an agent's desk has to acknowledge a callback that came due before it goes to
    #: the queue (the agent is offline). $CSDESK_CALLBACK_GRACE_SECONDS, default 2 minutes.
    callback_grace_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_CALLBACK_GRACE_SECONDS", 120.0)
    )
    #: The shop's currency (ISO 4217), which the customer figures are computed in; orders in
    #: another currency are counted apart, never mixed in. $CSDESK_SHOP_CURRENCY (default EUR).
    shop_currency: str = field(default_factory=lambda: shop_currency_from_env())
    #: When satisfaction surveys go out and what is a low score: $CSDESK_SURVEY_* (see
    #: ``server.surveys.rules`` and docs/surveys.md).
    surveys: SurveyRules = field(default_factory=lambda: SurveyRules.from_env())
    #: An agent whose desk has not pulled for this long shows "Offline" (a desk long-polls at
    #: least every ~25 s). $CSDESK_AGENT_OFFLINE_SECONDS, default 90.
    agent_offline_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_AGENT_OFFLINE_SECONDS", 90.0)
    )
    #: How often the server writes which desks it heard and marks the unheard offline.
    #: $CSDESK_FLOOR_SWEEP_SECONDS, default 5.
    floor_sweep_seconds: float = field(
        default_factory=lambda: _env_seconds("CSDESK_FLOOR_SWEEP_SECONDS", 5.0)
    )


def shop_currency_from_env() -> str:
    """$CSDESK_SHOP_CURRENCY as three capital letters; EUR when unset or not a code."""
    text = os.environ.get("CSDESK_SHOP_CURRENCY", "").strip().upper()
    return text if len(text) == 3 and text.isascii() and text.isalpha() else "EUR"
