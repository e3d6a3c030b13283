"""Scheduled send and follow-up reminders in the window (docs/scheduled-send.md), built by
the window.

Ctrl+Shift+Return ("Send later…") takes the reply being written and asks when; the server
holds it until then, so the desk may be closed. The open conversation's replies still
waiting show above the composer as plain text ("Scheduled for Mon 7 Dec 09:00 …");
Ctrl+Alt+Shift+S lists them (Enter edits text and time, Delete cancels). Ctrl+Alt+Shift+R
("Remind me…") sets a follow-up reminder; when the server makes one due, this desk alone
(its owner's) announces it, assertively, on the notice line and in the tray;
Ctrl+Alt+Shift+L lists the reminders (Enter opens the conversation, Delete dismisses).
Reads run on workers, writes through the serial writer; refusals are said and shown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QSystemTrayIcon, QVBoxLayout

from csdesk.app.scheduled import ReminderView, ScheduledView, Scheduling, when_text, zone_named
from csdesk.domain import scheduled as rules
from csdesk.domain.enums import Channel
from csdesk.domain.whatsapp import window_state
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.settings import TIME_ZONE
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.ui.focus_return import open_returning_focus
from csdesk.ui.plain_text import PlainLabel

if TYPE_CHECKING:
    from collections.abc import Callable

    from csdesk.ui.desk_host import DeskWindow

__all__ = ["ScheduledDesk"]

_MINE = {t.value for t in MutationType if t.value.startswith(("scheduled.", "reminder."))}


class ScheduledDesk(QObject):
    """Signals: ``scheduled(str)`` — a reply was queued to be sent later (its id);
    ``strip_shown(int)`` — the open conversation's waiting replies were shown (how many);
    ``reminded(str)`` — a reminder was queued (its id); ``announced(str)`` — a due reminder
    was announced (its id); ``refreshed()`` — the due reminders were re-read."""

    scheduled = Signal(str)
    strip_shown = Signal(int)
    reminded = Signal(str)
    announced = Signal(str)
    refreshed = Signal()

    def __init__(self, window: DeskWindow, *, everywhere: bool = True) -> None:
        """``window``: the main window or a pop-out (ui/desk_host.py). ``everywhere``: this
        desk also announces due reminders and says the server's refusals (the main
        window's; a pop-out's does neither, or each would be said once per window)."""
        super().__init__(window)
        self.window = window
        self.everywhere = everywhere
        self.scheduling = Scheduling(window.ws, self.zone)
        self.dialog: QDialog | None = None  # the one open now (tests find it)
        self._announced: set[str] = set()
        self._held: list[ScheduledView] = []
        panel = window.conversation
        # Plain text (a customer's reply text may be anything); not given an accessible name
        # (it would hide the text): changes are announced instead.
        self.strip = PlainLabel(panel)
        self.strip.setObjectName("scheduled_strip")
        self.strip.setWordWrap(True)
        self.strip.hide()
        layout = panel.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(panel.rejection) + 1, self.strip)
        a = window.actions_
        a.bind("send_later", self.send_later)
        a.bind("scheduled_list", self.show_scheduled)
        a.bind("remind_me", self.remind_me)
        a.bind("reminders", self.show_reminders)
        panel.model.modelReset.connect(self.refresh_strip)
        window.bridge.changes.connect(self.on_changes)
        if everywhere:
            window.bridge.rejected.connect(self.on_rejected)
            self.refresh_reminders()

    def zone(self) -> tzinfo | None:
        """The agent's time zone setting (None: unset, the system's)."""
        settings = self.window.settings
        return zone_named(settings.get(TIME_ZONE)) if settings is not None else None

    def carry_over(self, old: ScheduledDesk) -> None:
        """The window was rebuilt (a new language): reminders already said stay said."""
        self._announced |= old._announced

    # --- news ------------------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or changes.touches(Entity.SCHEDULED_MESSAGE):
            self.refresh_strip()
        if self.everywhere and (changes.everything or changes.touches(Entity.REMINDER)):
            self.refresh_reminders()

    def _open_id(self) -> str | None:
        current = self.window.conversation.current
        return current.id if current is not None else None

    def refresh_strip(self) -> None:
        cid = self._open_id()
        if cid is None:
            self._show_strip(cid, [])
            return
        scheduling = self.scheduling
        self.window.tasks.run(
            lambda: scheduling.held(cid), lambda held: self._show_strip(cid, held), self._failed
        )

    def _show_strip(self, cid: str | None, held: list[ScheduledView]) -> None:
        if cid != self._open_id():
            return  # the agent moved on meanwhile
        self._held = held
        self.strip.setText("\n".join(v.sentence() for v in held))
        self.strip.setVisible(bool(held))
        self.strip_shown.emit(len(held))

    def refresh_reminders(self) -> None:
        # The writer lane: it remembers which ones were announced (once, also across restarts).
        self.window.tasks.write(self.scheduling.to_announce, self._due, self._failed)

    def _due(self, due: list[ReminderView]) -> None:
        for r in due:
            if r.id in self._announced:
                continue
            self._announced.add(r.id)
            text = _(
                "Reminder: follow up with {name} about {subject}. Ctrl+Alt+Shift+L lists "
                "your reminders."
            ).format(name=r.customer_name, subject=r.subject or _("no subject"))
            self.window.notice_label.setText(text)
            self.window.say(text, assertive=True)
            tray = self.window.tray
            if tray is not None:
                tray.showMessage("csdesk", text, QSystemTrayIcon.MessageIcon.Information, 8000)
            self.announced.emit(r.id)
        self.refreshed.emit()

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            text = _("Refused: {reason}").format(reason=rejection.message)
            self.window.show_notice(text)
            self.window.say(text, assertive=True)

    def _failed(self, exc: Exception) -> None:
        self.window.show_notice(_("Could not do that: {error}").format(error=exc))

    # --- Send later ------------------------------------------------------------------------

    def _quick_choices(self) -> list[tuple[str, datetime]]:
        now = datetime.now(UTC)
        return [
            (_("In 1 hour"), rules.in_hours(now, 1)),
            (_("Tomorrow at 9:00"), rules.tomorrow_morning(now, self.zone())),
            (_("Monday at 9:00"), rules.monday_morning(now, self.zone())),
        ]

    def send_later(self) -> None:
        from csdesk.ui.panels.time_choice import TimeChoiceDialog

        conv = self.window.conversation.current
        if conv is None:
            self.window.say(_("No conversation is open."))
            return
        if conv.channel == Channel.PHONE.value:
            self.window.say(_("A reply cannot be scheduled on a phone conversation."))
            return
        composer = self.window.conversation.composer
        body = composer.text.toPlainText().strip()
        if not body:
            self.window.say(_("Write the reply first, then choose Send later."), assertive=True)
            composer.text.setFocus()
            return
        if composer.note.isChecked():
            self.window.say(_("A note is saved at once; only replies can be scheduled."))
            return
        if composer.attached():
            self.window.say(
                _("Files cannot be scheduled: send them now, or remove them first."),
                assertive=True,
            )
            return
        subject = composer.subject.text() if conv.channel == Channel.EMAIL.value else ""
        dialog = TimeChoiceDialog(
            _("Send later"),
            _("The server sends this reply at the time you choose, even if your desk is closed."),
            self._quick_choices(),
            self.window,
            confirm=_("&Schedule"),
            zone=self.zone(),
        )
        cid = conv.id

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            at = dialog.chosen_time()
            closes = self._whatsapp_closes(conv.channel, conv.last_inbound_at)
            if closes is not None and at > closes:
                # The server would refuse it then; say so now, the reply stays in the composer.
                self.window.say(
                    _(
                        "Not scheduled: WhatsApp allows free text only until {when}. Choose "
                        "an earlier time, or send an approved template."
                    ).format(when=when_text(closes, self.zone())),
                    assertive=True,
                )
                return
            scheduling = self.scheduling

            def done(result: tuple[str, ChangeSet]) -> None:
                if self.window.conversation.sent(cid, body):  # else: moved on (ui/drafts.py)
                    composer.text.setFocus()
                self.window.say(
                    _("Reply scheduled for {when}.").format(when=when_text(at, self.zone()))
                )
                self.scheduled.emit(result[0])

            self.window.tasks.write(
                lambda: scheduling.schedule(cid, body, at, subject), done, self._failed
            )

        self._open(dialog, finished)

    @staticmethod
    def _whatsapp_closes(channel: str, last_inbound_at: datetime | None) -> datetime | None:
        """When WhatsApp's 24-hour window closes for free text (None: not WhatsApp)."""
        if channel != Channel.WHATSAPP.value:
            return None
        return window_state(last_inbound_at, datetime.now(UTC)).closes_at or datetime.now(UTC)

    # --- the conversation's scheduled replies ------------------------------------------------

    def show_scheduled(self) -> None:
        from csdesk.ui.panels.sentence_list import DELETE, SentenceListDialog

        cid = self._open_id()
        if cid is None:
            self.window.say(_("No conversation is open."))
            return

        def listed(held: list[ScheduledView]) -> None:
            dialog = SentenceListDialog(
                _("Scheduled replies"),
                [v.sentence() for v in held],
                _("No reply is waiting to be sent in this conversation."),
                (_("&Edit…"), _("Edit text and time")),
                (_("Cancel &reply"), _("Cancel the scheduled reply")),
                self.window,
                object_name="scheduled_list_dialog",
            )

            def finished(accepted: bool) -> None:
                row = dialog.chosen() if accepted else None
                if row is None:
                    return
                item = held[row]
                if dialog.action() == DELETE:
                    self.window.tasks.write(
                        lambda: self.scheduling.cancel(item.id), None, self._failed
                    )
                    self.window.say(_("Scheduled reply cancelled."))
                    return
                self.edit(item)

            self.window.say(
                _("{n} replies waiting to be sent.").format(n=len(held))
                if held
                else _("No reply is waiting to be sent in this conversation.")
            )
            self._open(dialog, finished)

        self.window.tasks.run(lambda: self.scheduling.held(cid), listed, self._failed)

    def edit(self, item: ScheduledView) -> None:
        from csdesk.ui.panels.time_choice import TimeChoiceDialog

        dialog = TimeChoiceDialog(
            _("Edit a scheduled reply"),
            _("Change what is sent, or when. Once it has gone it can no longer be changed."),
            self._quick_choices(),
            self.window,
            confirm=_("&Save"),
            text=item.body_text,
            start=item.send_at,
            zone=self.zone(),
        )

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            at, body = dialog.chosen_time(), dialog.body()
            scheduling = self.scheduling
            self.window.tasks.write(
                lambda: scheduling.edit(item.id, body, at),
                lambda _changes: self.window.say(
                    _("Reply rescheduled for {when}.").format(when=when_text(at, self.zone()))
                ),
                self._failed,
            )

        self._open(dialog, finished)

    # --- reminders ---------------------------------------------------------------------------

    def remind_me(self) -> None:
        from csdesk.ui.panels.time_choice import TimeChoiceDialog

        cid = self._open_id()
        if cid is None:
            self.window.say(_("No conversation is open."))
            return
        now = datetime.now(UTC)
        dialog = TimeChoiceDialog(
            _("Remind me"),
            _("Your desk reminds you of this conversation at the time you choose."),
            [
                (_("In 2 hours"), rules.in_hours(now, 2)),
                (_("Tomorrow at 9:00"), rules.tomorrow_morning(now, self.zone())),
                (_("In 2 days"), now + timedelta(days=2)),
            ],
            self.window,
            confirm=_("&Remind me"),
            condition=_("Only if the customer has &not replied by then"),
            zone=self.zone(),
        )

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            at, only = dialog.chosen_time(), dialog.only_if_no_reply()
            scheduling = self.scheduling

            def done(rid: str) -> None:
                self.window.say(
                    (
                        _("You will be reminded at {when} if the customer has not replied.")
                        if only
                        else _("You will be reminded at {when}.")
                    ).format(when=when_text(at, self.zone()))
                )
                self.reminded.emit(rid)

            self.window.tasks.write(
                lambda: scheduling.remind(cid, at, only_if_no_reply=only), done, self._failed
            )

        self._open(dialog, finished)

    def show_reminders(self) -> None:
        from csdesk.ui.panels.sentence_list import DELETE, SentenceListDialog

        def listed(items: list[ReminderView]) -> None:
            dialog = SentenceListDialog(
                _("Reminders"),
                [r.sentence() for r in items],
                _("You have no reminders."),
                (_("&Open conversation"), _("Open the conversation")),
                (_("&Dismiss"), _("Dismiss the reminder")),
                self.window,
                object_name="reminders_dialog",
            )

            def finished(accepted: bool) -> None:
                row = dialog.chosen() if accepted else None
                if row is None:
                    return
                item = items[row]
                if dialog.action() == DELETE:
                    self.window.tasks.write(
                        lambda: self.scheduling.dismiss(item.id), None, self._failed
                    )
                    self.window.say(_("Reminder dismissed."))
                    return
                self.window._open_from_customer(item.conversation_id)

            self.window.say(
                _("{n} reminders, due ones first.").format(n=len(items))
                if items
                else _("You have no reminders.")
            )
            self._open(dialog, finished)

        self.window.tasks.run(self.scheduling.reminders, listed, self._failed)

    def _open(self, dialog: QDialog, finished: Callable[[bool], None]) -> None:
        """Window-modal; the focus goes back where it was once answered."""

        def closed() -> None:
            if self.dialog is dialog:
                self.dialog = None

        self.dialog = dialog
        open_returning_focus(self.window, dialog, finished, closed=closed)
