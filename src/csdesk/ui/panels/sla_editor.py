"""The SLA policy editor (supervisors and administrators, Ctrl+Alt+P; docs/sla.md).

Three tabs: the targets (first response per channel class × priority, resolution per
priority, in minutes), each team's business hours, holidays and time zone (the shop's own
calendar first: conversations with no team), and the escalation options. Every field has an
accessible name that says which cell it is; the tabs have Alt mnemonics. Save checks the
values with the domain's own rules (the server's) and says what is wrong before anything is
queued. Opened by ``open_sla_editor``; the changes go through the outbox (``app.sla_policy``).

Signals: those of QDialog.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.app import sla_policy as app_sla
from csdesk.domain.business_calendar import calendar_from
from csdesk.domain.enums import Priority
from csdesk.domain.sla_policy import CLASSES, MAX_TARGET, MAX_WARN_MINUTES, SlaPolicy
from csdesk.domain.sla_targets import SlaClass
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel, form_row
from csdesk.ui.screen_fit import resize_within_screen

if TYPE_CHECKING:
    from csdesk.ui.floor_window import FloorWindow
    from csdesk.ui.main_window import MainWindow

__all__ = ["SlaEditor", "open_sla_editor"]

_PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
_MAX_MINUTES = int(MAX_TARGET.total_seconds() // 60)


def _class_label(c: SlaClass) -> str:
    return {"email": _("Email"), "messaging": _("Messaging"), "realtime": _("Chat and calls")}[c]


def _priority_label(p: Priority) -> str:
    return {
        Priority.URGENT: _("Urgent"),
        Priority.HIGH: _("High"),
        Priority.NORMAL: _("Normal"),
        Priority.LOW: _("Low"),
    }[p]


class SlaEditor(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(self, settings: app_sla.SlaSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sla_editor")
        self.setWindowTitle(_("SLA policy"))
        self.setAccessibleName(_("Edit the SLA policy"))
        self.settings = settings
        self.calendars = {c.team_id: c for c in settings.teams}
        self.result_policy: SlaPolicy | None = None
        self.result_calendars: list[app_sla.TeamCalendar] = []
        self.tabs = QTabWidget(self)
        name(self.tabs, _("SLA policy sections"))
        self.tabs.addTab(self._targets_tab(settings.policy), _("&Targets"))
        self.tabs.addTab(self._hours_tab(), _("&Business hours"))
        self.tabs.addTab(self._escalation_tab(settings.policy), _("&Escalation"))
        self.error = PlainLabel("", self)
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        name(self.save_button, _("Save the SLA policy"))
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        resize_within_screen(self, 900, 560)

    # --- targets ---------------------------------------------------------------------------

    def _spin(self, value: timedelta, accessible: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(1, _MAX_MINUTES)
        box.setSuffix(_(" min"))
        box.setValue(max(1, min(_MAX_MINUTES, round(value.total_seconds() / 60))))
        name(box, accessible, _("Minutes of business time"))
        return box

    def _targets_tab(self, policy: SlaPolicy) -> QWidget:
        page = QWidget(self)
        grid = QGridLayout(page)
        intro = PlainLabel(
            _("Targets in minutes of business time (the team's hours; 24/7 without them)."),
            page,
        )
        intro.setWordWrap(True)
        grid.addWidget(intro, 0, 0, 1, len(_PRIORITIES) + 1)
        for col, p in enumerate(_PRIORITIES, start=1):
            grid.addWidget(PlainLabel(_priority_label(p), page), 1, col)
        self.first: dict[tuple[SlaClass, Priority], QSpinBox] = {}
        for row, c in enumerate(CLASSES, start=2):
            title = _("First response, {kind}").format(kind=_class_label(c))
            grid.addWidget(PlainLabel(title, page), row, 0)
            for col, p in enumerate(_PRIORITIES, start=1):
                box = self._spin(policy.first_response[c][p], f"{title}, {_priority_label(p)}")
                self.first[(c, p)] = box
                grid.addWidget(box, row, col)
        row = len(CLASSES) + 2
        grid.addWidget(PlainLabel(_("Resolution"), page), row, 0)
        self.resolution: dict[Priority, QSpinBox] = {}
        for col, p in enumerate(_PRIORITIES, start=1):
            box = self._spin(
                policy.resolution[p],
                _("Resolution, {priority}").format(priority=_priority_label(p)),
            )
            self.resolution[p] = box
            grid.addWidget(box, row, col)
        grid.setRowStretch(row + 1, 1)
        return page

    # --- business hours --------------------------------------------------------------------

    def _hours_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.team = QComboBox(page)
        for cal in self.settings.teams:
            label = (
                _("{name} (conversations with no team)").format(name=cal.name)
                if cal.team_id == app_sla.SHOP_HOURS_ID
                else cal.name
            )
            self.team.addItem(label, cal.team_id)
        name(self.team, _("Team"), _("The team whose calendar is edited below"))
        self.hours = QLineEdit(page)
        self.hours.setMaxLength(500)
        self.hours.setPlaceholderText(_("e.g. Mon-Fri 09:00-17:00; Sat 10:00-13:00"))
        name(
            self.hours,
            _("Weekly hours"),
            _("Days and times, separated by semicolons; empty: open all day, every day"),
        )
        self.zone = QLineEdit(page)
        self.zone.setMaxLength(64)
        name(self.zone, _("Time zone"), _("An IANA time zone such as Europe/Paris"))
        self.holidays = QPlainTextEdit(page)
        self.holidays.setTabChangesFocus(True)
        self.holidays.setFixedHeight(120)
        name(self.holidays, _("Holidays"), _("One date a line, as 2026-12-25"))
        form_row(form, _("Tea&m:"), self.team)
        form_row(form, _("&Weekly hours:"), self.hours)
        form_row(form, _("Time &zone:"), self.zone)
        form_row(form, _("&Holidays:"), self.holidays)
        self._shown = ""
        self.team.currentIndexChanged.connect(self._team_changed)
        self._team_changed()
        return page

    def _read_calendar(self, team_id: str) -> app_sla.TeamCalendar:
        """The calendar as the fields say (ValueError for a line that is not a date)."""
        days: list[date] = []
        for n, line in enumerate(self.holidays.toPlainText().splitlines(), start=1):
            if line.strip():
                try:
                    days.append(date.fromisoformat(line.strip()))
                except ValueError:
                    raise ValueError(
                        _("Holiday line {n} is not a date like 2026-12-25.").format(n=n)
                    ) from None
        base = self.calendars[team_id]
        return replace(
            base,
            hours=self.hours.text().strip(),
            timezone=self.zone.text().strip() or "UTC",
            holidays=tuple(sorted(set(days))),
        )

    def _team_changed(self) -> None:
        if self._shown:
            try:
                self.calendars[self._shown] = self._read_calendar(self._shown)
            except ValueError as exc:  # stay on the team whose holidays need fixing
                self.team.blockSignals(True)
                self.team.setCurrentIndex(self.team.findData(self._shown))
                self.team.blockSignals(False)
                self._fail(str(exc))
                return
        team_id = str(self.team.currentData() or "")
        cal = self.calendars.get(team_id)
        if cal is None:
            return
        self._shown = team_id
        self.hours.setText(cal.hours)
        self.zone.setText(cal.timezone)
        self.holidays.setPlainText("\n".join(d.isoformat() for d in cal.holidays))

    # --- escalation ------------------------------------------------------------------------

    def _escalation_tab(self, policy: SlaPolicy) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        esc = policy.escalation
        self.warn_percent = QSpinBox(page)
        self.warn_percent.setRange(5, 100)
        self.warn_percent.setSuffix(" %")
        self.warn_percent.setValue(round(esc.warn_fraction * 100))
        name(self.warn_percent, _("Warn after this share of the target"))
        self.warn_minutes = QSpinBox(page)
        self.warn_minutes.setRange(0, MAX_WARN_MINUTES)
        self.warn_minutes.setSuffix(_(" min"))
        self.warn_minutes.setValue(esc.warn_minutes)
        name(self.warn_minutes, _("Or warn this many minutes before (0: off)"))
        self.raise_priority = QCheckBox(_("On a breach, &raise the priority one step"), page)
        self.raise_priority.setChecked(esc.raise_priority)
        self.move_queue = QCheckBox(_("On a breach, move to the es&calation queue"), page)
        self.move_queue.setChecked(esc.move_to_queue)
        form_row(form, _("Warn &after:"), self.warn_percent)
        form_row(form, _("Or warn &before due:"), self.warn_minutes)
        form.addRow(self.raise_priority)
        form.addRow(self.move_queue)
        note = PlainLabel(
            _("Warnings and breaches are told to the assignee and the team's supervisors, "
              "and noted on the conversation."),
            page,
        )  # fmt: skip
        note.setWordWrap(True)
        form.addRow(note)
        return page

    # --- saving ----------------------------------------------------------------------------

    def policy(self) -> SlaPolicy:
        """The policy the fields describe (ValueError with the domain's reason)."""
        data = {
            "first_response": {
                c: {p.value: self.first[(c, p)].value() * 60 for p in _PRIORITIES} for c in CLASSES
            },
            "resolution": {p.value: self.resolution[p].value() * 60 for p in _PRIORITIES},
            "escalation": {
                "warn_fraction": self.warn_percent.value() / 100,
                "warn_minutes": self.warn_minutes.value(),
                "raise_priority": self.raise_priority.isChecked(),
                "move_to_queue": self.move_queue.isChecked(),
            },
        }
        return SlaPolicy.from_json(data)

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        announce(self, message, assertive=True)

    def _save(self) -> None:
        try:
            if self._shown:
                self.calendars[self._shown] = self._read_calendar(self._shown)
            for cal in self.calendars.values():
                try:
                    calendar_from(cal.hours, cal.timezone, cal.holidays)
                except ValueError as exc:
                    raise ValueError(
                        _("{team}: {reason}").format(team=cal.name, reason=exc)
                    ) from None
            policy = self.policy()
        except ValueError as exc:
            self._fail(str(exc))
            return
        before = {c.team_id: c for c in self.settings.teams}
        self.result_calendars = [c for tid, c in self.calendars.items() if before.get(tid) != c]
        self.result_policy = None if policy.to_json() == self.settings.policy.to_json() else policy
        self.accept()


def open_sla_editor(window: MainWindow | FloorWindow) -> None:
    """Read the policy on a worker, show the editor, queue what was changed (from the agent
    screen or the supervisor's floor)."""
    if window.ws.me.role not in app_sla.EDITOR_ROLES:
        window.say(_("The SLA policy is edited by supervisors."))
        return
    # One open at a time (an earlier one, closed, is still a hidden child).
    for existing in window.findChildren(SlaEditor, "sla_editor"):
        if existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return

    def show(settings: app_sla.SlaSettings) -> None:
        dialog = SlaEditor(settings, window)
        dialog.accepted.connect(lambda: _queue(window, dialog))
        dialog.open()
        dialog.first[("email", Priority.URGENT)].setFocus()

    window.tasks.run(lambda: app_sla.load(window.ws, _("The shop")), show)


def _queue(window: MainWindow | FloorWindow, dialog: SlaEditor) -> None:
    policy, calendars = dialog.result_policy, dialog.result_calendars
    if policy is None and not calendars:
        window.say(_("Nothing changed in the SLA policy."))
        return
    window.tasks.write(
        lambda: app_sla.save(window.ws, policy, calendars),
        lambda _c: window.say(_("SLA policy saved; every desk gets it once the server accepts.")),
        lambda exc: window.say(_("Could not save the SLA policy: {error}").format(error=exc)),
    )
