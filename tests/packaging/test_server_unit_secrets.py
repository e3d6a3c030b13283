"""The systemd unit never puts the database URL (and its password) on the command line."""

from __future__ import annotations

from pathlib import Path

LINUX = Path(__file__).resolve().parents[2] / "packaging" / "linux"


def _exec_start(unit: str) -> str:
    lines = unit.replace("\\\n", " ").splitlines()
    return next(line for line in lines if line.startswith("ExecStart="))


def test_the_unit_reads_the_database_url_from_its_environment_file() -> None:
    unit = (LINUX / "csdesk-server.service").read_text()
    start = _exec_start(unit)
    assert "--db" not in start and "CSDESK_DB" not in start and "DATABASE_URL" not in start
    assert "EnvironmentFile=/etc/csdesk/csdesk-server.env" in unit
    env = (LINUX / "csdesk-server.env.example").read_text()
    assert "\nCSDESK_DATABASE_URL=" in env
