"""Click-to-call and callbacks in the window: F5 calls the open conversation's customer, F4
schedules a callback, Shift+F4 lists the callbacks (Enter calls back).

Built by the window beside the ``CallDesk`` (after the first list). Placing a call is refused
while offline, with a message: a call cannot wait in the outbox for hours. Everything else
goes through the outbox. A callback that comes due for this agent (the server decides when) is
announced assertively, shown in the tray, and acknowledged to the server so it stays theirs;
one the server moved to the queue is listed for everyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QSystemTrayIcon

from csdesk.app import formats
from csdesk.app.callbacks import Callbacks, CallbackView
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.sync.events import ChangeSet, Rejection, SyncState
from csdesk.ui.choose import choose_item
from csdesk.ui.focus_return import open_returning_focus

if TYPE_CHECKING:
    from collections.abc import Callable

    from csdesk.ui.main_window import MainWindow

__all__ = ["CallbackDesk"]

_MINE = {
    MutationType.CALL_PLACE.value,
    MutationType.CALLBACK_SCHEDULE.value,
    MutationType.CALLBACK_UPDATE.value,
    MutationType.CALLBACK_CANCEL.value,
    MutationType.CALLBACK_TAKE.value,
    MutationType.USER_SET_CALL_PHONE.value,
}


def _when(due: datetime) -> str:
    """ "Sat 5 Dec 14:00" in the desk's language."""
    local = due.astimezone()
    return f"{formats.day_text(local.date())} {formats.time_text(local)}"


class CallbackDesk(QObject):
    """Signals: ``placed(str)`` — a call to this call id was queued; ``scheduled(str)`` — this
    callback id was queued; ``announced(str)`` — this due callback was announced;
    ``refreshed()`` — the due callbacks were re-read (tests wait on it)."""

    placed = Signal(str)
    scheduled = Signal(str)
    announced = Signal(str)
    refreshed = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.callbacks = Callbacks(window.ws)
        self.dialog: QDialog | None = None  # the one open now (tests find it)
        self._announced: set[str] = set()
        a = window.actions_
        a.bind("call_customer", self.call_customer)
        a.bind("schedule_callback", self.schedule_callback)
        a.bind("callback_list", self.show_list)
        a.bind("set_call_phone", self.set_call_phone)
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)

    # --- news ------------------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or changes.touches(Entity.CALLBACK):
            self.refresh()

    def refresh(self) -> None:
        self.window.tasks.run(self.callbacks.to_announce, self._due, self._failed)

    def _due(self, due: list[CallbackView]) -> None:
        for cb in due:
            if cb.id in self._announced:
                continue
            self._announced.add(cb.id)
            text = cb.due_text()
            self.window.say(text, assertive=True)
            tray = self.window.tray
            if tray is not None:
                tray.showMessage("csdesk", text, QSystemTrayIcon.MessageIcon.Information, 8000)
            # Heard: it stays mine rather than going to the queue.
            self._acknowledge(cb.id)
            self.announced.emit(cb.id)
        self.refreshed.emit()

    def _acknowledge(self, callback_id: str) -> None:
        callbacks = self.callbacks
        self.window.tasks.write(lambda: callbacks.take(callback_id), None, self._failed)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            text = _("Refused: {reason}").format(reason=rejection.message)
            self.window.show_notice(text)
            self.window.say(text, assertive=True)

    def _failed(self, exc: Exception) -> None:
        self.window.show_notice(_("Could not do that: {error}").format(error=exc))

    # --- F5: call the customer -------------------------------------------------------------

    def _online(self) -> bool:
        return self.window.ws.engine.status.state == SyncState.ONLINE

    def call_customer(self) -> None:
        ctx = self.window.customer_ctx
        if ctx is None:
            self.window.say(_("No conversation is open."))
            return
        self._call(ctx.id, ctx.name, self.window.open_id, None)

    def _call(
        self,
        customer_id: str,
        customer: str,
        conversation_id: str | None,
        callback_id: str | None,
        phone: str = "",
    ) -> None:
        if not self._online():
            self.window.say(
                _(
                    "You are offline, so the call was not placed: a call cannot wait until "
                    "the connection is back. Try again when the status bar says Online."
                ),
                assertive=True,
            )
            return

        def chosen(numbers: list[str]) -> None:
            if phone:  # a callback names the number it promised to call
                numbers = [phone]
            if not numbers:
                self.window.say(
                    _("{name} has no phone number to call.").format(name=customer), assertive=True
                )
                return
            number: str | None = numbers[0]
            if len(numbers) > 1:
                at = choose_item(
                    self.window,
                    _("Call which number?"),
                    _("Number"),
                    numbers,
                    name=_("Number to call"),
                )
                number = numbers[at] if at is not None else None
            if number is None:
                return
            self._place(customer_id, customer, number, conversation_id, callback_id)

        self.window.tasks.run(lambda: self.callbacks.phones(customer_id), chosen, self._failed)

    def _place(
        self,
        customer_id: str,
        customer: str,
        number: str,
        conversation_id: str | None,
        callback_id: str | None,
    ) -> None:
        def done(call_id: str) -> None:
            # Whose phone rings first is said when the call pops: the demo line rings none.
            self.window.say(_("Calling {name} on {number}.").format(name=customer, number=number))
            self.placed.emit(call_id)

        callbacks = self.callbacks
        self.window.tasks.write(
            lambda: callbacks.place_call(customer_id, number, conversation_id, callback_id),
            done,
            self._failed,
        )

    def set_call_phone(self) -> None:
        """Ctrl+Shift+F5: the phone a click-to-call rings first (kept on the server only)."""
        from csdesk.domain.callbacks import call_phone_problem
        from csdesk.ui.choose import ask_text

        focus = self.window.focusWidget()
        value = ask_text(
            self.window,
            _("My phone for calls"),
            _("The number in +4420… form, or client:NAME; empty turns click-to-call off"),
            name="call_phone_dialog",
        )
        if focus is not None:  # back where the agent was, as after any dialog
            self.window.activateWindow()
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        if value is None:
            return
        value = value.strip()
        if value and call_phone_problem(value) is not None:
            self.window.say(
                _("That is not a number in +4420… form or client:NAME."), assertive=True
            )
            return
        callbacks = self.callbacks

        def done(_result: object) -> None:
            self.window.say(
                _("Your calls will ring {phone} first.").format(phone=value)
                if value
                else _("Click-to-call is off until you set a phone.")
            )

        self.window.tasks.write(lambda: callbacks.set_call_phone(value), done, self._failed)

    # --- F4: schedule a callback -----------------------------------------------------------

    def schedule_callback(self) -> None:
        from csdesk.ui.panels.callback_dialog import CallbackDialog

        ctx = self.window.customer_ctx
        if ctx is None:
            self.window.say(_("No conversation is open."))
            return
        dialog = CallbackDialog(ctx.name, ctx.phone or "", self.window)
        conversation_id = self.window.open_id

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            due, mine, note = dialog.due_at(), dialog.mine(), dialog.note_text()
            when = _when(due)
            callbacks = self.callbacks

            def done(result: tuple[str, ChangeSet]) -> None:
                whose = _("you") if mine else _("the queue")
                self.window.say(
                    _("Callback to {name} scheduled for {when}, for {whose}.").format(
                        name=ctx.name, when=when, whose=whose
                    )
                )
                self.scheduled.emit(result[0])

            self.window.tasks.write(
                lambda: callbacks.schedule(
                    ctx.id, due, mine=mine, conversation_id=conversation_id, note=note
                ),
                done,
                self._failed,
            )

        self._open(dialog, finished)

    # --- Shift+F4: the list ----------------------------------------------------------------

    def show_list(self) -> None:
        self.window.tasks.run(self.callbacks.listing, self._show_list, self._failed)

    def _show_list(self, listing: list[CallbackView]) -> None:
        from csdesk.ui.panels.callback_list import CALL, CANCEL, MOVE, CallbackListDialog

        me = self.window.ws.me.id
        dialog = CallbackListDialog(listing, me, self.window)
        self.window.say(
            _("{n} callbacks, due ones first.").format(n=len(listing))
            if listing
            else _("No callbacks are yours or in the queue.")
        )

        def finished(accepted: bool) -> None:
            cb = dialog.chosen() if accepted else None
            if cb is None:
                return
            if dialog.action() == MOVE:
                self.reschedule(cb)
                return
            if dialog.action() == CANCEL:
                self.window.tasks.write(lambda: self.callbacks.cancel(cb.id), None, self._failed)
                self.window.say(_("Callback to {name} cancelled.").format(name=cb.customer_name))
                return
            if cb.assignee_id is None:
                self.window.tasks.write(lambda: self.callbacks.take(cb.id), None, self._failed)
            if cb.conversation_id:
                self.window._open_from_customer(cb.conversation_id)
            if dialog.action() == CALL and cb.phone:
                self._call(cb.customer_id, cb.customer_name, cb.conversation_id, cb.id, cb.phone)
            elif dialog.action() == CALL:
                self.window.say(
                    _("{name} has no phone number: their conversation is open.").format(
                        name=cb.customer_name
                    )
                )

        self._open(dialog, finished)

    def reschedule(self, cb: CallbackView) -> None:
        """Another time, who calls back, or note for ``cb`` (from the list's Reschedule…)."""
        from csdesk.ui.panels.callback_dialog import CallbackDialog

        me = self.window.ws.me.id
        dialog = CallbackDialog(
            cb.customer_name,
            cb.phone,
            self.window,
            moving=(cb.due_at, cb.assignee_id == me, cb.note),
        )

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            due, mine, note = dialog.due_at(), dialog.mine(), dialog.note_text()
            when = _when(due)
            callbacks = self.callbacks
            self.window.tasks.write(
                lambda: callbacks.reschedule(cb.id, due, mine=mine, note=note),
                lambda _changes: self.window.say(
                    _("Callback to {name} moved to {when}, for {whose}.").format(
                        name=cb.customer_name,
                        when=when,
                        whose=_("you") if mine else _("the queue"),
                    )
                ),
                self._failed,
            )

        self._open(dialog, finished)

    def _open(self, dialog: QDialog, finished: Callable[[bool], None]) -> None:
        """Window-modal; the focus goes back where it was once answered."""

        def closed() -> None:
            if self.dialog is dialog:
                self.dialog = None

        self.dialog = dialog
        open_returning_focus(self.window, dialog, finished, closed=closed)
