"""The macro editor's action pages: one small form per kind of action, edited in place
(docs/macros.md, "The macro editor"). Each page loads an action's wire form (``load``), gives
it back (``value``) and says when the agent changed it (``changed``). Plain text throughout:
a stored text or tag is shown, never interpreted.

Keys on the pages: a reply Alt+F (from a canned response or own text), Alt+C the canned
response, Alt+T the text, Alt+P the placeholder list, Alt+I inserts the chosen placeholder;
tags Alt+T to add, Alt+M to remove; status Alt+T; priority Alt+P; assign Alt+T whom, Alt+E the
team; snooze Alt+H hours.

Signals (every page): ``changed()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.macro_editing import MAX_TAG, PRIORITIES, STATUSES, CannedRef, split_tags
from csdesk.domain import macros as rules
from csdesk.domain.placeholders import PLACEHOLDERS
from csdesk.i18n import _
from csdesk.ui.plain_text import PlainLabel, form_row

__all__ = ["PAGE_KINDS", "ActionPage", "EnterList", "make_page"]


class EnterList(QListWidget):
    """A list whose Enter acts on the chosen row only: a list view lets Enter go on to the
    dialog, whose default button (Save) would then close the editor too."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            item = self.currentItem()
            if item is not None:
                self.itemActivated.emit(item)
            event.accept()
            return
        super().keyPressEvent(event)


class ActionPage(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False

    def load(self, action: Mapping[str, Any]) -> None:
        self._loading = True
        try:
            self._load(action)
        finally:
            self._loading = False

    def _load(self, action: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def value(self) -> dict[str, Any]:
        raise NotImplementedError

    def first_field(self) -> QWidget:
        raise NotImplementedError

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.changed.emit()


class PlaceholderText(QWidget):
    """A text with the placeholder list beside it; Enter or Alt+I inserts one at the cursor."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName(f"macro_{name}_text")
        self.text.setAccessibleName(_("Text"))
        self.text.setAccessibleDescription(
            _("Placeholders in braces, such as {first_name}, are filled in for each customer")
        )
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(90)
        self.placeholders = EnterList(self)
        self.placeholders.setObjectName(f"macro_{name}_placeholders")
        self.placeholders.setAccessibleName(_("Placeholders"))
        self.placeholders.setAccessibleDescription(
            _("Enter inserts the chosen placeholder into the text at the cursor")
        )
        for ph in PLACEHOLDERS:
            self.placeholders.addItem(QListWidgetItem("{" + ph + "}"))
        self.placeholders.setCurrentRow(0)
        self.placeholders.itemActivated.connect(lambda _i: self.insert_placeholder())
        self.insert = QPushButton(_("&Insert placeholder"), self)
        self.insert.setObjectName(f"macro_{name}_insert")
        self.insert.setAccessibleName(_("Insert placeholder"))
        self.insert.setAutoDefault(False)
        self.insert.clicked.connect(self.insert_placeholder)
        text_label = PlainLabel(_("&Text"), self)
        text_label.setBuddy(self.text)
        ph_label = PlainLabel(_("&Placeholders"), self)
        ph_label.setBuddy(self.placeholders)
        main = QVBoxLayout()
        main.addWidget(text_label)
        main.addWidget(self.text, 1)
        side = QVBoxLayout()
        side.addWidget(ph_label)
        side.addWidget(self.placeholders, 1)
        side.addWidget(self.insert)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(main, 3)
        row.addLayout(side, 1)

    def insert_placeholder(self) -> None:
        item = self.placeholders.currentItem()
        if item is not None:
            self.text.insertPlainText(item.text())
            self.text.setFocus()


class ReplyPage(ActionPage):
    """A reply: a canned response (by shortcut, the customer's language picked when applied)
    or the agent's own text with placeholders."""

    def __init__(self, canned: Sequence[CannedRef], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox(self)
        self.source.setObjectName("macro_reply_source")
        self.source.setAccessibleName(_("Reply from"))
        self.source.addItem(_("A canned response"), "canned")
        self.source.addItem(_("My own text"), "text")
        self.canned = QComboBox(self)
        self.canned.setObjectName("macro_reply_canned")
        self.canned.setAccessibleName(_("Canned response"))
        self.canned.setAccessibleDescription(
            _("Sent in the customer's language when it exists in several")
        )
        seen: set[str] = set()
        for c in canned:
            if c.shortcut in seen:
                continue
            seen.add(c.shortcut)
            self.canned.addItem(f"{c.shortcut} · {c.title}", c.shortcut)
        self.body = PlaceholderText("reply", self)
        form = QFormLayout()
        form_row(form, _("Reply &from"), self.source)
        self.canned_label = form_row(form, _("&Canned response"), self.canned)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.canned.currentIndexChanged.connect(self._changed)
        self.body.text.textChanged.connect(self._changed)
        self._source_changed()

    def _source_changed(self, *_args: object) -> None:
        from_canned = self.source.currentData() == "canned"
        self.canned.setVisible(from_canned)
        self.canned_label.setVisible(from_canned)
        self.body.setVisible(not from_canned)
        self._changed()

    def _load(self, action: Mapping[str, Any]) -> None:
        shortcut = action.get("canned")
        if isinstance(shortcut, str):
            self.source.setCurrentIndex(self.source.findData("canned"))
            at = self.canned.findData(shortcut)
            if at < 0:  # no longer exists: shown, so the check can say so
                self.canned.addItem(shortcut, shortcut)
                at = self.canned.count() - 1
            self.canned.setCurrentIndex(at)
            self.body.text.setPlainText("")
        else:
            self.source.setCurrentIndex(self.source.findData("text"))
            self.body.text.setPlainText(str(action.get("text") or ""))
        self._source_changed()

    def value(self) -> dict[str, Any]:
        if self.source.currentData() == "canned":
            return {"kind": "reply", "canned": str(self.canned.currentData() or "")}
        return {"kind": "reply", "text": self.body.text.toPlainText()}

    def first_field(self) -> QWidget:
        return self.source


class NotePage(ActionPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = PlaceholderText("note", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.body, 1)
        self.body.text.textChanged.connect(self._changed)

    def _load(self, action: Mapping[str, Any]) -> None:
        self.body.text.setPlainText(str(action.get("text") or ""))

    def value(self) -> dict[str, Any]:
        return {"kind": "note", "text": self.body.text.toPlainText()}

    def first_field(self) -> QWidget:
        return self.body.text


class TagsPage(ActionPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add = QLineEdit(self)
        self.add.setObjectName("macro_tags_add")
        self.add.setAccessibleName(_("Tags to add"))
        self.add.setAccessibleDescription(_("Separate tags with commas"))
        self.add.setMaxLength(20 * (MAX_TAG + 2))
        self.remove = QLineEdit(self)
        self.remove.setObjectName("macro_tags_remove")
        self.remove.setAccessibleName(_("Tags to remove"))
        self.remove.setAccessibleDescription(_("Separate tags with commas"))
        self.remove.setMaxLength(20 * (MAX_TAG + 2))
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form_row(form, _("Add &tags"), self.add)
        form_row(form, _("Re&move tags"), self.remove)
        form.addRow(PlainLabel(_("Separate tags with commas, such as refund, vip"), self))
        self.add.textChanged.connect(self._changed)
        self.remove.textChanged.connect(self._changed)

    def _load(self, action: Mapping[str, Any]) -> None:
        self.add.setText(", ".join(str(t) for t in action.get("add") or []))
        self.remove.setText(", ".join(str(t) for t in action.get("remove") or []))

    def value(self) -> dict[str, Any]:
        return {
            "kind": "tags",
            "add": split_tags(self.add.text()),
            "remove": split_tags(self.remove.text()),
        }

    def first_field(self) -> QWidget:
        return self.add


class ChoicePage(ActionPage):
    """One choice from a fixed list (status, priority)."""

    def __init__(
        self,
        kind: str,
        label: str,
        name: str,
        choices: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.choice = QComboBox(self)
        self.choice.setObjectName(f"macro_{kind}_choice")
        self.choice.setAccessibleName(name)
        for value, text in choices:
            self.choice.addItem(text, value)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form_row(form, label, self.choice)
        self.choice.currentIndexChanged.connect(self._changed)

    def _load(self, action: Mapping[str, Any]) -> None:
        at = self.choice.findData(action.get(self.kind))
        self.choice.setCurrentIndex(max(at, 0))

    def value(self) -> dict[str, Any]:
        return {"kind": self.kind, self.kind: str(self.choice.currentData())}

    def first_field(self) -> QWidget:
        return self.choice


class AssignPage(ActionPage):
    def __init__(
        self,
        users: Sequence[tuple[str, str]],
        teams: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.to = QComboBox(self)
        self.to.setObjectName("macro_assign_to")
        self.to.setAccessibleName(_("Assign to"))
        self.to.addItem(_("Whoever applies the macro"), "me")
        self.to.addItem(_("Nobody (back to the queue)"), "nobody")
        for uid, name in users:
            self.to.addItem(name, uid)
        self.team = QComboBox(self)
        self.team.setObjectName("macro_assign_team")
        self.team.setAccessibleName(_("Team"))
        self.team.addItem(_("Keep its team"), "")
        for tid, name in teams:
            self.team.addItem(name, tid)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form_row(form, _("Assign &to"), self.to)
        form_row(form, _("T&eam"), self.team)
        self.to.currentIndexChanged.connect(self._changed)
        self.team.currentIndexChanged.connect(self._changed)

    def _load(self, action: Mapping[str, Any]) -> None:
        to = str(action.get("to") or "me")
        at = self.to.findData(to)
        if at < 0:
            self.to.addItem(_("Someone no longer on the team"), to)
            at = self.to.count() - 1
        self.to.setCurrentIndex(at)
        team = action.get("team_id")
        at = self.team.findData(team) if isinstance(team, str) else 0
        self.team.setCurrentIndex(max(at, 0))

    def value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "assign", "to": str(self.to.currentData())}
        if self.team.currentData():
            out["team_id"] = str(self.team.currentData())
        return out

    def first_field(self) -> QWidget:
        return self.to


class SnoozePage(ActionPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hours = QSpinBox(self)
        self.hours.setObjectName("macro_snooze_hours")
        self.hours.setAccessibleName(_("Snooze for hours"))
        self.hours.setRange(1, rules.MAX_SNOOZE_HOURS)
        self.hours.setValue(24)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form_row(form, _("&Hours"), self.hours)
        self.hours.valueChanged.connect(self._changed)

    def _load(self, action: Mapping[str, Any]) -> None:
        hours = action.get("hours")
        self.hours.setValue(hours if isinstance(hours, int) else 24)

    def value(self) -> dict[str, Any]:
        return {"kind": "snooze", "hours": self.hours.value()}

    def first_field(self) -> QWidget:
        return self.hours


PAGE_KINDS = rules.ACTION_KINDS


def make_page(
    kind: str,
    canned: Sequence[CannedRef],
    users: Sequence[tuple[str, str]],
    teams: Sequence[tuple[str, str]],
    parent: QWidget | None = None,
) -> ActionPage:
    if kind == "reply":
        return ReplyPage(canned, parent)
    if kind == "note":
        return NotePage(parent)
    if kind == "tags":
        return TagsPage(parent)
    if kind == "status":
        statuses = {
            "open": _("Open"),
            "pending": _("Pending (waiting for the customer)"),
            "resolved": _("Resolved"),
        }
        return ChoicePage(
            "status", _("S&tatus"), _("Status"), [(s, statuses[s]) for s in STATUSES], parent
        )
    if kind == "priority":
        return ChoicePage(
            "priority", _("&Priority"), _("Priority"), [(p, _(p)) for p in PRIORITIES], parent
        )
    if kind == "assign":
        return AssignPage(users, teams, parent)
    if kind == "snooze":
        return SnoozePage(parent)
    raise ValueError(kind)


def default_action(kind: str, canned: Sequence[CannedRef]) -> dict[str, Any]:
    """A new action of ``kind`` as the page first shows it."""
    defaults: dict[str, dict[str, Any]] = {
        "reply": {"kind": "reply", "canned": canned[0].shortcut}
        if canned
        else {"kind": "reply", "text": ""},
        "note": {"kind": "note", "text": ""},
        "tags": {"kind": "tags", "add": [], "remove": []},
        "status": {"kind": "status", "status": "resolved"},
        "priority": {"kind": "priority", "priority": "normal"},
        "assign": {"kind": "assign", "to": "me"},
        "snooze": {"kind": "snooze", "hours": 24},
    }
    return dict(defaults[kind])
