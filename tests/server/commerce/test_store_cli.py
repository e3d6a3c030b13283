"""``csdesk-server store add shopify|list|remove``: secrets from the environment, encrypted at
rest, never printed; progress and the webhook URL in ``store list``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from csdesk.server.channels.vault import Vault
from csdesk.server.cli import main
from csdesk.server.commerce import stores
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState

TOKEN = "shpat_cli_secret_token_value"
HOOK_SECRET = "cli-webhook-secret-value"


def test_add_list_remove(
    db_url: str, tmp_path: Path, store_key: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("CSDESK_SHOPIFY_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CSDESK_SHOPIFY_WEBHOOK_SECRET", HOOK_SECRET)
    common = ["--db", db_url, "--data-dir", str(tmp_path)]
    shop = ["--shop-url", "https://acme.myshopify.com", "--public-url", "https://desk.example"]
    rc = main(["store", "add", "shopify", "--name", "acme", *common, *shop])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "https://desk.example/webhooks/store/shopify/acme" in out
    assert TOKEN not in out and HOOK_SECRET not in out
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT secrets, settings FROM store_connections")).one()
    engine.dispose()
    assert TOKEN not in str(stored) and HOOK_SECRET not in str(stored)
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    with state.reads() as s:
        (row,) = stores.rows(s)
        decrypted = stores.decrypt(row, Vault(tmp_path))
    state.engine.dispose()
    assert decrypted.secret("access_token") == TOKEN
    assert main(["store", "list", *common]) == 0
    listing = capsys.readouterr().out
    assert "acme: shopify (enabled)" in listing
    assert "importing customers (0 customers, 0 orders imported so far)" in listing
    assert TOKEN not in listing and "access_token, webhook_secret" in listing
    assert main(["store", "remove", "acme", *common]) == 0
    assert main(["store", "remove", "acme", *common]) == 1
    capsys.readouterr()
    assert main(["store", "list", *common]) == 0
    assert "no stores connected" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--name", "Bad Name!", "--shop-url", "https://a.example"], "store name"),
        (["--shop-url", "ftp://a.example"], "--shop-url"),
        (["--shop-url", "https://a.example/admin"], "--shop-url"),
        (["--shop-url", "https://a.example", "--reconcile-minutes", "-3"], "reconcile"),
    ],
)
def test_bad_options_are_refused(
    db_url: str, tmp_path: Path, store_key: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], args: list[str], complaint: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("CSDESK_SHOPIFY_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CSDESK_SHOPIFY_WEBHOOK_SECRET", HOOK_SECRET)
    rc = main(["store", "add", "shopify", "--db", db_url, "--data-dir", str(tmp_path), *args])
    assert rc == 2
    assert complaint in capsys.readouterr().err


def test_missing_secret_without_a_terminal(
    db_url: str, tmp_path: Path, store_key: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.delenv("CSDESK_SHOPIFY_ACCESS_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115
    rc = main(["store", "add", "shopify", "--db", db_url, "--data-dir", str(tmp_path),
               "--shop-url", "https://acme.myshopify.com"])  # fmt: skip
    assert rc == 2
    assert "CSDESK_SHOPIFY_ACCESS_TOKEN" in capsys.readouterr().err
