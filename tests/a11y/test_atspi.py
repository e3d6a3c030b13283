"""What Orca reads: the real AT-SPI tree of the signed-in window, the shortcuts sheet, the
settings, sign-in and canned-response dialogs, walked from another process
(see ``atspi_launcher.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.requirements import require

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
SYSTEM_SITE = "/usr/lib/python3/dist-packages"


def _pyatspi_importable() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"],
        env={**os.environ, "PYTHONPATH": SYSTEM_SITE},
        capture_output=True,
        check=False,
        timeout=60,
    )
    return probe.returncode == 0


def _walk(*extra: str) -> tuple[int, dict[str, Any], str]:
    require(shutil.which("xvfb-run") is not None, "xvfb-run is not installed (package xvfb)")
    require(
        shutil.which("dbus-run-session") is not None,
        "dbus-run-session is not installed (package dbus-user-session)",
    )
    require(_pyatspi_importable(), "python3-pyatspi is not installed for /usr/bin/python3")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "xcb",
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
    }
    env.pop("DISPLAY", None)
    run = subprocess.run(
        [
            "dbus-run-session",
            "--",
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1920x1200x24",
            sys.executable,
            "-m",
            "tests.a11y.atspi_launcher",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    lines = run.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {}
    return run.returncode, report, run.stderr[-3000:]


def test_orca_finds_a_name_for_everything() -> None:
    code, report, errors = _walk()
    assert "error" not in report, (report, errors)
    # Pop-out conversations (docs/pop-out.md): named after the demo's first open conversation's
    # customer.
    popped = [w for w in report["windows"] if w.startswith("Conversation with ")]
    assert len(popped) == 1 and popped[0] != "Conversation with Unknown customer", popped
    assert [w for w in report["windows"] if w not in popped] == [
        "Canned responses",
        "Conversations behind a figure",  # the KPI dashboard's drill-down
        "KPI dashboard",
        "Keyboard shortcuts",
        "Order question",  # the formatted-email view
        "Send a WhatsApp template",
        "Settings",
        "Sign in to csdesk",
        "Supervisor's floor",  # the live board of queues and agents (issue 12)
        "Training mode",
        "Wrap up call with Jane Doe, +447700900123",
        "csdesk agent workstation",
    ]
    assert report["roles"].get("push button", 0) >= 8  # the conversation's actions and more
    assert report["roles"].get("list item", 0) > 0  # the views, the thread
    assert report["roles"].get("table cell", 0) > 0  # the inbox rows were walked
    assert report["problems"] == []
    # A chart is read as its name and its summary, numbers included.
    assert report["described"]["Per day chart"].startswith("Contacts per day, "), report[
        "described"
    ].get("Per day chart")
    assert "first response" in report["described"]["First-response times chart"]
    # The pop-out's action row (760 px) ends in "More actions", whose description lists what
    # it holds; those buttons are hidden: not showing, not visible, so Orca does not read them.
    inside = report["described"]["More actions"].splitlines()
    assert inside and all(" (" in line for line in inside), inside  # "Snooze (B): …"
    for line in inside:
        button = f"push button[{line.split(' (')[0]}]"
        assert [p for p in report["unshown"] if p.endswith(button)], button
        assert not [p for p in report["unshown"] if p.endswith(f"{button} (visible)")], button
    assert code == 0


def test_the_walk_catches_an_unnamed_button_and_field() -> None:
    code, report, errors = _walk("--plant")
    assert "error" not in report, (report, errors)
    problems = "\n".join(report["problems"])
    assert "push button[?]" in problems
    assert "text[?]" in problems
    assert code == 1
