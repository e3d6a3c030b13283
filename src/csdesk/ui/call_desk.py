"""Phone calls in the window: a ringing call, the screen pop, the call script, the wrap-up.

Kept out of ``main_window.py`` (near its size limit): the window builds one ``CallDesk``,
which docks the call panel, puts a ringing call in the status bar, binds the call actions and
listens to sync news. Every lookup runs in the window's ``Tasks``; taking and wrapping up a
call go through the outbox, so they work offline and a lost race comes back as the server's
rejection ("Ann has already taken this call").

The screen pop follows the data, not the button: whenever the cache says a call is this
agent's and not wrapped up (taken on this desk, or answered on their phone and reported by
Twilio's answer hook), its conversation opens, the customer pane shows the caller and the
panel starts the suggested script, once per call.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from csdesk.app.calls import (
    Calls,
    CallView,
    Script,
    placeholder_values,
    suggest,
)
from csdesk.app.sentences import one_period
from csdesk.app.status_words import demo_line_note, disposition_labels
from csdesk.app.thread import ConversationView, CustomerContext
from csdesk.app.when import moment
from csdesk.domain.calls import Disposition
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.speech.policy import SpeechEventKind
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.ui.call_dock import CallDock
from csdesk.ui.elide import GivingLabel
from csdesk.ui.panels.call_script import CallScriptPanel
from csdesk.ui.panels.wrapup import WrapUpDialog

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["CallDesk"]

Loaded = tuple[list[CallView], list[CallView]]
Context = tuple[list[Script], CustomerContext | None, ConversationView | None]


class CallDesk(QObject):
    """Signals: ``popped(str)`` — the screen pop for this call id is on screen;
    ``wrapped(str)`` — the wrap-up of this call id was queued; ``refreshed()`` — the ringing
    and current calls were re-read (tests wait on it)."""

    popped = Signal(str)
    wrapped = Signal(str)
    refreshed = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.calls = Calls(window.ws)
        self.panel = CallScriptPanel(window)
        self.dock = CallDock(_("Call"), window)
        self.dock.setObjectName("call_dock")
        self.dock.setAccessibleName(_("Call and call script"))
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.close_requested.connect(self._put_away)
        QWidget.setTabOrder(self.panel.wrap, self.dock.close_button)  # the pane's last stop
        self.ring_label = GivingLabel(window)
        self.ring_label.setObjectName("ringing_call")
        window.status_line.add(self.ring_label)
        self.ring_label.hide()

        self.ringing: list[CallView] = []
        self.current: CallView | None = None  # the call this desk is on
        self.conversation_id: str | None = None  # whose customer fills the script
        self._popped: set[str] = set()
        self._heard: set[str] = set()  # ringing calls already announced
        self._prompted: set[str] = set()  # ended calls whose wrap-up opened by itself
        self._answered: set[str] = set()  # placed calls whose customer picking up was said
        self._rang: set[str] = set()  # ringing calls that brought the pane up (once each)
        #: The pane is up for a call (ringing or this desk's), not for a script the agent
        #: opened: when there is no call any more, it goes.
        self._for_call = False
        self._refreshing = False
        self._again = False
        self.dialog: WrapUpDialog | None = None

        a = window.actions_
        a.bind("answer_call", self.answer)
        a.bind("wrap_up_call", self.wrap_up)
        a.bind("end_call", self.end_call)
        a.bind("focus_call_script", self.focus_panel)
        a.bind("open_script", self.open_script)
        self.panel.answer_requested.connect(self.answer)
        self.panel.wrap_up_requested.connect(self.wrap_up)
        self.panel.end_requested.connect(self.end_call)
        self.panel.step_changed.connect(self._step_changed)
        self.panel.choice_selected.connect(
            lambda choice: self.window.say(_("Selected {choice}").format(choice=choice))
        )
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)
        # A call rings for a limited time on the desk even if its end is never reported.
        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self.refresh)
        self._clock.start()
        # No read yet: the window builds this desk and calls ``refresh`` once its first list
        # is in (this is an ORM query; the first configures every mapper, ~0.1 s).

    # --- reading the calls ---------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or changes.touches(Entity.CALL):
            self.refresh()

    def refresh(self) -> None:
        if self._refreshing:
            self._again = True
            return
        self._refreshing = True
        self._again = False
        calls = self.calls
        self.window.tasks.run(
            lambda: (calls.ringing(), calls.mine_open()), self._loaded, self._failed
        )

    def _failed(self, exc: Exception) -> None:
        self._refreshing = False
        self._read_failed(exc)

    def _read_failed(self, exc: Exception) -> None:
        """A lookup other than ``refresh`` failed: a refresh that may be running is not over."""
        self.window.show_notice(_("Could not read the calls: {error}").format(error=exc))

    def _take_failed(self, exc: Exception) -> None:
        self.window.show_notice(_("Could not answer the call: {error}").format(error=exc))

    def _wrap_up_failed(self, exc: Exception) -> None:
        self.window.show_notice(_("Could not save the wrap-up: {error}").format(error=exc))

    def _loaded(self, result: Loaded) -> None:
        self._refreshing = False
        if self._again:
            self.refresh()
            return
        ringing, mine = result
        self.ringing = ringing
        for call in ringing:
            if call.id not in self._heard:
                self._heard.add(call.id)
                self.window.say(
                    _("Incoming call from {caller}. Press Ctrl+Shift+L to answer.").format(
                        caller=call.caller
                    ),
                    assertive=True,
                )
        if ringing:
            text = _("Ringing: {caller} (Ctrl+Shift+L answers)").format(caller=ringing[0].caller)
            self.ring_label.setText(text)
            self.ring_label.setAccessibleDescription(text)
        self.ring_label.setVisible(bool(ringing))
        for call in mine:  # calls left from an earlier session are not news: no pop
            if call.id not in self._popped and not call.live():
                self._popped.add(call.id)
        fresh = [c for c in mine if c.id not in self._popped]
        if fresh:
            self._pop(fresh[0])
        elif self.current is not None:
            now = next((c for c in mine if c.id == self.current.id), None)
            if now is None:  # wrapped up (here or by a supervisor)
                self.current = None
            else:
                self.current = now
                if now.ended_at is not None and now.id not in self._prompted:
                    self._prompted.add(now.id)
                    self.window.say(_("The call with {caller} ended.").format(caller=now.caller))
                    self.wrap_up()
        self._heard_answer(self.current)
        self._show_status()
        self.refreshed.emit()

    def _heard_answer(self, call: CallView | None) -> None:
        """The customer picked up a call this agent placed: said once."""
        if call is None or call.direction != "out" or call.id in self._answered:
            return
        if call.outcome == "answered" and call.ended_at is None:
            self._answered.add(call.id)
            self.window.say(_("{caller} answered.").format(caller=call.caller), assertive=True)

    def _show_status(self) -> None:
        current = self.current
        if current is not None:
            if current.ended_at is not None:
                words = _("Call with {caller} ended: wrap it up (Ctrl+Shift+W).")
            elif current.demo_line and current.outcome == "ringing":
                # Twilio reports a real call's answer only at its end: "On call" meanwhile.
                words = _("Calling {caller}: it rings.")
            else:
                words = _("On call with {caller}.")
            status = one_period(words.format(caller=current.caller))
            if current.demo_line:
                status = " ".join((status, demo_line_note()))
            can_end = current.simulated and current.ended_at is None
            self.panel.show_status(status, on_call=True, can_end=can_end)
        elif self.ringing:
            status = one_period(_("Ringing: {caller}.").format(caller=self.ringing[0].caller))
            self.panel.show_status(status, ringing=True)
            self._bring_up(self.ringing[0].id)
        else:
            self.panel.show_status(_("No call"))
            if self._for_call:  # missed, taken elsewhere, or wrapped up by a supervisor
                self._put_away()

    def _bring_up(self, call_id: str) -> None:
        """A call newly ringing brings the pane up, once: put away (Escape) while it rings,
        it stays away (Ctrl+Shift+L answers, Ctrl+4 brings the pane back)."""
        if call_id in self._rang:
            return
        self._rang.add(call_id)
        if not self.dock.isVisible():
            self._for_call = True
        self.dock.show()

    # --- answering: the screen pop -------------------------------------------------------

    def answer(self) -> None:
        if not self.ringing:
            self.window.say(_("No call is ringing."))
            return
        call = self.ringing[0]
        self.window.say(_("Answering the call from {caller}.").format(caller=call.caller))
        self.window.tasks.write(lambda: self.calls.take(call.id), None, self._take_failed)

    def _pop(self, call: CallView) -> None:
        """The caller's conversation, customer and script, focus on the script's first step."""
        self._popped.add(call.id)
        self.current = call
        self.conversation_id = call.conversation_id
        self._for_call = True
        self.window._open_from_customer(call.conversation_id)
        self._load_context(call.conversation_id, call, popped=True)

    def _load_context(self, cid: str, call: CallView | None, *, popped: bool) -> None:
        ws, calls = self.window.ws, self.calls

        def work() -> Context:
            conv = ws.conversation(cid)
            ctx = ws.customer(conv.customer_id) if conv is not None else None
            return calls.scripts(), ctx, conv

        def done(result: Context) -> None:
            scripts, ctx, conv = result
            if cid != self.conversation_id:
                return  # another call or conversation took over meanwhile
            tags = conv.tags if conv is not None else ()
            index = suggest(scripts, call, tags)
            values = placeholder_values(ctx, ws.me.display_name)
            self.panel.set_scripts(scripts, index, values)
            self._show_status()
            self.dock.show()
            self.dock.raise_()
            self.panel.focus_step()
            title = scripts[index].title if 0 <= index < len(scripts) else _("none")
            if popped and call is not None:
                words = (
                    _("Calling {caller}, script: {title}")
                    if call.direction == "out"
                    else _("Call from {caller}, script: {title}")
                )
                said = words.format(caller=call.caller, title=title)
                if call.demo_line:
                    said = " ".join((one_period(f"{said}."), demo_line_note()))
                elif call.direction == "out":
                    tail = _("Your phone rings first, then the customer's.")
                    said = " ".join((one_period(f"{said}."), tail))
                self.window.say(said, assertive=True)
                self.popped.emit(call.id)
            else:
                self.window.say(_("Script: {title}").format(title=title))
            self._step_changed(self.panel.sentence())

        self.window.tasks.run(work, done, self._read_failed)

    # --- scripts without a call ----------------------------------------------------------

    def open_script(self) -> None:
        """A script for the open conversation, call or not (agents use them on chats too)."""
        cid = self.window.open_id
        if cid is None:
            self.window.say(_("Open a conversation first, then its script."))
            return
        if self.current is not None and self.current.conversation_id == cid:
            self.focus_panel()
            return
        self._for_call = False  # the agent's script: it stays when a call that rang ends
        self.conversation_id = cid
        self._load_context(cid, None, popped=False)

    def focus_panel(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.panel.focus_step()

    def _step_changed(self, sentence: str) -> None:
        self.window.say(sentence, speak=False)  # spoken by its own rule below
        self._speak_step(sentence)

    def _speak_step(self, sentence: str) -> None:
        speech = self.window.speech
        if speech is not None:
            speech.speaker.automatic(SpeechEventKind.SCRIPT_STEP, sentence, assigned_to_me=True)

    # --- ending a call of the demo --------------------------------------------------------

    def end_call(self) -> None:
        """Shift+F5: end a call of the demo's simulator. No provider reports its end, so, as
        for a simulated caller, the wrap-up ends it on the server (``call.wrap_up``); a real
        call ends when the phone hangs up, and its wrap-up opens by itself then."""
        call = self.current
        if call is None:
            self.window.say(_("You are not on a call."))
            return
        if not call.simulated:
            self.window.say(_("Hang up on your phone: the wrap-up opens when the call ends."))
            return
        if call.ended_at is None:
            self.window.say(
                one_period(_("Ending the demo call with {caller}.").format(caller=call.caller))
            )
        self.wrap_up()

    # --- wrap-up -------------------------------------------------------------------------

    def wrap_up(self) -> None:
        if self.dialog is not None:
            self.dialog.raise_()
            return
        call = self.current
        if call is not None:
            self._open_dialog(call)
            return
        cid = self.window.open_id
        if cid is None:
            self.window.say(_("There is no call to wrap up."))
            return

        def done(found: CallView | None) -> None:
            if found is None:
                self.window.say(_("This conversation has no call to wrap up."))
            else:
                self._open_dialog(found)

        self.window.tasks.run(lambda: self.calls.latest_for(cid), done, self._read_failed)

    def _open_dialog(self, call: CallView) -> None:
        focus = self.window.focusWidget()
        panel = self.panel
        walk = panel.walk if self.current is not None and call.id == self.current.id else None
        script = panel.script if walk is not None else None
        trail = [
            f"{t.step_id} ({t.choice})" if t.choice else t.step_id
            for t in (walk.trail if walk is not None else ())
        ]
        try:
            previous = Disposition(call.disposition or Disposition.RESOLVED.value)
        except ValueError:
            previous = Disposition.RESOLVED
        dialog = WrapUpDialog(
            call.caller,
            trail,
            self.window,
            disposition=previous,
            notes=call.wrapup_notes,
            callback_at=call.callback_at,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        taken = tuple(walk.trail) if walk is not None else ()

        def accepted() -> None:
            disposition, notes = dialog.chosen(), dialog.note_text()
            callback_at = dialog.callback_time()
            script_id = script.id if script is not None else None

            def failed(exc: Exception) -> None:
                self._wrap_up_failed(exc)
                # The notes are the agent's work: bring them back rather than lose them.
                if self.dialog is None:
                    kept = dataclasses.replace(
                        call,
                        disposition=disposition.value,
                        wrapup_notes=notes,
                        callback_at=callback_at,
                    )
                    self._open_dialog(kept)

            self.window.tasks.write(
                lambda: self.calls.wrap_up(
                    call.id, disposition, notes, taken, script_id, callback_at
                ),
                lambda _changes: self._wrapped(call, disposition, callback_at),
                failed,
            )

        def closed(_result: int) -> None:
            self.dialog = None
            # After the dialog has fully gone: activation moves back to the window first.
            QTimer.singleShot(0, self, lambda: _restore(self.window, focus))

        dialog.accepted.connect(accepted)
        dialog.finished.connect(closed)
        dialog.open()

    def _wrapped(
        self, call: CallView, disposition: Disposition, callback_at: datetime | None = None
    ) -> None:
        label = disposition_labels()[disposition]
        if callback_at is not None:
            label = _("{label}, {when}").format(
                label=label, when=moment(callback_at, datetime.now(UTC))
            )
        self.window.say(
            one_period(
                _("Call with {caller} wrapped up: {label}.").format(caller=call.caller, label=label)
            )
        )
        if self.current is not None and self.current.id == call.id:
            self.current = None
            self._show_status()
        if self.current is None and not self.ringing:
            self._put_away()
        self.wrapped.emit(call.id)

    def _put_away(self) -> None:
        """The call is wrapped up or gone and nothing rings, or the agent closed the pane
        (Close, Escape): the dock goes away (the look, issue 13), and focus it held goes back
        to the conversation instead of a hidden widget."""
        self._for_call = False
        focus = QApplication.focusWidget()
        had_focus = focus is not None and self.dock.isAncestorOf(focus)
        self.dock.hide()
        if had_focus:
            self.window.conversation.messages.setFocus()

    def on_rejected(self, rejection: Rejection) -> None:
        """The window shows the server's reason; here only the call state is re-read."""
        if rejection.type in (MutationType.CALL_TAKE, MutationType.CALL_WRAP_UP):
            self.refresh()


def _restore(window: QWidget, focus: QWidget | None) -> None:
    if focus is not None and not focus.isHidden() and focus.isVisibleTo(window):
        window.activateWindow()
        focus.setFocus(Qt.FocusReason.OtherFocusReason)
