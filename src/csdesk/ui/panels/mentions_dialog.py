"""The Mentions view (docs/mentions.md): this agent's mentions as sentences — who, in which
customer's conversation, when, the note's first line — unread first. Enter (or Alt+O) opens
the conversation at that note; Esc closes. Plain text throughout (a note quotes a customer).

Signals: ``open_requested(str mention_id)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.mentions import MentionItem
from csdesk.i18n import _, ngettext
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen


class _OpenList(QListWidget):
    """A list whose Enter (either one) activates the chosen row and stops there: a list view
    lets Enter go on to the dialog, whose default button (Open) would open it a second time."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not mods:
            item = self.currentItem()
            if item is not None:
                self.itemActivated.emit(item)
            event.accept()
            return
        super().keyPressEvent(event)


class MentionsDialog(QDialog):
    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mentions_dialog")
        self.setWindowTitle(_("Mentions"))
        self.setAccessibleName(_("Mentions"))
        self.summary = PlainLabel(self)
        self.summary.setObjectName("mentions_summary")
        self.summary.setWordWrap(True)
        # Enter opens the chosen mention once: the list keeps the key, so the Open button (the
        # dialog's default) does not open it a second time.
        self.list = _OpenList(self)
        self.list.setObjectName("mentions_list")
        self.list.setAccessibleName(_("Your mentions, unread first"))
        self.list.setAccessibleDescription(_("Enter opens the conversation at the note"))
        self.list.setWordWrap(True)
        self.summary.setBuddy(self.list)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = self.buttons.addButton(
            _("&Open"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.open_button.setObjectName("mentions_open")
        self.open_button.setAccessibleName(_("Open the conversation at the note"))
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(_("Close"))
        self.buttons.accepted.connect(self._open_current)
        self.buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _i: self._open_current())
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        resize_within_screen(self, 640, 460)
        self.show_items([])

    def show_items(self, items: Sequence[MentionItem]) -> None:
        """List ``items`` (already in order), keeping the current one where it still is."""
        current = self.chosen()
        self.list.clear()
        for it in items:
            row = QListWidgetItem(it.sentence)
            row.setData(Qt.ItemDataRole.UserRole, it.id)
            row.setData(Qt.ItemDataRole.AccessibleTextRole, it.sentence)
            font = row.font()
            font.setBold(it.unread)
            row.setFont(font)
            self.list.addItem(row)
            if it.id == current:
                self.list.setCurrentItem(row)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        unread = sum(1 for it in items if it.unread)
        if not items:
            self.summary.setText(_("Nobody has mentioned you yet."))
        else:
            self.summary.setText(
                ngettext("{n} unread mention.", "{n} unread mentions.", unread).format(n=unread)
                + " "
                + _("Enter opens the conversation at the note.")
            )
        self.open_button.setEnabled(bool(items))

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _open_current(self) -> None:
        mid = self.chosen()
        if mid is not None:
            self.open_requested.emit(mid)
