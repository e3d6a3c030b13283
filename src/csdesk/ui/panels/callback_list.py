"""The callbacks that are mine or in the queue, one full sentence each, due ones first.

Enter (or "Call back") takes the selected callback and calls the customer; "Open
conversation" opens it instead; Delete (or "Cancel callback") cancels it. Opened with
``open()``; ``chosen()`` and ``action()`` say what the agent asked for once it is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.callbacks import CallbackView
from csdesk.i18n import _
from csdesk.ui.a11y import name
from csdesk.ui.plain_text import PlainLabel

__all__ = ["CALL", "CANCEL", "MOVE", "OPEN", "CallbackListDialog"]

CALL, OPEN, CANCEL, MOVE = "call", "open", "cancel", "move"


class CallbackListDialog(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(
        self, callbacks: Sequence[CallbackView], me: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("callback_list_dialog")
        self.setWindowTitle(_("Callbacks"))
        self.setAccessibleName(_("Callbacks: yours and the queue's"))
        self.callbacks = list(callbacks)
        self._action = CALL
        self.list = QListWidget(self)
        self.list.setObjectName("callback_list")
        name(
            self.list,
            _("Callbacks"),
            _("Enter calls back; Delete cancels; due callbacks come first"),
        )
        for cb in self.callbacks:
            item = QListWidgetItem(cb.sentence(me))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, cb.sentence(me))
            self.list.addItem(item)
        if self.callbacks:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self._choose(CALL))
        self.list.installEventFilter(self)
        empty = PlainLabel(_("No callbacks are yours or in the queue."), self)
        empty.setVisible(not self.callbacks)
        buttons = QDialogButtonBox(self)
        self.call_button = QPushButton(_("&Call back"), self)
        self.open_button = QPushButton(_("&Open conversation"), self)
        self.cancel_button = QPushButton(_("Cancel call&back"), self)
        self.move_button = QPushButton(_("&Reschedule…"), self)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        for button, label, role in (
            (self.call_button, _("Call back"), QDialogButtonBox.ButtonRole.AcceptRole),
            (self.open_button, _("Open conversation"), QDialogButtonBox.ButtonRole.ActionRole),
            (self.move_button, _("Reschedule"), QDialogButtonBox.ButtonRole.ActionRole),
            (self.cancel_button, _("Cancel callback"), QDialogButtonBox.ButtonRole.ActionRole),
        ):
            name(button, label)
            button.setEnabled(bool(self.callbacks))
            buttons.addButton(button, role)
        name(close, _("Close"))
        self.call_button.setAutoDefault(False)
        self.call_button.clicked.connect(lambda: self._choose(CALL))
        self.open_button.clicked.connect(lambda: self._choose(OPEN))
        self.cancel_button.clicked.connect(lambda: self._choose(CANCEL))
        self.move_button.clicked.connect(lambda: self._choose(MOVE))
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(empty)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.list.setFocus()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Delete and self.callbacks:
                self._choose(CANCEL)
                return True
        return super().eventFilter(obj, event)

    def _choose(self, action: str) -> None:
        if self.chosen() is None:
            return
        self._action = action
        self.accept()

    def chosen(self) -> CallbackView | None:
        row = self.list.currentRow()
        return self.callbacks[row] if 0 <= row < len(self.callbacks) else None

    def action(self) -> str:
        return self._action
