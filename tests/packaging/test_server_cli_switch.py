"""The embedded server in a frozen build: ``sys.executable`` is the csdesk app, so the server
runs as ``csdesk --server-cli …``. Checked without PyInstaller by starting the embedded server
exactly as a frozen build would, with the installed ``csdesk`` command standing in for the
bundle's executable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from csdesk import embedded
from csdesk.sync.api import SyncApi
from tests.helpers.requirements import require

pytestmark = pytest.mark.timeout(180)


def _csdesk_command() -> Path:
    script = Path(sys.executable).with_name("csdesk.exe" if sys.platform == "win32" else "csdesk")
    require(script.exists(), f"the csdesk console script is not installed beside {sys.executable}")
    return script


def test_frozen_command_reenters_the_app_and_source_command_uses_the_module() -> None:
    assert embedded.server_command("serve", "--port", "1", frozen=True) == [
        sys.executable,
        "--server-cli",
        "serve",
        "--port",
        "1",
    ]
    assert embedded.server_command("migrate", frozen=False) == [
        sys.executable,
        "-m",
        "csdesk.server.cli",
        "migrate",
    ]


def test_hidden_switch_runs_the_server_cli_and_stays_out_of_help() -> None:
    script = str(_csdesk_command())
    done = subprocess.run(
        [script, "--server-cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "seed-demo" in done.stdout and "serve" in done.stdout
    app_help = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert app_help.returncode == 0 and "--server-cli" not in app_help.stdout


def test_embedded_server_starts_through_the_frozen_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(_csdesk_command()))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert embedded.server_command("serve")[:2] == [sys.executable, "--server-cli"]
    server = embedded.start(tmp_path, simulate_every=3600)
    try:
        assert server.proc.args[:2] == [sys.executable, "--server-cli"]  # type: ignore[index]
        api = SyncApi(server.url, timeout=10)
        try:
            signed_in = api.login(embedded.DEMO_USER, embedded.DEMO_PASSWORD)
            assert signed_in.user["username"] == embedded.DEMO_USER
        finally:
            api.close()
    finally:
        server.stop()
    assert (tmp_path / "embedded-server.db").stat().st_size > 0


def test_server_cli_in_a_windowed_build_writes_to_the_inherited_log(tmp_path: Path) -> None:
    """Windowed frozen apps start with sys.stdout/sys.stderr set to None; the server's output
    must still reach the log file the embedded parent hands it."""
    windowed = (
        "import sys; sys.stdout = None; sys.stderr = None\n"
        "from csdesk.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    db = f"sqlite+pysqlite:///{tmp_path / 'w.db'}"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        done = subprocess.run(
            [sys.executable, "-c", windowed, "--server-cli", "migrate", "--db", db],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    assert done.returncode == 0, log.read_text()
    assert "database at head" in log.read_text()
