"""Walk csdesk's accessibility tree over AT-SPI, as Orca would, and report what it cannot name.

Run by ``atspi_launcher.py`` in a separate process (AT-SPI calls are synchronous D-Bus calls
the app's event loop must answer), with the system Python and Debian's ``python3-pyatspi``:
``PYTHONPATH=/usr/lib/python3/dist-packages python3 atspi_check.py APP_NAME``.
Prints one JSON object; exit status 0 when nothing is missing.

Fails on: a focusable element without a name; a push button or a text entry without a name; an
image without a name or description. Standard library + pyatspi only (no csdesk imports).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pyatspi  # type: ignore[import-not-found]

BUTTONS = {"push button", "toggle button", "check box", "radio button", "combo box"}
ENTRIES = {"text", "entry", "password text", "spin button"}
IMAGES = {"image", "icon"}
MAX_NODES = 5000


def find_app(name: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            if app is not None and app.name == name:
                return app
        time.sleep(0.3)
    return None


def walk(app: Any) -> dict[str, Any]:
    problems: list[str] = []
    windows: list[str] = []
    roles: dict[str, int] = {}
    described: dict[str, str] = {}  # name → description of what shows both
    unshown: list[str] = []  # buttons in the tree that are not on the screen (hidden ones)
    seen = 0
    stack: list[tuple[Any, str]] = [(app, "")]
    while stack and seen < MAX_NODES:
        node, path = stack.pop()
        if node is None:
            continue
        seen += 1
        try:
            role = node.getRoleName()
            name = (node.name or "").strip()
            description = (node.description or "").strip()
            states = node.getState()
            count = node.childCount
        except Exception as exc:  # a node that went away while we looked
            problems.append(f"{path}: unreadable ({exc})")
            continue
        roles[role] = roles.get(role, 0) + 1
        here = f"{path}/{role}[{name or '?'}]"
        if role in ("frame", "dialog", "window"):
            windows.append(name)
        showing = states.contains(pyatspi.STATE_SHOWING)
        if showing and name and description:
            described[name] = description
        if not showing and role in BUTTONS:  # Qt keeps hidden widgets, marked not showing
            visible = states.contains(pyatspi.STATE_VISIBLE)
            unshown.append(here + (" (visible)" if visible else ""))
        # Items of lists and tables are named by their text; they are checked, not skipped.
        if showing and states.contains(pyatspi.STATE_FOCUSABLE) and not name:
            problems.append(f"focusable without a name: {here}")
        elif showing and role in BUTTONS and not name:
            problems.append(f"button without a name: {here}")
        elif showing and role in ENTRIES and not name:
            problems.append(f"text entry without a name: {here}")
        if showing and role in IMAGES and not (name or description):
            problems.append(f"image without text: {here}")
        for i in range(count):
            try:
                stack.append((node.getChildAtIndex(i), here))
            except Exception as exc:
                problems.append(f"{here}: child {i} unreadable ({exc})")
    return {
        "nodes": seen,
        "windows": sorted(windows),
        "roles": roles,
        "described": described,
        "unshown": unshown,
        "problems": problems,
    }


def main() -> int:
    app = find_app(sys.argv[1])
    if app is None:
        print(json.dumps({"error": f"no application named {sys.argv[1]!r} on the bus"}))
        return 2
    report = walk(app)
    print(json.dumps(report))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
