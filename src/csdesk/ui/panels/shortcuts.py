"""The shortcuts sheet (F1 or ?), generated from the action registry."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _
from csdesk.ui.actions import ActionSpec


class ShortcutsDialog(QDialog):
    def __init__(self, specs: list[ActionSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcuts")
        self.setWindowTitle(_("Keyboard shortcuts"))
        self.setAccessibleName(_("Keyboard shortcuts"))
        table = QTableWidget(len(specs), 4, self)
        table.setObjectName("shortcuts_table")
        table.setAccessibleName(_("Shortcuts"))
        table.setHorizontalHeaderLabels([_("Group"), _("Action"), _("Keys"), _("What it does")])
        for row, spec in enumerate(specs):
            for col, text in enumerate(
                (spec.group, spec.text, ", ".join(spec.shortcuts), spec.description)
            ):
                item = QTableWidgetItem(text)
                table.setItem(row, col, item)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(_("Close"))
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(820, 560)
        table.setFocus()
