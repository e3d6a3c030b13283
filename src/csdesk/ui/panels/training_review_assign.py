"""Giving a trainee scenarios to practise, and publishing a new scenario to every desk.

Both are outbox actions: an assignment shows at once as "waiting to be sent", and a scenario
file is checked on this desk first (the same rules as the server's, which checks it again),
so a mistake is named before anything is queued.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.training import Assignment
from csdesk.i18n import _
from csdesk.training.scenario import DIFFICULTIES, Scenario
from csdesk.ui.panels.training_mine import assignment_sentence
from csdesk.ui.panels.training_text import channel_name
from csdesk.ui.plain_text import PlainLabel

__all__ = ["AssignBox"]


def _button(name: str, text: str, description: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setAccessibleName(text.replace("&", ""))
    button.setAccessibleDescription(description)
    button.setAutoDefault(False)
    return button


class AssignBox(QWidget):
    """Signals: ``assign_requested(str, str)`` — (scenario id, note);
    ``unassign_requested(str)`` — an assignment id; ``publish_requested()``."""

    assign_requested = Signal(str, str)
    unassign_requested = Signal(str)
    publish_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pick = PlainLabel(_("Scenario to &assign"), self)
        self.scenario = QComboBox(self)
        self.scenario.setObjectName("review_assign_scenario")
        self.scenario.setAccessibleName(_("Scenario to assign"))
        pick.setBuddy(self.scenario)
        note = PlainLabel(_("&Note"), self)
        self.note = QLineEdit(self)
        self.note.setObjectName("review_assign_note")
        self.note.setAccessibleName(_("Note for the trainee"))
        self.note.setMaxLength(1000)
        note.setBuddy(self.note)
        self.assign = _button(
            "review_assign", _("Assign"), _("Give the trainee this scenario to practise"), self
        )
        given = PlainLabel(_("Assi&gned"), self)
        self.list = QListWidget(self)
        self.list.setObjectName("review_assignments")
        self.list.setAccessibleName(_("Assigned scenarios"))
        self.list.setAccessibleDescription(_("Delete takes back the chosen assignment."))
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        given.setBuddy(self.list)
        self.publish = _button(
            "review_publish",
            _("&Publish scenario…"),
            _("Send a scenario file to every desk (checked first)"),
            self,
        )
        self.assign.clicked.connect(self._assign)
        self.note.returnPressed.connect(self._assign)
        self.publish.clicked.connect(self.publish_requested.emit)
        self.list.installEventFilter(self)
        # The scenario box asked for its longest title's width and squeezed the note beside
        # it to ~40 px: it asks for 10 characters now (the list drops down wider) and the
        # note takes the larger share of the row. One row, as the floor's height allows.
        self.scenario.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.scenario.setMinimumContentsLength(10)
        row = QHBoxLayout()
        row.addWidget(pick)
        row.addWidget(self.scenario, 2)
        row.addWidget(note)
        row.addWidget(self.note, 3)
        row.addWidget(self.assign)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(given)
        layout.addWidget(self.list)
        layout.addWidget(self.publish, 0, Qt.AlignmentFlag.AlignLeft)
        self.assignments: list[Assignment] = []

    def set_scenarios(self, scenarios: list[Scenario]) -> None:
        current = self.scenario.currentData()
        self.scenario.clear()
        for s in scenarios:
            self.scenario.addItem(
                _("{title} ({channel}, {difficulty})").format(
                    title=s.title,
                    channel=channel_name(s.channel),
                    difficulty=_(DIFFICULTIES[s.difficulty]),
                ),
                s.id,
            )
        index = self.scenario.findData(current)
        if index >= 0:
            self.scenario.setCurrentIndex(index)

    def show_assignments(self, assignments: list[Assignment]) -> None:
        self.assignments = list(assignments)
        self.list.clear()
        for a in self.assignments:
            sentence = assignment_sentence(a)
            if a.done_at is not None:
                sentence = _("Done: {sentence}").format(sentence=sentence)
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            item.setData(Qt.ItemDataRole.UserRole, a.id if a.done_at is None else None)
            self.list.addItem(item)
        if not self.assignments:
            self.list.addItem(_("Nothing assigned."))

    def add_pending(self, title: str) -> None:
        if self.list.count() == 1 and self.list.item(0).text() == _("Nothing assigned."):
            self.list.clear()
        text = _("Practise “{title}” (waiting to be sent).").format(title=title)
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
        self.list.addItem(item)

    def _assign(self) -> None:
        key = self.scenario.currentData()
        if isinstance(key, str) and key:
            self.assign_requested.emit(key, self.note.text())
            self.note.clear()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            obj is self.list
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Delete
        ):
            item = self.list.currentItem()
            ident = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
            if isinstance(ident, str):
                self.unassign_requested.emit(ident)
            return True
        return super().eventFilter(obj, event)
