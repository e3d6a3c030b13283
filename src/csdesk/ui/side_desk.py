"""Side conversations in the window (docs/side-conversations.md), built by the window.

Ctrl+Alt+Shift+F ("Forward by email…") forwards the open conversation, or the message focused
in the thread, to an outside address (a supplier, a carrier): a dialog asks to whom, the
subject and a note; the forward goes through the outbox (offline too) and the server mails it.
Ctrl+Alt+Shift+D lists the open conversation's side conversations with their mail as plain
text; Enter on one writes to that address again (threaded under its last mail), Alt+R sends a
failed mail of it again. A reply that comes back is announced (notice line and screen reader)
when it answers a side conversation of the open conversation or one this agent started; never
in the thread.
Reads run on workers, writes through the serial writer; refusals are said and shown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from csdesk.app.side_conversations import NewReply, SideConversations, SideView
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.ui.focus_return import open_returning_focus
from csdesk.ui.models.thread_model import MESSAGE_ROLE
from csdesk.ui.panels.side_dialogs import ForwardDialog, SideListDialog, SideWriteDialog

if TYPE_CHECKING:
    from collections.abc import Callable

    from csdesk.app.thread import MessageView
    from csdesk.ui.main_window import MainWindow

__all__ = ["SideDeskUi"]


class SideDeskUi(QObject):
    """Signals: ``forwarded(str)`` — a forward was queued (the side conversation's id);
    ``listed(int)`` — the list is open with this many side conversations; ``reply_announced(str)``
    — a reply that came back was announced (its id); ``retried(str)`` — a failed side mail was
    queued again (its id)."""

    forwarded = Signal(str)
    written = Signal(str)
    retried = Signal(str)
    listed = Signal(int)
    reply_announced = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.sides = SideConversations(window.ws)
        self.dialog: QDialog | None = None  # the one open now (tests find it)
        self._seen: set[str] | None = None  # replies known; None until the first read
        self._mine: set[str] = set()  # side conversations this desk started
        # Replies filed before the desk started (an initial sync brings them) are not news;
        # a few minutes of slack for a desk clock behind the server's.
        self._since = datetime.now(UTC) - timedelta(minutes=5)
        a = window.actions_
        a.bind("forward_email", self.open_forward)
        a.bind("side_conversations", self.open_list)
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)
        self.refresh_replies()

    # --- news --------------------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or changes.touches(Entity.SIDE_MESSAGE):
            self.refresh_replies()

    def refresh_replies(self) -> None:
        self.window.tasks.run(self.sides.replies, self._replies, self._failed)

    def _replies(self, replies: list[NewReply]) -> None:
        if self._seen is None:  # what was there at start is not news
            self._seen = {r.id for r in replies}
            return
        me = self.window.ws.me.id
        conv = self.window.conversation.current
        open_id = conv.id if conv is not None else None
        for r in reversed(replies):  # oldest news first
            if r.id in self._seen:
                continue
            self._seen.add(r.id)
            if r.at.tzinfo is not None and r.at < self._since:
                continue
            mine = r.side_id in self._mine or (me is not None and r.started_by == me)
            if r.conversation_id != open_id and not mine:
                continue
            text = _(
                "Reply from {who} in a side conversation (to {to}). Ctrl+Alt+Shift+D shows it."
            ).format(who=r.who, to=r.to_address)
            self.window.notice_label.setText(text)
            self.window.say(text)
            self.reply_announced.emit(r.id)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in (
            MutationType.SIDE_FORWARD.value,
            MutationType.SIDE_REPLY.value,
            MutationType.SIDE_RETRY.value,
        ):
            text = _("Not forwarded: {reason}").format(reason=rejection.message)
            self.window.show_notice(text)
            self.window.say(text, assertive=True)

    def _failed(self, exc: Exception) -> None:
        self.window.show_notice(_("Could not do that: {error}").format(error=exc))

    # --- forward -------------------------------------------------------------------------

    def _focused_message(self) -> MessageView | None:
        view = self.window.conversation.messages
        index = view.currentIndex()
        if not index.isValid() or self.window.open_conv is None:
            return None
        msg = index.data(MESSAGE_ROLE)
        return None if msg is None or msg.is_note else msg

    def open_forward(self) -> None:
        w = self.window
        conv = w.open_conv
        if conv is None:
            w.say(_("Open a conversation first."))
            return
        focused = self._focused_message()
        line = None
        if focused is not None:
            line = (focused.body_text.strip().splitlines() or [""])[0][:160]
        subject = f"Fwd: {conv.subject}" if conv.subject else ""
        # From the thread (Ctrl+2, on a message), that message is the default; else the thread.
        on_message = focused is not None and w.conversation.messages.hasFocus()
        dialog = ForwardDialog(subject, line, w, message_first=on_message)
        cid = conv.id

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            to, note, subj = dialog.address(), dialog.note.toPlainText(), dialog.subject.text()
            mid = focused.id if focused is not None and dialog.only_message() else None
            sides = self.sides

            def done(result: tuple[str, ChangeSet]) -> None:
                self._mine.add(result[0])
                w.say(
                    _("Forwarded to {to}; replies will be kept as a side conversation.").format(
                        to=to
                    )
                )
                self.forwarded.emit(result[0])

            w.tasks.write(
                lambda: sides.forward(cid, to, note=note, subject=subj, message_id=mid),
                done,
                self._failed,
            )

        self._open(dialog, finished)

    # --- the list ------------------------------------------------------------------------

    def open_list(self) -> None:
        w = self.window
        conv = w.open_conv
        if conv is None:
            w.say(_("Open a conversation first."))
            return
        cid = conv.id

        def listed(sides: list[SideView]) -> None:
            dialog = SideListDialog(sides, w)
            w.say(
                _("{n} side conversations.").format(n=len(sides))
                if sides
                else _("Nothing of this conversation was forwarded by email.")
            )

            def finished(accepted: bool) -> None:
                side = dialog.chosen() if accepted else None
                if side is not None and dialog.action == "retry":
                    self.retry(side)
                elif side is not None:
                    self.write_to(side)

            self._open(dialog, finished)
            self.listed.emit(len(sides))

        w.tasks.run(lambda: self.sides.of_conversation(cid), listed, self._failed)

    def retry(self, side: SideView) -> None:
        """Send ``side``'s failed mail again (Alt+R in the list)."""
        failed, w, sides = side.failed, self.window, self.sides
        if failed is None:
            return

        def done(_changes: ChangeSet) -> None:
            w.say(_("Sending the mail to {to} again.").format(to=side.to_address))
            self.retried.emit(failed.id)

        w.tasks.write(lambda: sides.retry(failed.id), done, self._failed)

    def write_to(self, side: SideView) -> None:
        """Write again to ``side``'s address (its mail threads under the last one)."""
        w = self.window
        dialog = SideWriteDialog(side.to_address, side.subject, w)

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            body, sides = dialog.body(), self.sides

            def done(result: tuple[str, ChangeSet]) -> None:
                w.say(_("Mail to {to} queued.").format(to=side.to_address))
                self.written.emit(result[0])

            w.tasks.write(lambda: sides.reply(side.id, body), done, self._failed)

        self._open(dialog, finished)

    def _open(self, dialog: QDialog, finished: Callable[[bool], None] | None) -> None:
        """Window-modal; the focus goes back where it was once answered."""

        def closed() -> None:
            if self.dialog is dialog:
                self.dialog = None

        self.dialog = dialog
        open_returning_focus(self.window, dialog, finished, closed=closed)
