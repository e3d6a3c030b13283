"""The embedded default: a local sync server on SQLite with the demo store, nothing to set up.

It runs as a child process, not a thread: the server's work then never competes with the
workstation's GUI thread for the interpreter lock, and a crash of one does not take the other.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
#: Who can sign in to the demo store (user name, role); kept equal to the server's demo team
#: by tests/unit/test_embedded_users.py (the client does not import the server).
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("demo", "agent"),
    ("alex", "agent"),
    ("priya", "agent"),
    ("mateo", "agent"),
    ("sam", "supervisor"),
    ("admin", "admin"),
    ("trainee", "trainee"),
)


class EmbeddedError(RuntimeError):
    pass


def data_dir() -> Path:
    path = Path(os.environ.get("CSDESK_DATA_DIR") or platformdirs.user_data_dir("csdesk", "csdesk"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedServer:
    url: str
    db_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


#: The switch that makes ``csdesk`` run the server CLI (see csdesk.__main__); not in --help.
SERVER_CLI_SWITCH = "--server-cli"


def server_command(*args: str, frozen: bool | None = None) -> list[str]:
    """The command that runs ``csdesk-server ARGS…`` as a child of this process.

    In a PyInstaller build ``sys.executable`` is the csdesk app itself, which has no ``-m``:
    the app then re-runs itself with the hidden switch. ``frozen`` defaults to ``sys.frozen``
    (set by the bootloader); tests pass it to check the frozen command without a build."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if frozen:
        return [sys.executable, SERVER_CLI_SWITCH, *args]
    return [sys.executable, "-m", "csdesk.server.cli", *args]


def _cli(*args: str) -> list[str]:
    return server_command(*args)


def start(
    directory: Path | None = None,
    *,
    port: int | None = None,
    timeout: float = 60.0,
    simulate_every: float = 8.0,
) -> EmbeddedServer:
    """Seed the demo store on first use, start the server, wait until it answers.

    A customer simulator writes a new inbound message every ``simulate_every`` seconds or so,
    so the demo inbox is alive."""
    from csdesk.sync.api import SyncApi, SyncError

    directory = directory or data_dir()
    db_url = f"sqlite+pysqlite:///{directory / 'embedded-server.db'}"
    log_path = directory / "embedded-server.log"
    seeded = subprocess.run(_cli("seed-demo", "--db", db_url), capture_output=True, text=True)
    if seeded.returncode != 0:
        raise EmbeddedError(f"could not prepare the demo store: {seeded.stderr.strip()}")
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            _cli(
                "serve",
                "--db",
                db_url,
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--simulate-customers",
                str(simulate_every),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    api = SyncApi(url, timeout=1)
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EmbeddedError(f"the local server stopped at start-up; see {log_path}")
            try:
                if api.health().get("status") == "ok":
                    return EmbeddedServer(url, db_url, proc, log_path)
            except SyncError:
                time.sleep(0.1)
    finally:
        api.close()
    proc.kill()
    raise EmbeddedError(f"the local server did not answer within {timeout:.0f} s; see {log_path}")
