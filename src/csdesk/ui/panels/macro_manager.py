"""Manage macros (docs/macros.md, "The macro editor"): the macros this agent may use, the most
used first, each with who it is shared with, its use count and favourite key; New, Edit,
Duplicate (a personal copy: the way to change a shared one an agent may not edit) and Delete.
Plain text everywhere.

Keys: Alt+N new, Alt+E (or Enter) edit, Alt+U duplicate, Alt+D delete, Esc close.

Signals: ``new_requested()``, ``edit_requested(str)``, ``duplicate_requested(str)``,
``delete_requested(str)`` (a macro id).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.macro_editing import MacroRow
from csdesk.i18n import _
from csdesk.ui.panels.canned_editor import scope_label, uses_text
from csdesk.ui.panels.macro_editor import action_summary
from csdesk.ui.plain_text import PlainLabel, plain_tip
from csdesk.ui.screen_fit import resize_within_screen


def row_text(row: MacroRow) -> str:
    key = f" · Ctrl+Alt+{row.key}" if row.key is not None else ""
    scope = _("Team {name}").format(name=row.team_name) if row.team_name else scope_label(row.scope)
    return _("{title} · {scope} · {uses}{key}").format(
        title=row.title, scope=scope, uses=uses_text(row.use_count), key=key
    )


class MacroManager(QDialog):
    new_requested = Signal()
    edit_requested = Signal(str)
    duplicate_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("macro_manager")
        self.setWindowTitle(_("Macros"))
        self.setAccessibleName(_("Macros"))
        self.list = QListWidget(self)
        self.list.setObjectName("macro_manager_list")
        self.list.setAccessibleName(_("Macros, the most used first"))
        self.summary = PlainLabel(self)
        self.summary.setObjectName("macro_manager_summary")
        self.summary.setAccessibleName(_("What the chosen macro does"))
        self.summary.setWordWrap(True)
        self.status = PlainLabel(self)
        self.status.setObjectName("macro_manager_status")
        self.status.setAccessibleName(_("Last change"))
        self.status.setWordWrap(True)
        self.new = QPushButton(_("&New…"), self)
        self.new.setObjectName("macro_manager_new")
        self.new.setAccessibleName(_("New macro"))
        self.edit = QPushButton(_("&Edit…"), self)
        self.edit.setObjectName("macro_manager_edit")
        self.edit.setAccessibleName(_("Edit the chosen macro"))
        self.duplicate = QPushButton(_("D&uplicate…"), self)
        self.duplicate.setObjectName("macro_manager_duplicate")
        self.duplicate.setAccessibleName(_("Duplicate the chosen macro as a personal copy"))
        self.delete = QPushButton(_("&Delete"), self)
        self.delete.setObjectName("macro_manager_delete")
        self.delete.setAccessibleName(_("Delete the chosen macro"))
        close = QPushButton(_("Close"), self)
        close.setAccessibleName(_("Close"))
        for b in (self.new, self.edit, self.duplicate, self.delete, close):
            b.setAutoDefault(False)
        self.new.clicked.connect(self.new_requested.emit)
        self.edit.clicked.connect(self._edit)
        self.duplicate.clicked.connect(self._duplicate)
        self.delete.clicked.connect(self._delete)
        close.clicked.connect(self.reject)
        self.list.itemActivated.connect(lambda _i: self._edit())
        self.list.currentItemChanged.connect(self._chosen)
        buttons = QHBoxLayout()
        for b in (self.new, self.edit, self.duplicate, self.delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._rows: dict[str, MacroRow] = {}
        resize_within_screen(self, 720, 480)

    def set_rows(self, rows: list[MacroRow], current: str | None = None) -> None:
        current = current or self.current_id()
        self._rows = {r.id: r for r in rows}
        self.list.blockSignals(True)
        self.list.clear()
        for r in rows:
            item = QListWidgetItem(row_text(r))
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            item.setToolTip(plain_tip("\n".join(action_summary(a) for a in r.actions)))
            self.list.addItem(item)
            if r.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._chosen()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def current(self) -> MacroRow | None:
        mid = self.current_id()
        return self._rows.get(mid) if mid else None

    def _chosen(self, *_args: object) -> None:
        row = self.current()
        if row is None:
            self.summary.setText(_("No macros yet: New… (Alt+N) makes one."))
        else:
            lines = [f"{n}. {action_summary(a)}" for n, a in enumerate(row.actions, start=1)]
            if not row.editable:
                lines.append(_("Shared with you: Duplicate… makes a copy of your own to change."))
            self.summary.setText("\n".join(lines))
        self.edit.setEnabled(row is not None and row.editable)
        self.delete.setEnabled(row is not None and row.editable)
        self.duplicate.setEnabled(row is not None)

    def _edit(self) -> None:
        row = self.current()
        if row is not None and row.editable:
            self.edit_requested.emit(row.id)

    def _duplicate(self) -> None:
        row = self.current()
        if row is not None:
            self.duplicate_requested.emit(row.id)

    def _delete(self) -> None:
        row = self.current()
        if row is not None and row.editable:
            self.delete_requested.emit(row.id)
