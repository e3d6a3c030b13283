"""The wrap-up dialog: a disposition from the fixed list, notes, and the script trail shown.

Opened with ``open()`` (window-modal, no nested event loop); whoever opens it puts the focus
back where it was when it closes. A note over the limit is refused here with a message and
the text stays in the box, so nothing the agent typed is lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.domain.calls import MAX_NOTES, Disposition
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel

__all__ = ["WrapUpDialog", "disposition_labels"]


def disposition_labels() -> dict[Disposition, str]:
    """Translated labels (``domain.calls.DISPOSITION_LABELS`` holds the English ones)."""
    return {
        Disposition.RESOLVED: _("Resolved"),
        Disposition.FOLLOW_UP: _("Follow-up needed"),
        Disposition.CALLBACK_SCHEDULED: _("Callback scheduled"),
        Disposition.ESCALATED: _("Escalated"),
        Disposition.WRONG_NUMBER: _("Wrong number"),
        Disposition.NO_ANSWER: _("No answer or voicemail"),
    }


class WrapUpDialog(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(
        self,
        caller: str,
        trail: Sequence[str],
        parent: QWidget | None = None,
        *,
        disposition: Disposition = Disposition.RESOLVED,
        notes: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("wrapup_dialog")
        self.setWindowTitle(_("Wrap up call"))
        self.setAccessibleName(_("Wrap up call with {caller}").format(caller=caller))
        self.disposition = QComboBox(self)
        self.disposition.setObjectName("wrapup_disposition")
        name(self.disposition, _("Disposition"), _("How the call ended"))
        for value, label in disposition_labels().items():
            self.disposition.addItem(label, value.value)
        self.disposition.setCurrentIndex(list(Disposition).index(disposition))
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("wrapup_notes")
        name(self.notes, _("Notes"), _("What was agreed; Tab moves on"))
        self.notes.setTabChangesFocus(True)
        self.notes.setPlainText(notes)
        summary = " → ".join(trail) if trail else _("No script steps were taken.")
        self.trail = PlainLabel(summary, self)
        self.trail.setObjectName("wrapup_trail")
        self.trail.setWordWrap(True)
        self.error = PlainLabel(self)
        self.error.setObjectName("wrapup_error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText(_("Save wrap-up"))
        name(save, _("Save wrap-up"))
        name(buttons.button(QDialogButtonBox.StandardButton.Cancel), _("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        for text, field in (
            (_("&Disposition"), self.disposition),
            (_("&Notes"), self.notes),
            (_("Script steps"), self.trail),
        ):
            row_label = PlainLabel(text, self)
            row_label.setBuddy(field)
            form.addRow(row_label, field)
        layout = QVBoxLayout(self)
        layout.addWidget(PlainLabel(_("Call with {caller}").format(caller=caller), self))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.disposition.setFocus()

    def chosen(self) -> Disposition:
        return Disposition(str(self.disposition.currentData()))

    def note_text(self) -> str:
        return self.notes.toPlainText().strip()

    def accept(self) -> None:
        if len(self.note_text()) > MAX_NOTES:
            text = _("The notes are too long: at most {n} characters.").format(n=MAX_NOTES)
            self.error.setText(text)
            self.error.show()
            announce(self, text, assertive=True)
            self.notes.setFocus()
            return
        super().accept()
