"""``csdesk-server`` commands as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from tests.helpers.server import ServerProcess


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "csdesk.server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_add_user_reads_password_from_stdin_and_can_log_in(tmp_path: Path) -> None:
    db = f"sqlite+pysqlite:///{tmp_path / 'cli.db'}"
    done = _cli(
        "add-user", "maria", "--role", "supervisor", "--db", db, stdin="correct horse battery\n"
    )
    assert done.returncode == 0, done.stderr
    assert "added supervisor 'maria'" in done.stdout
    dup = _cli("add-user", "maria", "--db", db, stdin="another password\n")
    assert dup.returncode == 2 and "already exists" in dup.stderr
    short = _cli("add-user", "ivan", "--db", db, stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr

    server = ServerProcess(db, log_path=tmp_path / "s.log").start()
    try:
        r = requests.post(
            f"{server.url}/api/v1/auth/login",
            json={"username": "maria", "password": "correct horse battery"},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["user"]["role"] == "supervisor"
        # The new user is in the change feed, so every workstation learns the name.
        token = r.json()["token"]
        page = requests.get(
            f"{server.url}/api/v1/changes", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
        assert any(
            c["entity"] == "user" and c["data"]["username"] == "maria" for c in page["changes"]
        )
    finally:
        server.stop()


def test_migrate_and_downgrade(tmp_path: Path) -> None:
    db = f"sqlite+pysqlite:///{tmp_path / 'm.db'}"
    assert _cli("migrate", "--db", db).returncode == 0
    down = _cli("migrate", "--db", db, "--downgrade-to", "base")
    assert down.returncode == 0 and "base" in down.stdout


def test_unreachable_database_is_a_clear_error() -> None:
    done = _cli("migrate", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert done.returncode == 2
    assert "cannot use database" in done.stderr and "Traceback" not in done.stderr


def test_serve_keeps_start_up_objects_out_of_full_garbage_collections() -> None:
    probe = (
        "import gc\n"
        "from csdesk.server.app import create_app\n"
        "from csdesk.server.cli import _tune_garbage_collector\n"
        "_tune_garbage_collector()\n"
        "print(gc.get_freeze_count(), gc.get_threshold()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    frozen, first = (int(v) for v in done.stdout.split())
    assert frozen > 10_000  # the imported modules and what they built
    assert first > 700  # the first generation is collected less often than by default
