"""The database URL's password is never on the command line nor in anything the server
prints: it comes from $CSDESK_DATABASE_URL or --database-url-file, and is shown as ``***``."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.helpers.server import ServerProcess

SECRET = "pw-Sekr1t-9q"


def _with_password(url: str) -> str:
    # The test cluster trusts loopback, so any password connects: what matters is the output.
    return make_url(url).set(password=SECRET).render_as_string(hide_password=False)


@dataclass
class _NoDbArgServer(ServerProcess):
    """``serve`` without --db: the URL comes from the environment or ``url_args``."""

    url_args: list[str] = field(default_factory=list)

    def command(self) -> list[str]:
        cmd = super().command()
        at = cmd.index("--db")
        return [*cmd[:at], *cmd[at + 2 :], *self.url_args]


def _cmdline(server: ServerProcess) -> str:
    assert server.proc is not None and server.proc.pid is not None
    return Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.parametrize("source", ["environment", "file"])
def test_serve_takes_the_url_from_the_environment_or_a_file_and_never_prints_the_password(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    secret_url = _with_password(pg_url)
    server = _NoDbArgServer(pg_url, log_path=tmp_path / "server.log")
    if source == "environment":
        monkeypatch.setenv("CSDESK_DATABASE_URL", secret_url)
    else:
        url_file = tmp_path / "database-url"
        url_file.write_text(f"{secret_url}\n")
        server.url_args = ["--database-url-file", str(url_file)]
    server.start()
    try:
        assert SECRET not in _cmdline(server)
    finally:
        server.stop()
    assert server.log_path is not None
    output = server.log_path.read_text()
    listening = next(line for line in output.splitlines() if "listening on" in line)
    u = make_url(pg_url)
    assert f":***@{u.host}:{u.port}/{u.database})" in listening, listening
    assert SECRET not in output


def test_a_password_on_the_command_line_is_warned_about_and_not_echoed(pg_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "csdesk.server.cli", "migrate", "--db", _with_password(pg_url)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "visible to every user" in done.stderr and "CSDESK_DATABASE_URL" in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_an_unreachable_database_error_hides_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSDESK_DATABASE_URL", f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x")
    done = subprocess.run(
        [sys.executable, "-m", "csdesk.server.cli", "migrate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "cannot use database 'postgresql+psycopg://u:***@127.0.0.1:1/x'" in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_an_unreadable_url_file_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "csdesk.server.cli",
            "migrate",
            "--database-url-file",
            str(tmp_path / "missing"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "cannot read the database URL file" in done.stderr and "Traceback" not in done.stderr
