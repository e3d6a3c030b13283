"""What the training dialog shows of the server on a signed-in desk: the scenarios a
supervisor assigned (first, above the scenario list) and the sessions with their comments.

Everything is plain text (a comment is a supervisor's words, shown as typed) and every row is
a whole sentence, so a screen reader reads the same as the eye sees.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from csdesk.app.training import Assignment, ResultSummary
from csdesk.i18n import _
from csdesk.ui.plain_text import PlainLabel, plain_tip

__all__ = ["AssignedList", "assignment_sentence", "result_sentence"]


def _day(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d") if at is not None else _("an unknown day")


def assignment_sentence(a: Assignment) -> str:
    text = _("Practise “{title}”, assigned by {who} on {day}.").format(
        title=a.title, who=a.assigned_by or _("a supervisor"), day=_day(a.at)
    )
    if a.note:
        text += " " + _("Note: {note}").format(note=a.note)
    return text


def result_sentence(r: ResultSummary) -> str:
    when = r.finished_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.finished_at else "?"
    text = _("{when}: {title}, {score} out of 100, {grade}.").format(
        when=when, title=r.title, score=r.score, grade=r.grade
    )
    for comment in r.comments:
        text += " " + _("Feedback from {who}: {body}").format(
            who=comment.author or _("a supervisor"), body=comment.body
        )
    return text


class AssignedList(QWidget):
    """Signals: ``chosen(str)`` — the scenario id of the assignment the trainee started."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = PlainLabel(_("Assigned to &you"), self)
        self.list = QListWidget(self)
        self.list.setObjectName("training_assigned")
        self.list.setAccessibleName(_("Assigned to you"))
        self.list.setAccessibleDescription(_("Enter starts the assigned scenario."))
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        heading.setBuddy(self.list)
        self.list.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.list)
        self.assignments: list[Assignment] = []
        self.hide()

    def show_assignments(self, assignments: list[Assignment]) -> None:
        self.assignments = list(assignments)
        self.list.clear()
        for a in self.assignments:
            sentence = assignment_sentence(a)
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            item.setData(Qt.ItemDataRole.UserRole, a.scenario)
            item.setToolTip(plain_tip(sentence))
            self.list.addItem(item)
        self.setVisible(bool(self.assignments))
        if self.assignments:
            self.list.setCurrentRow(0)
            self.list.setMaximumHeight(
                max(60, min(160, self.list.sizeHintForRow(0) * len(self.assignments) + 8))
            )

    def _activated(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(key, str):
            self.chosen.emit(key)
