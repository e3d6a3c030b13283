"""Choose a time from a few quick choices or a date-and-time field: "Send later…" and
"Remind me…" (docs/scheduled-send.md).

The quick choices are a list the arrow keys walk ("In 1 hour", "Tomorrow at 9:00", …); the
last, "At a date and time", enables the field. Editing a scheduled reply also shows its
text; a reminder adds "only if the customer has not replied" (on by default). The time is
checked as the server checks it (not long past, at most a year ahead); a refusal is said and
the focus goes to the field at fault. Opened with ``open()`` (window-modal).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.scheduled import when_text
from csdesk.domain.scheduled import time_problem
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel, form_row
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["TimeChoiceDialog"]


class TimeChoiceDialog(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(
        self,
        title: str,
        intro: str,
        choices: Sequence[tuple[str, datetime]],
        parent: QWidget | None = None,
        *,
        confirm: str,
        text: str | None = None,
        condition: str | None = None,
        start: datetime | None = None,
        zone: tzinfo | None = None,
    ) -> None:
        """``choices``: (label, time) quick choices; ``text``: a scheduled reply's text to
        edit; ``condition``: the label of the "only if …" box (a reminder); ``start``: the
        time the field starts from (editing), else an hour from now; ``zone``: the agent's
        time zone setting the times are shown and chosen in (None: the system's)."""
        super().__init__(parent)
        self.setObjectName("time_choice_dialog")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._times = [at for _label, at in choices]
        self.choices = QListWidget(self)
        self.choices.setObjectName("time_choices")
        name(self.choices, _("When"), _("A quick choice, or the last one for a date and time"))
        for label, at in choices:
            sentence = _("{choice}: {when}").format(choice=label, when=when_text(at, zone))
            item = QListWidgetItem(sentence)
            self.choices.addItem(item)
        self.choices.addItem(QListWidgetItem(_("At a date and time of your choice")))
        self.when = QDateTimeEdit(self)
        self.when.setObjectName("time_choice_when")
        name(self.when, _("Date and time"), _("In your time zone"))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy HH:mm")
        key = getattr(zone, "key", None)  # a ZoneInfo's IANA name
        if isinstance(key, str) and QTimeZone.isTimeZoneIdAvailable(key.encode()):
            self.when.setTimeZone(QTimeZone(key.encode()))  # the agent's setting, not the OS's
        at = start or datetime.now(UTC) + timedelta(hours=1)
        self.when.setDateTime(
            QDateTime.fromSecsSinceEpoch(int(at.timestamp()), self.when.timeZone())
        )
        self.text: QPlainTextEdit | None = None
        self.condition: QCheckBox | None = None
        form = QFormLayout()
        layout = QVBoxLayout(self)
        intro_label = PlainLabel(intro, self)
        intro_label.setWordWrap(True)
        layout.addWidget(intro_label)
        layout.addLayout(form)
        form_row(form, _("&When"), self.choices)
        form_row(form, _("&Date and time"), self.when)
        if text is not None:
            self.text = QPlainTextEdit(self)
            self.text.setObjectName("time_choice_text")
            self.text.setPlainText(text)
            self.text.setTabChangesFocus(True)
            name(self.text, _("Reply text"), _("What the customer will receive"))
            form_row(form, _("Te&xt"), self.text)
        if condition is not None:
            self.condition = QCheckBox(condition, self)
            self.condition.setObjectName("time_choice_condition")
            self.condition.setChecked(True)
            name(self.condition, condition)
            layout.addWidget(self.condition)
        self.error = PlainLabel(self)
        self.error.setObjectName("time_choice_error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(confirm)
        name(ok, confirm.replace("&", ""))
        name(buttons.button(QDialogButtonBox.StandardButton.Cancel), _("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.choices.currentRowChanged.connect(self._chose)
        # Editing starts from its own time ("of your choice"); a new one from the first choice.
        self.choices.setCurrentRow(len(self._times) if start is not None else 0)
        self._chose(self.choices.currentRow())
        resize_within_screen(self, 520, 420)
        self.choices.setFocus()

    def _chose(self, row: int) -> None:
        self.when.setEnabled(row >= len(self._times))

    def chosen_time(self) -> datetime:
        row = self.choices.currentRow()
        if 0 <= row < len(self._times):
            return self._times[row]
        return datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)

    def body(self) -> str:
        return self.text.toPlainText().strip() if self.text is not None else ""

    def only_if_no_reply(self) -> bool:
        return self.condition.isChecked() if self.condition is not None else False

    def accept(self) -> None:
        now = datetime.now(UTC)
        at = self.chosen_time()
        problem = time_problem(at, now)
        if problem is None and at < now - timedelta(minutes=1):
            problem = "past"  # the desk asks for a time still to come
        if problem is not None:
            text = (
                _("That time is in the past.")
                if "past" in problem
                else _("That is more than a year ahead.")
            )
            self._refuse(text, self.when if self.when.isEnabled() else self.choices)
            return
        if self.text is not None and not self.body():
            self._refuse(_("The reply is empty."), self.text)
            return
        super().accept()

    def _refuse(self, text: str, field: QWidget) -> None:
        self.error.setText(text)
        self.error.show()
        announce(self, text, assertive=True)
        field.setFocus()
