"""Schedule a callback by hand: when, who calls back (me or the queue), a note.

Opened with ``open()`` (window-modal). The time must be in the future and within a year, as
the server checks; a refusal is said and the focus goes to the field at fault.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.domain.callbacks import MAX_NOTE
from csdesk.domain.calls import callback_problem
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.panels.wrapup import _next_quarter_hour
from csdesk.ui.plain_text import PlainLabel

__all__ = ["CallbackDialog"]


class CallbackDialog(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(
        self,
        customer: str,
        phone: str,
        parent: QWidget | None = None,
        *,
        moving: tuple[datetime, bool, str] | None = None,
    ) -> None:
        """``moving``: (due time, mine, note) of a callback being rescheduled: the fields
        start from them and the dialog says "Reschedule"."""
        super().__init__(parent)
        self.setObjectName("callback_dialog")
        title = _("Reschedule a callback") if moving else _("Schedule a callback")
        self.setWindowTitle(title)
        self.setAccessibleName(
            (
                _("Reschedule the callback to {customer}")
                if moving
                else _("Schedule a callback to {customer}")
            ).format(customer=customer)
        )
        self.when = QDateTimeEdit(self)
        self.when.setObjectName("callback_when")
        name(self.when, _("Callback date and time"), _("When to call back, in your time zone"))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy HH:mm")
        at = _next_quarter_hour(datetime.now(UTC) + timedelta(hours=1))
        self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(at.timestamp())))
        self.who = QComboBox(self)
        self.who.setObjectName("callback_who")
        name(self.who, _("Who calls back"), _("You, or whoever in the queue is free first"))
        self.who.addItem(_("Me"), True)
        self.who.addItem(_("The queue (whoever is free)"), False)
        self.note = QLineEdit(self)
        self.note.setObjectName("callback_note")
        self.note.setMaxLength(MAX_NOTE)
        name(self.note, _("Callback note"), _("What the call is about (optional)"))
        self.error = PlainLabel(self)
        self.error.setObjectName("callback_error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText(_("Reschedule") if moving else _("Schedule"))
        name(save, _("Reschedule callback") if moving else _("Schedule callback"))
        name(buttons.button(QDialogButtonBox.StandardButton.Cancel), _("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        for text, field in (
            (_("Call back &at"), self.when),
            (_("&Who calls back"), self.who),
            (_("N&ote"), self.note),
        ):
            label = PlainLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)
        layout = QVBoxLayout(self)
        number = phone or _("no phone number on file")
        layout.addWidget(
            PlainLabel(
                _("Call back {customer} on {number}").format(customer=customer, number=number), self
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if moving is not None:
            due, mine, note = moving
            later = max(due, datetime.now(UTC) + timedelta(minutes=15))  # a due one: not past
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(later.timestamp())))
            self.who.setCurrentIndex(0 if mine else 1)
            self.note.setText(note)
        self.when.setFocus()

    def due_at(self) -> datetime:
        return datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)

    def mine(self) -> bool:
        return bool(self.who.currentData())

    def note_text(self) -> str:
        return self.note.text().strip()

    def accept(self) -> None:
        problem = callback_problem(self.due_at(), datetime.now(UTC))
        if problem is not None:
            text = _(problem.template)  # params-less: the rule's own sentence
            self.error.setText(text)
            self.error.show()
            announce(self, text, assertive=True)
            self.when.setFocus()
            return
        super().accept()
