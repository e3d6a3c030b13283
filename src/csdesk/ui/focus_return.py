"""A dialog that gives the keyboard focus back where it was when it closes.

Without a window manager's help (and with some) the focus is lost when a dialog closes: an
agent working by keyboard would land nowhere and have to find their place again. The desks
open their dialogs through this, so the widget that had the focus before has it again."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

__all__ = ["open_returning_focus"]


def open_returning_focus(
    window: QWidget,
    dialog: QDialog,
    finished: Callable[[bool], None] | None = None,
    *,
    closed: Callable[[], None] | None = None,
    show: bool = True,
    activate: bool = True,
) -> None:
    """Open ``dialog`` window-modal (``show``; else the caller shows it), deleted once closed;
    then ``closed()``, the focus back on ``window``'s focus widget of now (the window made
    active first when ``activate``), and ``finished(accepted)``."""
    focus = window.focusWidget()
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def done(result: int) -> None:
        if closed is not None:
            closed()
        if focus is not None:
            if activate:
                window.activateWindow()
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        if finished is not None:
            finished(result == QDialog.DialogCode.Accepted)

    dialog.finished.connect(done)
    if show:
        dialog.open()
