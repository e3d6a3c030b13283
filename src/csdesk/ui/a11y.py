"""Screen-reader announcements: dynamic changes are spoken without moving focus."""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QWidget


def announce(widget: QWidget, message: str, *, assertive: bool = False) -> None:
    """Ask screen readers to speak ``message`` (polite: after what they are saying now)."""
    event = QAccessibleAnnouncementEvent(widget, message)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


def name(widget: QWidget, accessible_name: str, description: str = "") -> None:
    """Give an interactive widget its accessible name (and description) in one place."""
    widget.setAccessibleName(accessible_name)
    if description:
        widget.setAccessibleDescription(description)
