"""Merging and splitting conversations in the window (docs/merge-split.md), built by the window.

Ctrl+Alt+Shift+E lists the same customer's other conversations with what a merge would move and
merges the open conversation into the chosen one (the desk then shows that one, the thread
interleaved); Ctrl+Alt+Shift+Z undoes a merge into the open conversation while no new message
arrived there since it (with several merges in, a list asks which); Ctrl+Alt+Shift+X splits
the focused thread message (and, if asked, the later ones) off into a new conversation. Reads
run on workers, the mutations through the serial writer and the outbox (offline too); every
result is announced, refusals in plain words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog

from csdesk.app import conversation_merge as merging
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.ui.models.thread_model import MESSAGE_ROLE
from csdesk.ui.panels.merge_dialog import MergeDialog, SplitDialog, UndoMergeDialog

if TYPE_CHECKING:
    from csdesk.app.thread import MessageView
    from csdesk.ui.desk_host import DeskWindow

__all__ = ["ConversationMergeUi"]

_MINE = {
    MutationType.CONVERSATION_MERGE.value,
    MutationType.CONVERSATION_UNMERGE.value,
    MutationType.CONVERSATION_SPLIT.value,
}


class ConversationMergeUi(QObject):
    """Signals: ``listed(int)`` — the merge dialog is open with this many conversations;
    ``merged(str)`` — a merge was queued (the conversation merged into); ``unmerged(str)`` — an
    undo was queued (the conversation that comes back); ``undo_listed(int)`` — the list of
    merges to undo is open with this many; ``split(str)`` — a split was queued
    (the new conversation's id); ``followed(str)`` — the agent was told that a reply (this
    message id) queued into a conversation merged meanwhile went into the merge target."""

    listed = Signal(int)
    merged = Signal(str)
    unmerged = Signal(str)
    undo_listed = Signal(int)
    split = Signal(str)
    followed = Signal(str)

    def __init__(self, window: DeskWindow, *, everywhere: bool = True) -> None:
        """``window``: the main window or a pop-out (ui/desk_host.py). ``everywhere``: this
        desk also says where a reply queued into a conversation merged meanwhile went, and
        where an opened conversation that was merged away landed (the main window's; a
        pop-out says its own, docs/pop-out.md)."""
        super().__init__(window)
        self.window = window
        self.ws = window.ws
        self.dialog: QDialog | None = None
        a = window.actions_
        a.bind("conversation_merge", self.open_merge)
        a.bind("conversation_unmerge", self.undo_merge)
        a.bind("conversation_split", self.open_split)
        window.bridge.rejected.connect(self.on_rejected)
        self._landed: tuple[str, str] | None = None
        if everywhere:
            window.bridge.changes.connect(self._tell_followed)
            window.announced.connect(self._after_announcement)

    def _failed(self, exc: Exception) -> None:
        self.window.say(_("Could not do that: {error}").format(error=exc), assertive=True)

    def on_rejected(self, rejection: Rejection) -> None:
        """The window says every refusal; this puts a merge's in the conversation view too
        (its arguments name no ``conversation_id``)."""
        if rejection.type not in _MINE:
            return
        ids = {str(v) for k, v in rejection.args.items() if k.endswith("conversation_id")}
        conv = self.window.open_conv
        if conv is not None and conv.id in ids and "conversation_id" not in rejection.args:
            self.window.conversation.show_rejection(
                _("The server refused this: {reason}").format(reason=rejection.message)
            )

    def _after_announcement(self, _text: str) -> None:
        """After "Opened: …" of a conversation that was merged away, say where the desk
        landed instead (once per opening)."""
        conv = self.window.open_conv
        if conv is None or conv.landed_from is None:
            self._landed = None
            return
        if self._landed == (conv.landed_from, conv.id):
            return
        self._landed = (conv.landed_from, conv.id)
        self.window.say(
            _(
                "That conversation was merged into this one; its messages are here, marked "
                "with where they came from."
            )
        )

    def _tell_followed(self, changes: ChangeSet) -> None:
        """A reply or note queued into a conversation merged away meanwhile went into the
        conversation it was merged into: say so once, and show it there if the agent is on
        the merged one."""
        if not changes.touches(Entity.MESSAGE):
            return
        ws, now, w = self.ws, utcnow(), self.window

        def told(found: list[merging.FollowedReply]) -> None:
            for reply in found:
                w.say(reply.sentence, assertive=True)
                self.followed.emit(reply.message_id)
            conv = w.open_conv
            moved = {r.source_id: r.target_id for r in found}
            if conv is not None and conv.id in moved:
                w.open_conversation(moved[conv.id])

        w.tasks.write(lambda: merging.followed_replies(ws, now), told, self._failed)

    # --- merge ------------------------------------------------------------------------------

    def open_merge(self) -> None:
        w = self.window
        conv = w.open_conv
        if conv is None:
            w.say(_("Open a conversation first: it is the one that is merged."))
            return
        if self.dialog is not None:
            self.dialog.raise_()
            return
        ws, cid, now = self.ws, conv.id, utcnow()

        def loaded(found: list[merging.MergeChoice]) -> None:
            if w.open_conv is None or w.open_conv.id != cid:
                return  # the agent moved on meanwhile
            if not found:
                w.say(_("This customer has no other conversation to merge into."))
                return
            self._show_merge(found, cid)

        w.tasks.run(lambda: merging.choices(ws, cid, now), loaded, self._failed)

    def _show_merge(self, found: list[merging.MergeChoice], cid: str) -> None:
        dialog = MergeDialog(found, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = self.window.focusWidget()
        sentences = {c.id: c.sentence for c in found}

        def finished(result: int) -> None:
            picked = dialog.chosen()
            self.dialog = None
            if focus is not None:  # back in this window (a pop-out's too)
                self.window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
            if result == QDialog.DialogCode.Accepted and picked is not None:
                self._merge(cid, picked, sentences.get(picked, ""))

        dialog.finished.connect(finished)
        self.dialog = dialog
        dialog.open()
        dialog.list.setFocus()
        self.listed.emit(len(found))

    def _merge(self, source: str, target: str, sentence: str) -> None:
        ws = self.ws

        def done(_changes: ChangeSet) -> None:
            self.window.say(
                _(
                    "Merged into the {conversation}. The thread shows both, in time order. "
                    "Ctrl+Alt+Shift+Z undoes it while no new message arrives."
                ).format(conversation=sentence)
            )
            self.window.open_conversation(target)
            self.merged.emit(target)

        self.window.tasks.write(lambda: merging.merge(ws, source, target), done, self._failed)

    # --- undo -------------------------------------------------------------------------------

    def undo_merge(self) -> None:
        w = self.window
        conv = w.open_conv
        if conv is None:
            w.say(_("Open a conversation first."))
            return
        ws, cid, now = self.ws, conv.id, utcnow()

        def loaded(states: list[merging.UndoState]) -> None:
            if w.open_conv is None or w.open_conv.id != cid:
                return  # the agent moved on meanwhile
            if not states:
                w.say(_("No conversation was merged into this one."))
                return
            if len(states) > 1:
                self._show_undo(states)
                return
            (state,) = states
            if not state.allowed:
                w.say(state.sentence, assertive=True)
                return
            self._unmerge(state)

        w.tasks.run(lambda: merging.undo_states(ws, cid, now), loaded, self._failed)

    def _show_undo(self, states: list[merging.UndoState]) -> None:
        """Several merges came in: the agent picks the one to undo (any that nothing arrived
        after; the others say why not)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return
        dialog = UndoMergeDialog(states, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = self.window.focusWidget()

        def finished(result: int) -> None:
            picked = dialog.chosen()
            self.dialog = None
            if focus is not None:  # back in this window (a pop-out's too)
                self.window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
            if result == QDialog.DialogCode.Accepted and picked is not None and picked.allowed:
                self._unmerge(picked)

        dialog.finished.connect(finished)
        self.dialog = dialog
        dialog.open()
        dialog.list.setFocus()
        self.undo_listed.emit(len(states))

    def _unmerge(self, state: merging.UndoState) -> None:
        ws = self.ws

        def done(_changes: ChangeSet) -> None:
            self.window.say(
                _("Merge undone: both conversations are back as they were. {what}").format(
                    what=state.sentence
                )
            )
            self.unmerged.emit(state.source_id)

        self.window.tasks.write(lambda: merging.unmerge(ws, state.source_id), done, self._failed)

    # --- split ------------------------------------------------------------------------------

    def _focused_message(self) -> tuple[MessageView | None, int]:
        """The thread's current message and how many later ones are of the same thread
        (in a merged conversation: came from the same conversation)."""
        view = self.window.conversation.messages
        index = view.currentIndex()
        conv = self.window.open_conv
        if not index.isValid() or conv is None:
            return None, 0
        msg = index.data(MESSAGE_ROLE)
        later = conv.messages[index.row() + 1 :]
        return msg, sum(1 for x in later if x.merged_from == msg.merged_from)

    def open_split(self) -> None:
        w = self.window
        conv = w.open_conv
        if conv is None:
            w.say(_("Open a conversation first."))
            return
        msg, later = self._focused_message()
        if msg is None:
            w.say(_("Move to a message of the thread first (Ctrl+2), then split it off."))
            return
        if len(conv.messages) < 2:
            w.say(_("This conversation has only this message: there is nothing to split off."))
            return
        first_line = (msg.body_text.strip().splitlines() or [""])[0][:160]
        dialog = SplitDialog(first_line, later, w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = w.focusWidget()
        cid, mid = conv.id, msg.id

        def finished(result: int) -> None:
            with_later = dialog.with_later()
            self.dialog = None
            if focus is not None:  # back in this window (a pop-out's too)
                self.window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
            if result == QDialog.DialogCode.Accepted:
                self._split(cid, mid, with_later)

        dialog.finished.connect(finished)
        self.dialog = dialog
        dialog.open()

    def _split(self, cid: str, mid: str, with_later: bool) -> None:
        ws = self.ws

        def done(found: tuple[str, ChangeSet]) -> None:
            text = (
                _("The message and the later ones were split off into a new conversation.")
                if with_later
                else _("The message was split off into a new conversation.")
            )
            self.window.say(
                text
                + " "
                + _("It is in the customer's conversations; a note in each points to the other.")
            )
            self.split.emit(found[0])

        self.window.tasks.write(
            lambda: merging.split(ws, cid, mid, with_later=with_later), done, self._failed
        )
