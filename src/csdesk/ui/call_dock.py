"""The dock the call pane lives in, closable by keyboard.

Qt's own dock title bar has a close button that Tab never reaches and that shows no focus when
given it: the outside review found the pane mouse-only to close (and, left open with "No call",
squeezing the customer column to ~190 px). This title bar has a Close button in the Tab order,
named for a screen reader and drawn with the theme's focus ring, and Escape anywhere in the
pane closes it too. The call desk decides what closing means (``close_requested``): the pane
goes and the focus it held goes back to the conversation.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QToolButton, QWidget

from csdesk.i18n import _
from csdesk.ui.a11y import name
from csdesk.ui.plain_text import PlainLabel

__all__ = ["CallDock"]


class CallDock(QDockWidget):
    """Signals: ``close_requested()`` — Close or Escape (the dock does not hide itself)."""

    close_requested = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        bar = QWidget(self)
        bar.setObjectName("call_dock_title")
        label = PlainLabel(title, bar)
        self.close_button = QToolButton(bar)
        self.close_button.setObjectName("call_dock_close")
        self.close_button.setText(_("Close"))
        description = _("Escape puts the call pane away too; Ctrl+4 brings it back")
        name(self.close_button, _("Close the call pane"), description)
        self.close_button.setToolTip(description)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.close_button.clicked.connect(self.close_requested)
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 2, 2, 2)
        row.addWidget(label, 1)
        row.addWidget(self.close_button)
        # Mouse presses the bar does not use reach the dock, which moves it as before.
        self.setTitleBarWidget(bar)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.close_requested)
