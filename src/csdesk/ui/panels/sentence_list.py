"""A list of full sentences with two keys: Enter does the main thing, Delete the other
(the scheduled replies of a conversation: Enter edits, Delete cancels; the reminders: Enter
opens the conversation, Delete dismisses). Opened with ``open()``; ``chosen()`` and
``action()`` say what the agent asked for once it is accepted (docs/scheduled-send.md).
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

from csdesk.i18n import _
from csdesk.ui.a11y import name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["DELETE", "ENTER", "SentenceListDialog"]

ENTER, DELETE = "enter", "delete"


class SentenceListDialog(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(
        self,
        title: str,
        sentences: Sequence[str],
        empty: str,
        enter: tuple[str, str],
        delete: tuple[str, str],
        parent: QWidget | None = None,
        *,
        object_name: str = "sentence_list_dialog",
    ) -> None:
        """``enter`` and ``delete``: (button text with its mnemonic, accessible name)."""
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.count = len(sentences)
        self._action = ENTER
        self.list = QListWidget(self)
        self.list.setObjectName("sentence_list")
        name(
            self.list,
            title,
            _("Enter: {enter}; Delete: {delete}").format(enter=enter[1], delete=delete[1]),
        )
        for sentence in sentences:
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.list.addItem(item)
        if sentences:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self._choose(ENTER))
        self.list.installEventFilter(self)
        self.empty = PlainLabel(empty, self)
        self.empty.setWordWrap(True)
        self.empty.setVisible(not sentences)
        buttons = QDialogButtonBox(self)
        self.enter_button = QPushButton(enter[0], self)
        self.delete_button = QPushButton(delete[0], self)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        for button, label in ((self.enter_button, enter[1]), (self.delete_button, delete[1])):
            name(button, label)
            button.setEnabled(bool(sentences))
            button.setAutoDefault(False)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        name(close, _("Close"))
        self.enter_button.clicked.connect(lambda: self._choose(ENTER))
        self.delete_button.clicked.connect(lambda: self._choose(DELETE))
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        resize_within_screen(self, 640, 400)
        self.list.setFocus()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Delete and self.count:
                self._choose(DELETE)
                return True
        return super().eventFilter(obj, event)

    def _choose(self, action: str) -> None:
        if self.chosen() is None:
            return
        self._action = action
        self.accept()

    def chosen(self) -> int | None:
        row = self.list.currentRow()
        return row if 0 <= row < self.count else None

    def action(self) -> str:
        return self._action
