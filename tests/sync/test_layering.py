"""DESIGN rule 1: ``csdesk.sync`` uses requests and SQLAlchemy, never Qt or the server."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("PySide6", "fastapi", "starlette", "uvicorn", "csdesk.server", "csdesk.ui")


def test_sync_imports_neither_qt_nor_the_server() -> None:
    code = (
        "import sys, csdesk.sync\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
        f"or m.startswith({FORBIDDEN!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert (
        "requests"
        in subprocess.run(
            [sys.executable, "-c", "import sys, csdesk.sync; print(' '.join(sys.modules))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
