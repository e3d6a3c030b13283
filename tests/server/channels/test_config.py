"""Channel configuration: the key, the CLI an operator uses, and what reaches the database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.vault import ENV_KEY, KEY_FILE, Vault, VaultError
from tests.server.channels.support import state_for


def test_key_file_is_created_owner_only_on_first_use(tmp_path: Path) -> None:
    vault = Vault(tmp_path, environ={})
    assert not (tmp_path / KEY_FILE).exists()  # nothing until a secret is stored
    token = vault.encrypt({"auth_token": "s3cret"})
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert "s3cret" not in token
    assert Vault(tmp_path, environ={}).decrypt(token) == {"auth_token": "s3cret"}


def test_environment_key_wins_and_rotation_keeps_old_secrets(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Vault(tmp_path, environ={ENV_KEY: old}).encrypt({"bot_token": "123:abc"})
    assert not (tmp_path / KEY_FILE).exists()
    rotated = Vault(tmp_path, environ={ENV_KEY: f"{new},{old}"})
    assert rotated.decrypt(token) == {"bot_token": "123:abc"}
    with pytest.raises(VaultError, match="not the key"):
        Vault(tmp_path, environ={ENV_KEY: new}).decrypt(token)
    with pytest.raises(VaultError, match="not a Fernet key") as err:
        Vault(tmp_path, environ={ENV_KEY: "short"}).encrypt({})
    assert "short" not in str(err.value)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    Vault(tmp_path, environ={}).encrypt({"x": "y"})
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(VaultError, match="chmod 600"):
        Vault(tmp_path, environ={}).encrypt({"x": "y"})


def test_missing_secrets_are_refused(db_url: str, tmp_path: Path) -> None:
    state = state_for(db_url, tmp_path)
    try:
        with state.writes() as s, pytest.raises(ValueError, match="verify_token"):
            config_store.save(
                s,
                Vault(tmp_path, environ={}),
                Provider.META,
                {},
                {"app_secret": "a", "access_token": "b"},
            )
    finally:
        state.engine.dispose()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "csdesk.server.cli", "channel", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
    )


def test_channel_cli_add_list_remove(tmp_path: Path) -> None:
    db = f"sqlite+pysqlite:///{tmp_path / 'c.db'}"
    data = str(tmp_path / "data")
    env = {ENV_KEY: "", "CSDESK_TWILIO_AUTH_TOKEN": "tw-secret-from-env"}
    added = _cli(
        "add",
        "twilio",
        "--db",
        db,
        "--data-dir",
        data,
        "--account-sid",
        "AC42",
        "--from-number",
        "+14155550100",
        "--public-url",
        "https://desk.example.com",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "https://desk.example.com/webhooks/twilio/sms" in added.stdout
    assert "https://desk.example.com/webhooks/twilio/voice" in added.stdout
    assert f"key file {tmp_path / 'data' / KEY_FILE}" in added.stdout
    assert "tw-secret-from-env" not in added.stdout

    tg = _cli("add", "telegram", "--db", db, "--data-dir", data, "--bot-token", "9:xyz", env=env)
    assert tg.returncode == 0, tg.stderr
    generated = next(
        line.split(": ", 1)[1]
        for line in tg.stdout.splitlines()
        if "generated secret token" in line
    )
    assert len(generated) >= 32  # shown once, to paste into setWebhook

    meta = _cli("add", "meta", "--db", db, "--data-dir", data, env=env)
    assert meta.returncode == 2 and "CSDESK_META_APP_SECRET" in meta.stderr
    bad = _cli("add", "twilio", "--db", db, "--data-dir", data, "--account-sid", "AC1", env=env)
    assert bad.returncode == 2 and "--from-number" in bad.stderr

    listed = _cli("list", "--db", db, "--data-dir", data, env=env)
    assert listed.returncode == 0
    assert "twilio (enabled): account_sid=AC42, from_number=+14155550100" in listed.stdout
    assert "secrets set: bot_token, secret_token (encrypted)" in listed.stdout
    for secret in ("tw-secret-from-env", "9:xyz", generated):
        assert secret not in listed.stdout
    raw = (tmp_path / "c.db").read_bytes()
    for secret in (b"tw-secret-from-env", b"9:xyz", generated.encode()):
        assert secret not in raw

    state = state_for(db, tmp_path / "data")
    try:
        with state.reads() as s:
            loaded = config_store.load(s, Vault(tmp_path / "data", environ={}), Provider.TELEGRAM)
    finally:
        state.engine.dispose()
    assert loaded is not None and loaded.secret("secret_token") == generated

    removed = _cli("remove", "telegram", "--db", db, "--data-dir", data, env=env)
    assert removed.returncode == 0
    assert _cli("remove", "telegram", "--db", db, "--data-dir", data, env=env).returncode == 1
    assert "telegram" not in _cli("list", "--db", db, "--data-dir", data, env=env).stdout
