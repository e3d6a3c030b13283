"""``csdesk-server store add shopify|woocommerce|list|remove``: connecting a shop.

Like ``channel add``: secrets from an option, else an environment variable
(``CSDESK_SHOPIFY_ACCESS_TOKEN`` and so on, which keeps them out of shell history and ``ps``),
else asked for on a terminal; stored encrypted with the channels' key. ``store list`` shows
each connection's import progress and the webhook URL to register, never a secret.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.channels.vault import Vault, VaultError
from csdesk.server.commerce import stores


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> argparse.ArgumentParser:
    store = sub.add_parser("store", help="connect a shop (Shopify, WooCommerce): orders, returns")
    actions = store.add_subparsers(dest="store_command", required=True)
    add = actions.add_parser("add", help="connect a store (or replace its connection)")
    providers = add.add_subparsers(dest="provider", required=True)
    for provider, spec in stores.SPECS.items():
        p = providers.add_parser(provider, help=f"connect a {provider} store")
        db_arg(p)
        _dirs(p)
        p.add_argument(
            "--name", default=provider, help=f"short name of the store (default {provider})"
        )
        for flag, key, text in spec.settings:
            p.add_argument(flag, dest=key, default=None, help=text)
        for key, env, text in spec.secrets:
            p.add_argument(_option(key), dest=key, default=None, help=f"{text}; or set {env}")
        p.add_argument("--disabled", action="store_true", help="store it switched off")
    listing = actions.add_parser("list", help="show stores and their import progress")
    db_arg(listing)
    _dirs(listing)
    remove = actions.add_parser(
        "remove", help="disconnect a store (its orders stay; its webhooks then refuse)"
    )
    remove.add_argument("name")
    db_arg(remove)
    _dirs(remove)
    return store


def _dirs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None, help="where secret.key lives (see README)")
    p.add_argument("--public-url", default=None, help="the server's public URL, to print hooks")


def _hook(provider: str, name: str, public_url: str | None) -> str:
    return (public_url or "<public-url>").rstrip("/") + stores.webhook_path(provider, name)


def _secret(provider: str, key: str, env: str, given: str | None) -> str:
    if given:
        return given
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise ValueError(f"{provider}: give {_option(key)} or set {env}")
    return getpass.getpass(f"{provider} {key.replace('_', ' ')}: ").strip()


def run(args: argparse.Namespace, writes: sessionmaker[Session], default_dir: Path) -> int:
    vault = Vault(Path(args.data_dir) if args.data_dir else default_dir)
    try:
        if args.store_command == "add":
            return _add(args, writes, vault)
        if args.store_command == "remove":
            with writes() as s:
                found = stores.remove(s, args.name)
                s.commit()
            if not found:
                print(f"csdesk-server: no store named {args.name!r}", file=sys.stderr)
                return 1
            print(f"csdesk-server: store {args.name} removed; its orders stay, its webhooks refuse")
            return 0
        with writes() as s:
            rows = stores.rows(s)
            if not rows:
                print("csdesk-server: no stores connected")
            for row in rows:
                state = "enabled" if row.enabled else "disabled"
                settings = dict(row.settings or {})
                names = settings.pop("secrets_set", [])
                shown = ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
                print(f"{row.name}: {row.provider} ({state}) {shown}")
                print(f"  {stores.progress(row)}")
                print(f"  secrets set: {', '.join(names)} (encrypted)")
                print(f"  webhook: {_hook(row.provider, row.name, args.public_url)}")
        return 0
    except (ValueError, VaultError) as exc:
        print(f"csdesk-server: {exc}", file=sys.stderr)
        return 2


def _add(args: argparse.Namespace, writes: sessionmaker[Session], vault: Vault) -> int:
    provider = args.provider
    spec = stores.SPECS[provider]
    name = stores.check_name(args.name)
    settings: dict[str, Any] = {
        key: getattr(args, key) for _f, key, _t in spec.settings if getattr(args, key) is not None
    }
    stores.check_settings(provider, settings)
    values = {key: _secret(provider, key, env, getattr(args, key)) for key, env, _t in spec.secrets}
    with writes() as s:
        stores.save(s, vault, name, provider, settings, values, enabled=not args.disabled)
        s.commit()
    print(
        f"csdesk-server: {provider} store {name} connected; secrets encrypted with "
        f"{vault.key_source}; the import starts when the server runs"
    )
    print(f"  webhook URL: {_hook(provider, name, args.public_url)}")
    if provider not in stores.FACTORIES:
        print(f"  note: this server has no {provider} connector yet; it stays idle")
    return 0
