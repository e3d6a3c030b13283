"""Confirm deleting a quality review: names the reviewed agent and the conversation, and takes
an optional reason (kept in the server's audit entry).

Alt+R goes to the reason, Alt+D (or Enter) deletes, Escape cancels. The question is the
dialog's accessible description and is announced when it opens. All text is plain. Opened
with ``open()``; read ``reason()`` once it is accepted.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.qa import Review
from csdesk.domain.bidi import isolate
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["QaDeleteConfirm", "delete_question"]

#: As the server's ``qa.service.MAX_DELETE_REASON`` (a longer one would be refused).
MAX_REASON = 1000


def delete_question(review: Review) -> str:
    """The question, naming the agent and the conversation."""
    what = f"“{isolate(review.subject)}”" if review.subject else _("a conversation")
    return _(
        "Delete the review of {agent} on {what} with {customer}? The agent no longer sees it "
        "and it no longer counts in the QA score."
    ).format(
        agent=isolate(review.agent_name) or _("the agent"),
        what=what,
        customer=isolate(review.customer_name) or _("a customer"),
    )


class QaDeleteConfirm(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(self, review: Review, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qa_delete_confirm")
        self.setWindowTitle(_("Delete review"))
        self.question = delete_question(review)
        self.setAccessibleName(_("Delete review"))
        self.setAccessibleDescription(self.question)
        label = PlainLabel(self.question, self)
        label.setObjectName("qa_delete_question")
        label.setWordWrap(True)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("qa_delete_reason")
        self.reason_edit.setMaxLength(MAX_REASON)
        name(
            self.reason_edit,
            _("Reason (optional)"),
            _("Why the review is deleted; kept in the audit log"),
        )
        reason_label = PlainLabel(_("&Reason (optional):"), self)
        reason_label.setBuddy(self.reason_edit)
        buttons = QDialogButtonBox(self)
        self.delete_button = QPushButton(_("&Delete review"), self)
        name(self.delete_button, _("Delete review"), self.question)
        self.delete_button.setDefault(True)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"), _("Keeps the review"))
        cancel.setAutoDefault(False)
        self.delete_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason_edit)
        layout.addStretch(1)
        layout.addWidget(buttons)
        resize_within_screen(self, 560, 240)
        self.reason_edit.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        announce(self, self.question, assertive=True)

    def reason(self) -> str:
        return self.reason_edit.text().strip()
