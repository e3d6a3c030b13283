"""The wrap-up dialog: a disposition from the fixed list, notes, and the script trail shown.

"Callback scheduled" asks when: a date-time editor (typed digits and arrow keys, or a
calendar) appears for it, and the time must be in the future. The server then snoozes the
conversation until that time and gives it back to the agent, announced as "Callback due".

Opened with ``open()`` (window-modal, no nested event loop); whoever opens it puts the focus
back where it was when it closes. A note over the limit is refused here with a message and
the text stays in the box, so nothing the agent typed is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.status_words import disposition_labels
from csdesk.domain.calls import MAX_CALLBACK_AHEAD, MAX_NOTES, Disposition
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel

__all__ = ["WrapUpDialog"]


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
        callback_at: datetime | None = None,
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
        self.callback = QDateTimeEdit(self)
        self.callback.setObjectName("wrapup_callback_at")
        name(
            self.callback,
            _("Callback date and time"),
            _("When to call back; the conversation comes back to you then"),
        )
        self.callback.setCalendarPopup(True)
        self.callback.setDisplayFormat("ddd d MMM yyyy HH:mm")
        when = callback_at or _next_quarter_hour(datetime.now(UTC) + timedelta(hours=1))
        self.callback.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
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
        self.form = form
        for text, field in (
            (_("&Disposition"), self.disposition),
            (_("Call &back at"), self.callback),
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
        QWidget.setTabOrder(self.disposition, self.callback)
        QWidget.setTabOrder(self.callback, self.notes)
        self.disposition.currentIndexChanged.connect(self._show_callback)
        self._show_callback()
        self.disposition.setFocus()

    def _show_callback(self) -> None:
        """The callback time is asked only for "Callback scheduled" (and then in tab order
        right after the disposition)."""
        self.form.setRowVisible(self.callback, self.chosen() == Disposition.CALLBACK_SCHEDULED)

    def callback_time(self) -> datetime | None:
        """The chosen callback time (aware, UTC), or None for any other disposition."""
        if self.chosen() != Disposition.CALLBACK_SCHEDULED:
            return None
        return datetime.fromtimestamp(self.callback.dateTime().toSecsSinceEpoch(), UTC)

    def chosen(self) -> Disposition:
        return Disposition(str(self.disposition.currentData()))

    def note_text(self) -> str:
        return self.notes.toPlainText().strip()

    def accept(self) -> None:
        if len(self.note_text()) > MAX_NOTES:
            text = _("The notes are too long: at most {n} characters.").format(n=MAX_NOTES)
            self._refuse(text, self.notes)
            return
        when = self.callback_time()
        if when is not None:
            now = datetime.now(UTC)
            if when <= now:
                self._refuse(_("The callback time is in the past."), self.callback)
                return
            if when - now > MAX_CALLBACK_AHEAD:
                text = _("A callback can be scheduled at most a year ahead.")
                self._refuse(text, self.callback)
                return
        super().accept()

    def _refuse(self, text: str, where: QWidget) -> None:
        self.error.setText(text)
        self.error.show()
        announce(self, text, assertive=True)
        where.setFocus()


def _next_quarter_hour(at: datetime) -> datetime:
    """A round default time for a callback (agents rarely promise 10:47)."""
    at = at.replace(second=0, microsecond=0)
    return at + timedelta(minutes=(15 - at.minute % 15) % 15)
