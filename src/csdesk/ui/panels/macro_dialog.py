"""Choose a macro and read what it will do before applying it (docs/macros.md).

The list has the macros this agent may apply, the most used first, with their favourite keys;
the preview under it says in sentences what the chosen one will do to the open conversation
(plain text, read-only, reachable by Tab so a screen reader reads it line by line). Enter or
Alt+A applies, Alt+M goes to Manage macros, Esc cancels. Signals: ``manage_requested()``;
read ``chosen()`` once it is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _, ngettext
from csdesk.ui.plain_text import PlainLabel


@dataclass(frozen=True, slots=True)
class MacroChoice:
    id: str
    title: str
    uses: int
    preview: str  # plain text, one sentence a line (``app.macros.Plan.text``)
    applicable: bool  # it has something to do
    key: str = ""  # its favourite shortcut, if any


def choice_text(c: MacroChoice) -> str:
    uses = ngettext("used once", "used {n} times", c.uses).format(n=c.uses)
    key = f" · {c.key}" if c.key else ""
    return f"{c.title} · {uses}{key}"


class MacroDialog(QDialog):
    manage_requested = Signal()  # the macro editor's list (closes this one)

    def __init__(
        self, choices: list[MacroChoice], parent: QWidget | None = None, chosen: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("macro_dialog")
        self.setWindowTitle(_("Apply a macro"))
        self.setAccessibleName(_("Apply a macro"))
        self._choices = {c.id: c for c in choices}
        self.list = QListWidget(self)
        self.list.setObjectName("macro_list")
        self.list.setAccessibleName(_("Macros, the most used first"))
        for c in choices:
            item = QListWidgetItem(choice_text(c))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
            if c.id == chosen:
                self.list.setCurrentItem(item)
        label = PlainLabel(_("What it will &do:"), self)
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("macro_preview")
        self.preview.setReadOnly(True)
        self.preview.setTabChangesFocus(True)
        self.preview.setAccessibleName(_("What the macro will do"))
        label.setBuddy(self.preview)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.apply = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply.setText(_("&Apply"))
        self.apply.setAccessibleName(_("Apply the macro"))
        self.apply.setObjectName("macro_apply")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(_("Cancel"))
        # The macro editor (docs/macros.md): from here to Manage macros (Ctrl+Alt+Shift+A).
        self.manage = self.buttons.addButton(
            _("&Manage macros…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.manage.setObjectName("macro_manage")
        self.manage.setAccessibleName(_("Manage macros"))
        self.manage.setAutoDefault(False)
        self.manage.clicked.connect(self.manage_requested.emit)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _i: self._accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.buttons)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._show()
        self.resize(620, 480)
        self.list.setFocus()

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _show(self, *_args: object) -> None:
        cid = self.chosen()
        c = self._choices.get(cid) if cid else None
        if c is None:
            self.preview.setPlainText(_("No macros yet."))
            self.apply.setEnabled(False)
            return
        self.preview.setPlainText(c.preview or _("This macro has nothing to do here."))
        self.apply.setEnabled(c.applicable)

    def _accept(self) -> None:
        cid = self.chosen()
        if cid is not None and self._choices[cid].applicable:
            self.accept()
