"""One training session in the supervisor's review: the score card in words, the transcript
(plain text: the trainee's own words), the comments, and a box to add one.

A comment is an outbox action: written offline it is listed at once as "waiting to be sent"
and reaches the trainee's desk when the server has it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.training_review import SessionDetail
from csdesk.i18n import N_, _
from csdesk.training.rubric import RUBRIC
from csdesk.ui.panels.training_text import channel_name
from csdesk.ui.plain_text import PlainLabel

__all__ = ["SessionView", "session_text"]

_OUTCOMES = {
    "resolved": N_("the customer's problem was solved"),
    "escalated": N_("the customer escalated"),
    "ended_early": N_("the trainee ended the session early"),
}


def session_text(detail: SessionDetail) -> str:
    """The session as lines of plain text: score, rubric, points, feedback, transcript."""
    s = detail.summary
    when = s.finished_at.astimezone().strftime("%Y-%m-%d %H:%M") if s.finished_at else "?"
    lines = [
        _("{who}, {when}: {title} ({channel}) — {score} out of 100, {grade}; {outcome}.").format(
            who=detail.user_name,
            when=when,
            title=s.title,
            channel=channel_name(s.channel),
            score=s.score,
            grade=s.grade,
            outcome=_(_OUTCOMES.get(s.outcome, s.outcome)),
        )
    ]
    figures = [
        _("{point}: {value}").format(point=_(label), value=s.rubric.get(key))
        for key, label in RUBRIC.items()
        if s.rubric.get(key) is not None
    ]
    if figures:
        lines.append(_("Per rubric point: {figures}.").format(figures="; ".join(figures)))
    for point, met in detail.points:
        lines.append(
            _("Covered: {point}.").format(point=point)
            if met
            else _("Missed: {point}.").format(point=point)
        )
    if detail.feedback:
        lines += ["", _("Feedback the trainee saw:"), *detail.feedback]
    lines += ["", _("Transcript:")]
    for line in detail.transcript:
        at = line.at.astimezone().strftime("%H:%M:%S") if line.at else ""
        who = _("Customer") if line.speaker == "customer" else _("Trainee")
        text = f"{who}, {at}: {line.text}"
        if line.actions:
            text += " " + _("(Action: {actions})").format(actions=", ".join(line.actions))
        lines.append(text)
    if not detail.transcript:
        lines.append(_("No transcript (a session brought over from an older desk)."))
    return "\n".join(lines)


class SessionView(QWidget):
    """Signals: ``comment_requested(str, str)`` — (result id, text) to send."""

    comment_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result_id: str | None = None
        heading = PlainLabel(_("Session and &transcript"), self)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("review_transcript")
        self.text.setAccessibleName(_("Session and transcript"))
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)
        heading.setBuddy(self.text)
        said = PlainLabel(_("Co&mments"), self)
        self.comments = QListWidget(self)
        self.comments.setObjectName("review_comments")
        self.comments.setAccessibleName(_("Comments"))
        self.comments.setWordWrap(True)
        self.comments.setTextElideMode(Qt.TextElideMode.ElideNone)
        said.setBuddy(self.comments)
        write = PlainLabel(_("&Your comment for the trainee"), self)
        self.box = QPlainTextEdit(self)
        self.box.setObjectName("review_comment_box")
        self.box.setAccessibleName(_("Your comment for the trainee"))
        self.box.setAccessibleDescription(_("The trainee sees it with this session."))
        self.box.setTabChangesFocus(True)
        self.box.setMaximumHeight(90)
        write.setBuddy(self.box)
        self.send = QPushButton(_("Add comment"), self)
        self.send.setObjectName("review_comment_send")
        self.send.setAccessibleName(_("Add comment"))
        self.send.setAccessibleDescription(_("Send the comment to the trainee"))
        self.send.setAutoDefault(False)
        self.send.clicked.connect(self._send)
        self.send.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.box, 1)
        row.addWidget(self.send)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.text, 3)
        layout.addWidget(said)
        layout.addWidget(self.comments, 1)
        layout.addWidget(write)
        layout.addLayout(row)

    def show_session(self, detail: SessionDetail, pending: list[str]) -> None:
        self.result_id = detail.summary.id
        self.text.setPlainText(session_text(detail))
        self.comments.clear()
        for comment in detail.comments:
            when = comment.at.astimezone().strftime("%Y-%m-%d %H:%M") if comment.at else ""
            self._add(
                _("{who}, {when}: {body}").format(who=comment.author, when=when, body=comment.body)
            )
        for body in pending:
            self.add_pending(body)
        if self.comments.count() == 0:
            self._add(_("No comments yet."))
        self.send.setEnabled(True)

    def clear_session(self, message: str) -> None:
        self.result_id = None
        self.text.setPlainText(message)
        self.comments.clear()
        self.send.setEnabled(False)

    def add_pending(self, body: str) -> None:
        if self.comments.count() == 1 and self.comments.item(0).text() == _("No comments yet."):
            self.comments.clear()
        self._add(_("You (waiting to be sent): {body}").format(body=body))

    def _add(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
        self.comments.addItem(item)

    def _send(self) -> None:
        text = self.box.toPlainText().strip()
        if self.result_id is None or not text:
            self.box.setFocus()
            return
        self.comment_requested.emit(self.result_id, text)

    def sent(self, body: str) -> None:
        """The comment was queued: listed, and the box emptied for the next."""
        self.box.clear()
        self.add_pending(body)

    def bind_shortcut(self, send: Callable[[], None]) -> None:
        """Ctrl+Return in the comment box sends it (as in the composer)."""
        from PySide6.QtGui import QKeySequence, QShortcut

        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.box)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(send)
