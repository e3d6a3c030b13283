"""In-process accessibility checks shared by the GUI and accessibility tests."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget


def unnamed_focusables(root: QWidget) -> list[str]:
    """Visible widgets under ``root`` that take focus but give a screen reader no name."""
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        iface = QAccessible.queryAccessibleInterface(widget)
        name = iface.text(QAccessible.Text.Name) if iface is not None else ""
        if not name.strip():
            missing.append(f"{type(widget).__name__}#{widget.objectName()}")
    return missing
