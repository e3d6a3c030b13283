"""@mentions in the window (docs/mentions.md), built by the window.

The composer's @-completer offers the teammates of the desk's synced user list (read on a
worker, again when users change). A mention of me arriving through the feed after the first
catch-up is announced (screen reader, speech, tray); the status bar counts the unread ones.
Ctrl+Alt+Shift+M opens the Mentions view; Enter there opens the conversation at the note and
marks the mention read (locally at once, synced through the outbox), offline too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from csdesk.app import mentions as use
from csdesk.app.mentions import MentionItem
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, MutationType
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet, Rejection, SyncState, SyncStatus
from csdesk.ui.elide import GivingLabel
from csdesk.ui.panels.mention_completer import MentionCompleter
from csdesk.ui.panels.mentions_dialog import MentionsDialog

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["MentionDeskUi"]


class MentionDeskUi(QObject):
    """Signals: ``teammates_loaded(int)`` — the completer offers this many; ``arrived(str)``
    — a new mention of me was announced (its id); ``listed(int)`` — the Mentions view shows
    this many; ``opened(str)`` — the note of a mention is selected in the thread (its id);
    ``restored(str)`` — a refused note is back in the composer (its conversation's id)."""

    teammates_loaded = Signal(int)
    arrived = Signal(str)
    listed = Signal(int)
    opened = Signal(str)
    restored = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.ws = window.ws
        self.dialog: MentionsDialog | None = None
        self._known: set[str] | None = None  # unread ids seen: None until the baseline
        self._caught_up = False
        self._target: tuple[str, str, str] | None = None  # conversation, note, mention to show
        composer = window.conversation.composer
        self.completer = MentionCompleter.attach(
            composer, composer.text, composer.note.isChecked, window.say
        )
        composer.note.toggled.connect(self.completer.refresh)  # a reply offers nobody
        self.count_label = GivingLabel(window)
        self.count_label.setObjectName("mention_count")
        self.count_label.hide()
        window.status_line.add(self.count_label)
        window.actions_.bind("mentions", self.open_view)
        window.bridge.changes.connect(self.on_changes)
        window.bridge.status.connect(self.on_status)
        window.bridge.rejected.connect(self.on_rejected)
        thread = window.conversation.model
        # After the panel's own moves (a conversation opens at its last message).
        thread.modelReset.connect(self._show_target_soon)
        thread.rowsInserted.connect(self._show_target_soon)
        # A refused note waits for its conversation with an empty composer (docs/mentions.md).
        self.refused: dict[str, tuple[str, list[str]]] = {}
        thread.modelReset.connect(self.restore_refused)
        self._load_teammates()
        self.on_status(window.ws.engine.status)
        self._reload()

    # --- the composer ----------------------------------------------------------------------

    def chosen_in(self, body: str) -> list[str]:
        """The teammates chosen in the note ``body`` (user ids), for ``message.send``."""
        return self.completer.chosen_in(body)

    def sent(self, mentions: list[str]) -> None:
        n = len(mentions)
        self.window.say(
            ngettext("{n} teammate will be notified", "{n} teammates will be notified", n).format(
                n=n
            )
        )

    def _load_teammates(self) -> None:
        def loaded(found: list[tuple[str, str]]) -> None:
            self.completer.set_teammates(found)
            self.teammates_loaded.emit(len(found))

        self.window.tasks.run(lambda: use.teammates(self.ws), loaded, self._failed)

    # --- news ----------------------------------------------------------------------------

    def _failed(self, exc: Exception) -> None:
        self.window.say(_("Could not do that: {error}").format(error=exc), assertive=True)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type == "mention.read":
            self.window.say(_("Refused: {reason}").format(reason=rejection.message))
        elif rejection.type == MutationType.MESSAGE_SEND and rejection.args.get("is_note"):
            self._keep_refused(rejection.args)

    # --- a refused note comes back (nothing typed is lost) ----------------------------------

    def _keep_refused(self, args: Mapping[str, Any]) -> None:
        """Keep a refused note's text and mentions for its conversation, and put it back in
        the composer now if that conversation is open with an empty composer; else say where
        it waits."""
        cid, body = str(args.get("conversation_id") or ""), str(args.get("body_text") or "")
        if not cid or not body.strip():
            return
        mentions = [str(u) for u in args.get("mentions") or () if isinstance(u, str)]
        held = self.refused.get(cid)
        if held is not None:  # two refused notes: both kept, one after the other
            body, mentions = f"{held[0]}\n\n{body}", [*held[1], *mentions]
        self.refused[cid] = (body, mentions)
        if not self.restore_refused():
            self.window.show_notice(
                _(
                    "The refused note is kept: it comes back into the composer when you "
                    "open its conversation with an empty composer."
                )
            )
            self.window.say(
                _(
                    "The refused note is kept: it comes back into the composer when you "
                    "open its conversation with an empty composer."
                ),
                assertive=True,
            )

    def restore_refused(self, *_args: object) -> bool:
        """Put the open conversation's refused note back in an empty composer (as a note,
        its mentions chosen again); whether one was put back."""
        conv = self.window.open_conv
        if conv is None or not self.refused:
            return False
        cid = next((c for c in (conv.id, conv.landed_from) if c in self.refused), None)
        composer = self.window.conversation.composer
        if cid is None or composer.text.toPlainText().strip():
            return False
        body, mentions = self.refused.pop(cid)
        composer.note.setChecked(True)  # before the text: a note, never a customer reply
        composer.text.setPlainText(body)  # the focus stays where the agent is; it is said
        kept = self.completer.remember(mentions)
        self.window.say(
            (
                _("The refused note is back in the composer, mentioning {names}.").format(
                    names=", ".join(kept)
                )
                if kept
                else _("The refused note is back in the composer.")
            )
            + " "
            + _("Change it and send it again, or clear it.")
        )
        self.restored.emit(cid)
        return True

    def on_status(self, status: SyncStatus) -> None:
        if status.state == SyncState.ONLINE and not self._caught_up:
            # Mentions synced until now are the backlog, not news: the next read is the baseline.
            self._caught_up = True
            self._known = None
            self._reload()

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or changes.touches(Entity.USER):
            self._load_teammates()
        if changes.everything or changes.touches(Entity.MENTION):
            self._reload()

    def _reload(self) -> None:
        ws, now = self.ws, utcnow()

        known = None if self._known is None or not self._caught_up else set(self._known)
        listing = self.dialog is not None

        def load() -> tuple[set[str], list[MentionItem] | None, dict[str, str]]:
            unread = use.unread_ids(ws)
            news = {}
            if known is not None:
                news = {mid: use.arrival(ws, mid) or "" for mid in sorted(unread - known)}
            items = use.my_mentions(ws, now) if listing else None
            return unread, items, news

        self.window.tasks.run(load, self._loaded, self._failed)

    def _loaded(self, result: tuple[set[str], list[MentionItem] | None, dict[str, str]]) -> None:
        unread, items, news = result
        if self._known is not None and self._caught_up:
            for mid, text in news.items():
                if mid in self._known or not text:
                    continue
                self.window.say(text)
                if self.window.tray is not None:
                    self.window.tray.showMessage(
                        _("Mentioned"), text, QSystemTrayIcon.MessageIcon.Information, 8000
                    )
                self.arrived.emit(mid)
        self._known = unread if self._known is None else self._known | unread
        n = len(unread)
        text = ngettext("{n} unread mention", "{n} unread mentions", n).format(n=n)
        self.count_label.setText(f"@ {text}")
        self.count_label.setVisible(n > 0)
        if self.dialog is not None and items is not None:
            self.dialog.show_items(items)
            self.listed.emit(len(items))

    # --- the Mentions view ----------------------------------------------------------------

    def open_view(self) -> None:
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            self.dialog.list.setFocus()
            return
        dialog = MentionsDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_requested.connect(self._open_mention)
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.show()
        dialog.list.setFocus()
        self._reload()

    def _closed(self, _result: int) -> None:
        self.dialog = None

    def _open_mention(self, mention_id: str) -> None:
        ws = self.ws

        def work() -> tuple[str, str, bool] | None:
            items = {i.id: i for i in use.my_mentions(ws, utcnow())}
            item = items.get(mention_id)
            if item is None:
                return None
            if item.unread:
                use.mark_read(ws, mention_id)
            return item.conversation_id, item.message_id, item.unread

        def done(found: tuple[str, str, bool] | None) -> None:
            if found is None:
                return
            cid, mid, _unread = found
            if self.dialog is not None:
                self.dialog.close()
            self._target = (cid, mid, mention_id)
            if self._showing(cid):
                self._show_target()
            else:
                self.window._open_from_customer(cid)  # in the list, or under "All open"

        self.window.tasks.write(work, done, self._failed)

    def _show_target_soon(self, *_args: object) -> None:
        if self._target is not None:
            QTimer.singleShot(0, self._show_target)

    def _showing(self, cid: str) -> bool:
        """Whether the window shows conversation ``cid``: itself, or the conversation it was
        merged into (a merged one opens where it went)."""
        conv = self.window.open_conv
        return conv is not None and cid in (conv.id, conv.landed_from)

    def _show_target(self, *_args: object) -> None:
        if self._target is None:
            return
        cid, mid, mention_id = self._target
        w = self.window
        if not self._showing(cid):
            return
        # The conversation asked for is open (or the one it was merged into): this is the
        # target's one chance, found or not, so a later opening never jumps to a stale note.
        self._target = None
        model, view = w.conversation.model, w.conversation.messages
        for row in range(model.rowCount()):
            msg = model.message(row)
            if msg is not None and msg.id == mid:
                index = model.index(row, 0)
                view.setCurrentIndex(index)
                view.scrollTo(index)
                view.setFocus(Qt.FocusReason.OtherFocusReason)
                self.window.say(
                    _("The note that mentions you, from {author}").format(author=msg.author_name)
                )
                self.opened.emit(mention_id)
                return
        self.window.say(_("The note that mentions you is no longer in this conversation."))
