"""``csdesk-server translation add libretranslate|deepl|list|remove``: the translation provider.

Like ``store add``: the API key from ``--api-key``, else ``CSDESK_TRANSLATION_API_KEY`` (out of
shell history and ``ps``), else asked for on a terminal; stored encrypted with the channels'
key. The first enabled connection by name is the one used.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.channels.vault import Vault, VaultError
from csdesk.server.languages import providers

ENV_KEY = "CSDESK_TRANSLATION_API_KEY"


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> argparse.ArgumentParser:
    top = sub.add_parser("translation", help="the translation provider (LibreTranslate, DeepL)")
    actions = top.add_subparsers(dest="translation_command", required=True)
    add = actions.add_parser("add", help="configure a provider (or replace its connection)")
    kinds = add.add_subparsers(dest="provider", required=True)
    for provider in providers.PROVIDERS:
        p = kinds.add_parser(provider, help=f"translate through {provider}")
        db_arg(p)
        p.add_argument("--data-dir", default=None, help="where secret.key lives (see README)")
        p.add_argument("--name", default=provider, help=f"a short name (default {provider})")
        url_help = (
            "the server's base URL, e.g. https://translate.example.com"
            if provider == "libretranslate"
            else "override the API host (default: api-free.deepl.com for a key ending in :fx, "
            "else api.deepl.com)"
        )
        p.add_argument("--url", default=None, help=url_help)
        key_need = "optional for a self-hosted server" if provider == "libretranslate" else ""
        p.add_argument(
            "--api-key",
            default=None,
            help=f"the API key ({key_need + '; ' if key_need else ''}or set {ENV_KEY})",
        )
        p.add_argument("--disabled", action="store_true", help="store it switched off")
    listing = actions.add_parser("list", help="show the configured providers")
    db_arg(listing)
    listing.add_argument("--data-dir", default=None)
    remove = actions.add_parser("remove", help="remove a provider")
    remove.add_argument("name")
    db_arg(remove)
    remove.add_argument("--data-dir", default=None)
    return top


def _key(provider: str, given: str | None) -> str:
    if given:
        return given
    if os.environ.get(ENV_KEY):
        return os.environ[ENV_KEY]
    if provider == "libretranslate" or not sys.stdin.isatty():
        if provider == "deepl":
            raise ValueError(f"deepl: give --api-key or set {ENV_KEY}")
        return ""
    return getpass.getpass(f"{provider} API key: ").strip()


def run(args: argparse.Namespace, writes: sessionmaker[Session], default_dir: Path) -> int:
    vault = Vault(Path(args.data_dir) if args.data_dir else default_dir)
    try:
        if args.translation_command == "add":
            key = _key(args.provider, args.api_key)
            with writes() as s:
                providers.save(
                    s,
                    vault,
                    providers.check_name(args.name),
                    args.provider,
                    {"url": args.url},
                    key,
                    enabled=not args.disabled,
                )
                s.commit()
            print(
                f"csdesk-server: {args.provider} translation {args.name} configured"
                + (f"; API key encrypted with {vault.key_source}" if key else "")
            )
            return 0
        if args.translation_command == "remove":
            with writes() as s:
                found = providers.remove(s, args.name)
                s.commit()
            if not found:
                print(
                    f"csdesk-server: no translation provider named {args.name!r}", file=sys.stderr
                )
                return 1
            print(f"csdesk-server: translation provider {args.name} removed")
            return 0
        with writes() as s:
            rows = providers.rows(s)
            if not rows:
                print("csdesk-server: no translation provider configured")
            for row in rows:
                state = "enabled" if row.enabled else "disabled"
                url = (row.settings or {}).get("url") or "(the provider's default host)"
                print(f"{row.name}: {row.provider} ({state}) {url}; API key encrypted")
        return 0
    except (ValueError, VaultError) as exc:
        print(f"csdesk-server: {exc}", file=sys.stderr)
        return 2
