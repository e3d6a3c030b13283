"""``csdesk-server scenario add FILE | list`` (issue 12): a scenario file is checked strictly
(clear errors, nothing stored when one file is bad) and published to every desk, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from csdesk.training.scenario import default_dir
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

pytestmark = pytest.mark.timeout(180)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "csdesk.server.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_scenario_add_checks_and_publishes(
    db_url: str, tmp_path: Path, users: dict[str, TestUser]
) -> None:
    data = json.loads((default_dir() / "double-charged.json").read_text(encoding="utf-8"))
    data["id"], data["title"] = "charged-three-times", "Charged three times"
    good = tmp_path / "three.json"
    good.write_text(json.dumps(data), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**data, "id": "broken", "difficulty": "extreme"}), "utf-8")
    huge = tmp_path / "huge.json"
    huge.write_text(" " * (300 * 1024), encoding="utf-8")

    refused = _cli("scenario", "add", str(good), str(broken), "--db", db_url)
    assert refused.returncode == 2
    assert "broken.json" in refused.stderr and "'difficulty' must be one of" in refused.stderr
    listed = _cli("scenario", "list", "--db", db_url)
    assert listed.returncode == 0 and "charged-three-times" not in listed.stdout  # none stored
    too_big = _cli("scenario", "add", str(huge), "--db", db_url)
    assert too_big.returncode == 2 and "at most 262,144" in too_big.stderr
    missing = _cli("scenario", "add", str(tmp_path / "nope.json"), "--db", db_url)
    assert missing.returncode == 2 and "cannot be read" in missing.stderr

    done = _cli("scenario", "add", str(good), "--db", db_url)
    assert done.returncode == 0, done.stderr
    assert "published 'charged-three-times' (Charged three times), version 1" in done.stdout
    again = _cli("scenario", "add", str(good), "--db", db_url)
    assert "version 1" in again.stdout  # the same file again: no new version
    listed = _cli("scenario", "list", "--db", db_url)
    assert "charged-three-times" in listed.stdout and "published" in listed.stdout

    add_users(db_url, [users["tia"]])
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    try:
        tia = Raw.signed_in(server, users["tia"])
        changes, _ = tia.pull_all()
        keys = {c["data"]["key"] for c in changes if c["entity"] == "training_scenario"}
        assert "charged-three-times" in keys and "where-is-my-order" in keys  # and the defaults
    finally:
        server.stop()
