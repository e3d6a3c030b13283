"""The ``csdesk`` command itself: the README's ``make run`` must open the workstation window,
not just a server (it once did only that), and a packaged build can check itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import csdesk.__main__ as entry
import csdesk.ui.app as ui_app

pytestmark = pytest.mark.timeout(200)


def test_arguments_choose_window_or_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str | None, bool]] = []

    def fake_window(
        server_url: str | None = None, *, self_test: bool = False, spawned: object = None
    ) -> int:
        calls.append((server_url, self_test))
        return 7

    monkeypatch.setattr(ui_app, "main", fake_window)
    monkeypatch.setattr(entry, "_spawn_if_embedded", lambda: None)
    monkeypatch.setattr(entry, "_serve_embedded", lambda: 9)
    assert entry.main([]) == 7
    assert entry.main(["--server", "https://desk.example.com", "--self-test"]) == 7
    assert entry.main(["--server-only"]) == 9
    assert calls == [(None, False), ("https://desk.example.com", True)]


def test_csdesk_with_nothing_configured_opens_a_signed_in_inbox(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CSDESK_DATA_DIR": str(tmp_path / "data"),
        "CSDESK_CONFIG_DIR": str(tmp_path / "config"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "csdesk", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, (run.stdout, run.stderr[-3000:])
    assert "self-test passed: signed in" in run.stdout
    assert "conversations shown" in run.stdout
