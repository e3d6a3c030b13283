"""Canned responses: the list this agent may use (with its use counts), and the editor for one
(docs/macros.md). Plain text everywhere: a title or body is shown, never interpreted.

Keys: in the list, Alt+N new, Alt+E (or Enter) edit, Alt+D delete, Esc close. In the editor,
Alt+T title, Alt+K shortcut, Alt+L language, Alt+S sharing, Alt+B body, Alt+P the placeholder
list (Enter or Alt+I inserts the chosen one at the cursor), Alt+V saves.

Signals (``CannedManager``): ``new_requested()``, ``edit_requested(str)`` (an id),
``delete_requested(str)``. (``CannedEditor``): none; read ``draft()`` after it is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.macro_desk import CannedDraft
from csdesk.domain import macros as rules
from csdesk.domain.placeholders import PLACEHOLDERS
from csdesk.i18n import _, ngettext
from csdesk.ui.plain_text import PlainLabel, form_row, plain_tip

#: Languages offered in the editor (any other code can be typed).
LANGUAGES = ("en", "de", "fr", "es", "nl", "it", "pt", "pl", "sv", "da")


@dataclass(frozen=True, slots=True)
class CannedItem:
    """One row of the manager's list (read from the cache on a worker)."""

    id: str
    title: str
    shortcut: str
    language: str
    body: str
    scope: str
    use_count: int
    editable: bool


def scope_label(scope: str) -> str:
    labels: dict[str, str] = {
        rules.Scope.PERSONAL.value: _("Only me"),
        rules.Scope.TEAM.value: _("My team"),
        rules.Scope.EVERYONE.value: _("Everyone"),
    }
    return labels.get(scope, scope)


def uses_text(n: int) -> str:
    return ngettext("used once", "used {n} times", n).format(n=n)


def item_text(item: CannedItem) -> str:
    shortcut = f" {item.shortcut}" if item.shortcut else ""
    return _("{title}{shortcut} ({language}) · {scope} · {uses}").format(
        title=item.title,
        shortcut=shortcut,
        language=item.language,
        scope=scope_label(item.scope),
        uses=uses_text(item.use_count),
    )


class CannedEditor(QDialog):
    def __init__(
        self, parent: QWidget | None, may_share: bool, draft: CannedDraft | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("canned_editor")
        editing = draft is not None and draft.canned_id is not None
        title = _("Edit canned response") if editing else _("New canned response")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._id = draft.canned_id if draft else None
        self.title = QLineEdit(self)
        self.title.setObjectName("canned_title")
        self.title.setAccessibleName(_("Title"))
        self.title.setMaxLength(200)
        self.shortcut = QLineEdit(self)
        self.shortcut.setObjectName("canned_shortcut")
        self.shortcut.setAccessibleName(_("Shortcut"))
        self.shortcut.setAccessibleDescription(
            _("Variants in other languages share one shortcut, such as /refund")
        )
        self.shortcut.setMaxLength(40)
        self.language = QComboBox(self)
        self.language.setObjectName("canned_language")
        self.language.setAccessibleName(_("Language"))
        self.language.setEditable(True)
        self.language.addItems(list(LANGUAGES))
        edit = self.language.lineEdit()
        if edit is not None:  # the editable combo's own field carries the name too
            edit.setAccessibleName(_("Language"))
        self.scope = QComboBox(self)
        self.scope.setObjectName("canned_scope")
        self.scope.setAccessibleName(_("Shared with"))
        self.scope.setAccessibleDescription(
            _("Agents keep their own; supervisors and administrators share with a team or all")
        )
        self.scope.addItem(scope_label(rules.Scope.PERSONAL), rules.Scope.PERSONAL.value)
        if may_share:
            self.scope.addItem(scope_label(rules.Scope.TEAM), rules.Scope.TEAM.value)
            self.scope.addItem(scope_label(rules.Scope.EVERYONE), rules.Scope.EVERYONE.value)
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("canned_body")
        self.body.setAccessibleName(_("Text"))
        self.body.setAccessibleDescription(
            _("Placeholders in braces, such as {first_name}, are filled in for each customer")
        )
        self.body.setTabChangesFocus(True)
        self.placeholders = QListWidget(self)
        self.placeholders.setObjectName("canned_placeholders")
        self.placeholders.setAccessibleName(_("Placeholders"))
        self.placeholders.setAccessibleDescription(
            _("Enter inserts the chosen placeholder into the text at the cursor")
        )
        for name in PLACEHOLDERS:
            self.placeholders.addItem(QListWidgetItem("{" + name + "}"))
        self.placeholders.setCurrentRow(0)
        self.placeholders.itemActivated.connect(lambda _i: self.insert_placeholder())
        self.insert = QPushButton(_("&Insert placeholder"), self)
        self.insert.setObjectName("canned_insert_placeholder")
        self.insert.setAccessibleName(_("Insert placeholder"))
        self.insert.setAutoDefault(False)
        self.insert.clicked.connect(self.insert_placeholder)
        self.problem = PlainLabel(self)
        self.problem.setObjectName("canned_problem")
        self.problem.setWordWrap(True)

        form = QFormLayout()
        for label_text, field in (
            (_("&Title"), self.title),
            (_("Short&cut"), self.shortcut),
            (_("&Language"), self.language),
            (_("&Shared with"), self.scope),
        ):
            form_row(form, label_text, field)
        body_label = PlainLabel(_("&Body"), self)
        body_label.setBuddy(self.body)
        ph_label = PlainLabel(_("&Placeholders"), self)
        ph_label.setBuddy(self.placeholders)
        side = QVBoxLayout()
        side.addWidget(ph_label)
        side.addWidget(self.placeholders, 1)
        side.addWidget(self.insert)
        main = QVBoxLayout()
        main.addWidget(body_label)
        main.addWidget(self.body, 1)
        row = QHBoxLayout()
        row.addLayout(main, 3)
        row.addLayout(side, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText(_("Sa&ve"))
        save.setAccessibleName(_("Save"))
        save.setObjectName("canned_save")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(_("Cancel"))
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        if draft is not None:
            self.title.setText(draft.title)
            self.shortcut.setText(draft.shortcut)
            self.language.setCurrentText(draft.language)
            self.body.setPlainText(draft.body)
            at = self.scope.findData(draft.scope)
            if at < 0:  # a shared one an agent may read but not share: shown, not offered
                self.scope.addItem(scope_label(draft.scope), draft.scope)
                at = self.scope.count() - 1
            self.scope.setCurrentIndex(at)
            if draft.scope != rules.Scope.PERSONAL:
                # A shared one is made personal by a copy here (the server would take it away
                # from every other desk: docs/macros.md).
                personal = self.scope.findData(rules.Scope.PERSONAL.value)
                if personal >= 0 and self.scope.count() > 1:
                    self.scope.removeItem(personal)
        self.resize(760, 480)
        self.title.setFocus()

    def insert_placeholder(self) -> None:
        item = self.placeholders.currentItem()
        if item is None:
            return
        self.body.insertPlainText(item.text())
        self.body.setFocus()

    def _save(self) -> None:
        draft = self.draft()
        if not draft.title.strip():
            self.problem.setText(_("Give it a title."))
            self.title.setFocus()
            return
        if not draft.body.strip():
            self.problem.setText(_("Write the text."))
            self.body.setFocus()
            return
        self.accept()

    def draft(self) -> CannedDraft:
        return CannedDraft(
            title=self.title.text().strip(),
            body=self.body.toPlainText(),
            shortcut=self.shortcut.text().strip(),
            language=self.language.currentText().strip().lower() or "en",
            scope=str(self.scope.currentData() or rules.Scope.PERSONAL.value),
            canned_id=self._id,
        )


class CannedManager(QDialog):
    new_requested = Signal()
    edit_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canned_manager")
        self.setWindowTitle(_("Canned responses"))
        self.setAccessibleName(_("Canned responses"))
        self.list = QListWidget(self)
        self.list.setObjectName("canned_manager_list")
        self.list.setAccessibleName(_("Canned responses, the most used first"))
        self.preview = PlainLabel(self)
        self.preview.setObjectName("canned_manager_preview")
        self.preview.setWordWrap(True)
        self.new = QPushButton(_("&New…"), self)
        self.new.setAccessibleName(_("New canned response"))
        self.edit = QPushButton(_("&Edit…"), self)
        self.edit.setAccessibleName(_("Edit the chosen canned response"))
        self.delete = QPushButton(_("&Delete"), self)
        self.delete.setAccessibleName(_("Delete the chosen canned response"))
        close = QPushButton(_("Close"), self)
        close.setAccessibleName(_("Close"))
        for b in (self.new, self.edit, self.delete, close):
            b.setAutoDefault(False)
        self.new.clicked.connect(self.new_requested.emit)
        self.edit.clicked.connect(self._edit)
        self.delete.clicked.connect(self._delete)
        close.clicked.connect(self.reject)
        self.list.itemActivated.connect(lambda _i: self._edit())
        self.list.currentItemChanged.connect(self._chosen)
        buttons = QHBoxLayout()
        for b in (self.new, self.edit, self.delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.preview)
        layout.addLayout(buttons)
        self._items: dict[str, CannedItem] = {}
        self.resize(700, 460)

    def set_items(self, items: list[CannedItem]) -> None:
        current = self.current_id()
        self._items = {i.id: i for i in items}
        self.list.clear()
        for i in items:
            row = QListWidgetItem(item_text(i))
            row.setData(Qt.ItemDataRole.UserRole, i.id)
            row.setToolTip(plain_tip(i.body[:500]))
            self.list.addItem(row)
            if i.id == current:
                self.list.setCurrentItem(row)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._chosen()

    def current_id(self) -> str | None:
        row = self.list.currentItem()
        return str(row.data(Qt.ItemDataRole.UserRole)) if row is not None else None

    def current(self) -> CannedItem | None:
        cid = self.current_id()
        return self._items.get(cid) if cid else None

    def _chosen(self, *_args: object) -> None:
        item = self.current()
        self.preview.setText(item.body if item else _("No canned responses yet."))
        editable = item is not None and item.editable
        self.edit.setEnabled(editable)
        self.delete.setEnabled(editable)

    def _edit(self) -> None:
        item = self.current()
        if item is not None and item.editable:
            self.edit_requested.emit(item.id)

    def _delete(self) -> None:
        item = self.current()
        if item is not None and item.editable:
            self.delete_requested.emit(item.id)
