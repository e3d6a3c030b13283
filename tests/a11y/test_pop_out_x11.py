"""A pop-out closed by Escape on a real X server without a window manager gives the keyboard
back to the main window, whose shortcuts then work (``pop_out_x11.py``; docs/pop-out.md).
Without the desk activating the main window again, the "j" after the close went nowhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.requirements import require

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]


def test_escape_closes_the_pop_out_and_the_main_window_has_the_keyboard_again() -> None:
    require(shutil.which("xvfb-run") is not None, "xvfb-run is not installed (package xvfb)")
    require(shutil.which("xdotool") is not None, "xdotool is not installed (package xdotool)")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    env.pop("DISPLAY", None)
    run = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24",
         sys.executable, "-m", "tests.a11y.pop_out_x11"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    lines = run.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {}
    assert report == {
        "popped_out": True,
        "typed_in_pop_out": True,
        "macro_dialog_gave_keys_back": True,
        "reminder_dialog_gave_keys_back": True,
        "focus_back": True,
        "draft_back": True,
        "next_after_close": True,
    }, (report, run.stderr[-3000:])
    assert run.returncode == 0
