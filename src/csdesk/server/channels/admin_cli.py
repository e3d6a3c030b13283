"""``csdesk-server channel add|list|remove``: connecting providers from the command line, and
``channel email add|list|remove`` for the email channel's further mailboxes.

Secrets are taken from an option, else from an environment variable (``CSDESK_TWILIO_AUTH_TOKEN``
and so on, which keeps them out of shell history and ``ps``), else asked for on a terminal.
Tokens the operator invents for the provider (Meta's verify token, Telegram's secret token) are
generated when not given and printed once, because they must be pasted into the provider's
console; afterwards they exist only encrypted.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import WEBHOOK_PATHS, ChannelSettings, Provider
from csdesk.server.channels.vault import Vault, VaultError
from csdesk.storage import models as m

_MEDIA_LIMIT = (
    "--max-attachment-bytes",
    "max_attachment_bytes",
    "bigger files customers send are not downloaded (25 MiB)",
)
#: (option, setting name, help) per provider; every one is optional on the command line.
_SETTINGS: dict[Provider, list[tuple[str, str, str]]] = {
    Provider.TWILIO: [
        ("--account-sid", "account_sid", "Account SID (AC...) from the Twilio console"),
        ("--from-number", "from_number", "your Twilio number in E.164, e.g. +14155550100"),
        ("--messaging-service-sid", "messaging_service_sid", "send through a Messaging Service"),
        ("--whatsapp-from", "whatsapp_from", "WhatsApp sender number, for WhatsApp via Twilio"),
        ("--default-region", "default_region", "ISO country for national numbers, e.g. US"),
        ("--voice-greeting", "voice_greeting", "what callers hear first"),
        (
            "--voice-dial",
            "voice_dial",
            "comma list of numbers or client:NAME to ring, each optionally USERNAME=… so the "
            "call is recorded as taken by that agent",
        ),
        ("--voicemail-prompt", "voicemail_prompt", "what callers hear before the tone"),
        (
            "--callout-greeting",
            "callout_greeting",
            "click-to-call: what the agent hears before the customer is dialled",
        ),
        ("--status-callback", "status_callback", "'off' to not ask for delivery receipts"),
        _MEDIA_LIMIT,
    ],
    Provider.META: [
        ("--phone-number-id", "phone_number_id", "WhatsApp phone number ID (for replies)"),
        ("--graph-version", "graph_version", "Graph API version, default v21.0"),
        ("--waba-id", "waba_id", "WhatsApp Business Account ID (for approved templates)"),
        _MEDIA_LIMIT,
    ],
    Provider.TELEGRAM: [_MEDIA_LIMIT],
    Provider.EMAIL: [
        ("--imap-host", "imap_host", "IMAP server host name"),
        ("--imap-port", "imap_port", "IMAP port (993 with ssl, else 143)"),
        ("--imap-security", "imap_security", "ssl (default), starttls or none"),
        ("--imap-user", "imap_user", "IMAP login"),
        ("--mailbox", "mailbox", "mailbox (folder) to import, default INBOX"),
        ("--smtp-host", "smtp_host", "SMTP server host name"),
        ("--smtp-port", "smtp_port", "SMTP port (465 with ssl, 587 starttls, 25 none)"),
        ("--smtp-security", "smtp_security", "starttls (default), ssl or none"),
        ("--smtp-user", "smtp_user", "SMTP login (omit for a relay without login)"),
        ("--from", "from_address", 'replies\' From, e.g. "Store Support <support@store.example>"'),
        ("--msgid-domain", "msgid_domain", "domain of replies' Message-IDs, e.g. store.example"),
        ("--poll-seconds", "poll_seconds", "how often to check without IMAP IDLE (60)"),
        ("--max-attachment-bytes", "max_attachment_bytes", "bigger files kept as names (25 MiB)"),
        ("--authserv-id", "authserv_id", "the IMAP server's Authentication-Results id, if any"),
    ],
}
_COMMON = [
    ("--api-base-url", "api_base_url", "provider API base URL (a regional endpoint or a test)"),
    ("--rate-limit", "rate_limit_per_minute", "webhook requests a minute before 429 (600)"),
    ("--max-attempts", "max_attempts", "sends tried before a reply is marked failed (5)"),
    ("--retry-seconds", "retry_seconds", "first retry delay, doubled each time (2)"),
]
_INT_SETTINGS = {
    "rate_limit_per_minute",
    "max_attempts",
    "imap_port",
    "smtp_port",
    "max_attachment_bytes",
}
_FLOAT_SETTINGS = {"retry_seconds", "poll_seconds"}
#: Secrets with their option, environment variable, and whether we may generate them.
_SECRETS: dict[Provider, list[tuple[str, str, bool]]] = {
    Provider.TWILIO: [("auth_token", "CSDESK_TWILIO_AUTH_TOKEN", False)],
    Provider.META: [
        ("app_secret", "CSDESK_META_APP_SECRET", False),
        ("access_token", "CSDESK_META_ACCESS_TOKEN", False),
        ("verify_token", "CSDESK_META_VERIFY_TOKEN", True),
        ("page_access_token", "CSDESK_META_PAGE_ACCESS_TOKEN", False),
    ],
    Provider.TELEGRAM: [
        ("bot_token", "CSDESK_TELEGRAM_BOT_TOKEN", False),
        ("secret_token", "CSDESK_TELEGRAM_SECRET_TOKEN", True),
    ],
    Provider.EMAIL: [
        ("imap_password", "CSDESK_IMAP_PASSWORD", False),
        ("smtp_password", "CSDESK_SMTP_PASSWORD", False),
    ],
}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> argparse.ArgumentParser:
    """Add the ``channel`` command group to ``csdesk-server``'s subparsers."""
    channel = sub.add_parser(
        "channel", help="connect SMS/voice, WhatsApp/Messenger/Instagram, Telegram, email"
    )
    actions = channel.add_subparsers(dest="channel_command", required=True)
    add = actions.add_parser("add", help="connect a provider (or replace its connection)")
    providers = add.add_subparsers(dest="provider", required=True)
    for provider in Provider:
        p = providers.add_parser(provider.value, help=f"connect {provider.value}")
        db_arg(p)
        _dirs(p)
        for flag, name, text in _SETTINGS[provider] + _COMMON:
            p.add_argument(flag, dest=name, default=None, help=text)
        for name, env, generated in _SECRETS[provider]:
            extra = "; generated when omitted" if generated else ""
            p.add_argument(_option(name), default=None, help=f"secret; or set {env}{extra}")
        p.add_argument("--disabled", action="store_true", help="store it switched off")
    listing = actions.add_parser("list", help="show connections (never their secrets)")
    db_arg(listing)
    _dirs(listing)
    remove = actions.add_parser("remove", help="disconnect a provider (its webhooks then refuse)")
    remove.add_argument("provider", choices=[p.value for p in Provider])
    db_arg(remove)
    _dirs(remove)
    _email_parsers(actions, db_arg)
    return channel


def _email_parsers(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    """``channel email add|list|remove``: several IMAP mailboxes on the one email channel."""
    email = actions.add_parser("email", help="email mailboxes: add, list or remove one")
    boxes = email.add_subparsers(dest="email_command", required=True)
    add = boxes.add_parser(
        "add",
        help="add a mailbox (or replace the one of that name); without --smtp-host it sends "
        "through the first mailbox's SMTP server",
    )
    add.add_argument("--name", required=True, help="short name, e.g. support or sales")
    for flag, name, text in _SETTINGS[Provider.EMAIL]:
        add.add_argument(flag, dest=name, default=None, help=text)
    for name, env, _generated in _SECRETS[Provider.EMAIL]:
        add.add_argument(_option(name), default=None, help=f"secret; or set {env}")
    listing = boxes.add_parser("list", help="show the mailboxes (never their passwords)")
    remove = boxes.add_parser("remove", help="remove one mailbox (its worker disconnects)")
    remove.add_argument("name", help="the mailbox's name, as `channel email list` shows it")
    for p in (add, listing, remove):
        db_arg(p)
        _dirs(p)


def _dirs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None, help="where secret.key lives (see README)")
    p.add_argument("--public-url", default=None, help="the server's public URL, to print hooks")


def _secret(provider: Provider, name: str, env: str, given: str | None, generate: bool) -> str:
    if given:
        return given
    if os.environ.get(env):
        return os.environ[env]
    if generate:
        return secrets.token_urlsafe(32)
    required = name in config_store.REQUIRED_SECRETS[provider]
    if not required:
        return ""
    if not sys.stdin.isatty():
        raise ValueError(f"{provider.value}: give {_option(name)} or set {env}")
    return getpass.getpass(f"{provider.value} {name.replace('_', ' ')}: ").strip()


def _given(options: list[tuple[str, str, str]], args: argparse.Namespace) -> dict[str, Any]:
    """The ``options`` given on the command line, numbers converted (a clear error if not)."""
    out: dict[str, Any] = {}
    for _flag, name, _text in options:
        value = getattr(args, name)
        if value is None:
            continue
        try:
            if name in _INT_SETTINGS:
                value = int(value)
            elif name in _FLOAT_SETTINGS:
                value = float(value)
        except ValueError:
            raise ValueError(f"{_option(name)} must be a number") from None
        out[name] = value
    return out


def _settings(provider: Provider, args: argparse.Namespace) -> dict[str, Any]:
    out = _given(_SETTINGS[provider] + _COMMON, args)
    if provider == Provider.TWILIO:
        if not out.get("account_sid"):
            raise ValueError("twilio: --account-sid is required")
        if not (out.get("from_number") or out.get("messaging_service_sid")):
            raise ValueError("twilio: give --from-number or --messaging-service-sid")
    if provider == Provider.EMAIL:
        from csdesk.server.channels.email_outbound import check_email_settings

        check_email_settings(out)
    return out


def _hooks(provider: Provider, public_url: str | None) -> list[str]:
    base = (public_url or "<public-url>").rstrip("/")
    return [base + path for path in WEBHOOK_PATHS[provider]]


def run(args: argparse.Namespace, writes: sessionmaker[Session], default_dir: Path) -> int:
    vault = Vault(Path(args.data_dir) if args.data_dir else default_dir)
    try:
        if args.channel_command == "add":
            return _add(args, writes, vault)
        if args.channel_command == "email":
            return _email(args, writes, vault)
        if args.channel_command == "remove":
            with writes() as s:
                found = config_store.remove(s, Provider(args.provider))
                s.commit()
            if not found:
                print(f"csdesk-server: {args.provider} is not configured", file=sys.stderr)
                return 1
            print(f"csdesk-server: {args.provider} removed; its webhooks now refuse deliveries")
            return 0
        with writes() as s:
            rows = config_store.rows(s)
        if not rows:
            print("csdesk-server: no channels configured")
        for row in rows:
            settings = dict(row.settings)
            names = settings.pop("secrets_set", [])
            for name in config_store.RUNTIME_SETTINGS:
                settings.pop(name, None)
            further = settings.pop(config_store.MAILBOXES, None)
            shown = ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
            state = "enabled" if row.enabled else "disabled"
            print(f"{row.provider} ({state}): {shown or 'no settings'}")
            print(f"  secrets set: {', '.join(names)} (encrypted)")
            for hook in _hooks(Provider(row.provider), args.public_url):
                print(f"  webhook: {hook}")
            if further:
                first = config_store.primary_name(_unlocked(row))
                print(f"  mailboxes: {first} (above), {', '.join(sorted(further))}")
                print("  (`csdesk-server channel email list` shows each)")
        return 0
    except (ValueError, VaultError) as exc:
        print(f"csdesk-server: {exc}", file=sys.stderr)
        return 2


def _add(args: argparse.Namespace, writes: sessionmaker[Session], vault: Vault) -> int:
    provider = Provider(args.provider)
    settings = _settings(provider, args)
    values: dict[str, str] = {}
    generated: list[str] = []
    for name, env, can_generate in _SECRETS[provider]:
        given = getattr(args, name)
        value = _secret(provider, name, env, given, can_generate)
        if can_generate and not given and not os.environ.get(env):
            generated.append(name)
        values[name] = value
    with writes() as s:
        config_store.save(s, vault, provider, settings, values, enabled=not args.disabled)
        s.commit()
    print(f"csdesk-server: {provider.value} connected; secrets encrypted with {vault.key_source}")
    for hook in _hooks(provider, args.public_url):
        print(f"  webhook URL: {hook}")
    for name in generated:
        # Shown once: the operator pastes it into the provider's console.
        print(f"  generated {name.replace('_', ' ')}: {values[name]}")
    return 0


# --- several mailboxes -------------------------------------------------------------------------


def _unlocked(row: m.ChannelConfig) -> ChannelSettings:
    """The row's settings without its secrets (listing needs no key)."""
    return ChannelSettings(Provider(row.provider), row.enabled, dict(row.settings or {}), {})


def _email(args: argparse.Namespace, writes: sessionmaker[Session], vault: Vault) -> int:
    if args.email_command == "add":
        return _add_mailbox(args, writes, vault)
    if args.email_command == "remove":
        with writes() as s:
            found = config_store.remove_mailbox(s, vault, args.name)
            s.commit()
        if not found:
            print(f"csdesk-server: there is no mailbox {args.name!r}", file=sys.stderr)
            return 1
        print(f"csdesk-server: mailbox {args.name} removed; its worker disconnects")
        return 0
    with writes() as s:
        row = s.get(m.ChannelConfig, Provider.EMAIL.value)
        cfg = _unlocked(row) if row is not None else None
    if cfg is None:
        print("csdesk-server: no email mailboxes configured")
        return 0
    further = cfg.settings.get(config_store.MAILBOXES) or {}
    for box in config_store.mailboxes(cfg):
        name = box.text("name")
        if name == config_store.primary_name(cfg):
            role = "shared"
        elif further.get(name, {}).get("smtp_host"):
            role = "its own"
        else:
            role = "the first mailbox's"
        print(describe_mailbox(box, role))
    return 0


def describe_mailbox(box: ChannelSettings, smtp_role: str) -> str:
    """One mailbox for ``channel email list``: where it reads, what it sends from and how."""
    imap = (
        f"{box.text('imap_user')}@{box.text('imap_host')}:{box.text('imap_port')}"
        f"/{box.text('mailbox', 'INBOX')} ({box.text('imap_security')})"
    )
    smtp = f"{box.text('smtp_host')}:{box.text('smtp_port')} ({box.text('smtp_security')}"
    return (
        f"{box.text('name')}: from {box.text('from_address')}; IMAP {imap}; "
        f"SMTP {smtp}, {smtp_role})"
    )


def _mailbox_settings(args: argparse.Namespace, row: m.ChannelConfig | None) -> dict[str, Any]:
    """The mailbox's own settings, checked as the mailbox will run (with what it inherits)."""
    out = _given(_SETTINGS[Provider.EMAIL], args)
    from csdesk.server.channels.email_outbound import check_email_settings

    if row is None or args.name == config_store.primary_name(_unlocked(row)):
        check_email_settings(out)
        return out
    inherited = {
        k: v
        for k, v in (row.settings or {}).items()
        if k not in config_store.MAILBOX_OWN and k != config_store.MAILBOXES
    }
    own_smtp = bool(out.get("smtp_host"))
    if own_smtp:
        for key in config_store.SMTP_SETTINGS:
            inherited.pop(key, None)
    elif any(out.get(key) for key in config_store.SMTP_SETTINGS):
        raise ValueError(
            "email: give --smtp-host with the other --smtp-* options, or none of them to send "
            "through the first mailbox's SMTP server"
        )
    merged = {**inherited, **out}
    check_email_settings(merged)
    keep = {*config_store.MAILBOX_OWN, *out}
    if own_smtp:
        keep |= set(config_store.SMTP_SETTINGS)
    return {k: v for k, v in merged.items() if k in keep}


def _add_mailbox(args: argparse.Namespace, writes: sessionmaker[Session], vault: Vault) -> int:
    name = config_store.check_mailbox_name(args.name)
    with writes() as s:
        row = s.get(m.ChannelConfig, Provider.EMAIL.value)
        settings = _mailbox_settings(args, row)
        first = row is None or name == config_store.primary_name(_unlocked(row))
    values: dict[str, str] = {}
    for secret, env, _generated in _SECRETS[Provider.EMAIL]:
        if secret == "smtp_password" and not (first or settings.get("smtp_host")):
            continue  # the shared SMTP server's password is the first mailbox's
        values[secret] = _secret(Provider.EMAIL, secret, env, getattr(args, secret), False)
    with writes() as s:
        config_store.save_mailbox(s, vault, name, settings, values)
        s.commit()
    role = "the first mailbox (its SMTP server is shared)" if first else "a further mailbox"
    print(
        f"csdesk-server: email mailbox {name} saved as {role}; secrets encrypted with "
        f"{vault.key_source}"
    )
    return 0
