"""Translation in the window (issue 13; docs/languages.md): Ctrl+Alt+J translates the selected
message (or, outside the thread, the customer's last one) into the agent's language;
Ctrl+Alt+Shift+J translates the reply being written into the customer's language and shows
both side by side before anything changes.

Built by the window. The requests go to the server on the window's workers; a message's
translation is kept there and comes back through the change feed (this desk puts the server's
copy in its cache at once), so every desk shows it under the original. A translation already
stored is shown and read without asking again. Failures are said in plain words in the notice
line and announced; the draft is never changed unless the agent chooses the translation (and
one Ctrl+Z brings their text back). Offline nothing is queued: translation needs the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog

from csdesk.app import translation as tr
from csdesk.app.thread import MessageView
from csdesk.i18n import _
from csdesk.protocol import Entity
from csdesk.sync.events import ChangeSet

if TYPE_CHECKING:
    from csdesk.ui.desk_host import DeskWindow
    from csdesk.ui.panels.translate_dialog import TranslateReplyDialog

__all__ = ["TranslateDeskUi"]


class TranslateDeskUi(QObject):
    """Signals: ``translated(str, str)`` — a message's translation (id, labelled text) was
    shown and read; ``draft_shown()`` — the reply and its translation are side by side;
    ``draft_used(str)`` — the reply now holds this translation; ``failed(str)`` — nothing was
    translated, for this reason (shown and announced)."""

    translated = Signal(str, str)
    draft_shown = Signal()
    draft_used = Signal(str)
    failed = Signal(str)

    def __init__(self, window: DeskWindow) -> None:
        """``window``: the main window or a pop-out (ui/desk_host.py)."""
        super().__init__(window)
        self.window = window
        self.dialog: TranslateReplyDialog | None = None
        self._asking: set[str] = set()  # messages being translated
        self._draft_asked = False
        window.actions_.bind("translate_message", self.translate_message)
        window.actions_.bind("translate_reply", self.translate_reply)
        window.bridge.changes.connect(self.on_changes)

    # --- telling the agent ---------------------------------------------------------------

    def _fail(self, text: str) -> None:
        self.window.notice_label.setText(text)
        self.window.say(text, assertive=True)
        self.failed.emit(text)

    def _failed(self, exc: Exception) -> None:
        self._fail(tr.error_text(exc))

    def _read(self, text: str, language: str) -> None:
        """The translation for a screen reader, and spoken in the agent's language's voice
        (the agent asked for it) unless a screen reader already says it."""
        self.window.say(text, speak=False)
        speech = self.window.speech
        if speech is None:
            return
        speaker = speech.speaker
        quiet = speaker.options.prefs.only_on_demand_when_screen_reader
        if speaker.options.enabled and not (quiet and speaker.screen_reader_active()):
            speaker.on_demand(text, language=language)

    # --- a message -------------------------------------------------------------------------

    def _chosen(self) -> MessageView | None:
        """The message the agent is on in the thread, else the customer's last one."""
        panel = self.window.conversation
        view = panel.messages
        index = view.currentIndex()
        if view.hasFocus() and index.isValid():
            return panel.model.message(index.row())
        conv = self.window.open_conv
        return tr.last_inbound(conv) if conv is not None else None

    def translate_message(self) -> None:
        if self.window.open_conv is None:
            self.window.say(_("Open a conversation first."))
            return
        msg = self._chosen()
        if msg is None:
            self._fail(_("This conversation has no message from the customer to translate."))
            return
        if not msg.body_text.strip():
            self._fail(_("This message has no text to translate."))
            return
        target = tr.agent_language()
        kept = tr.shown(msg, target)
        if kept is not None:  # stored on the server and synced: no new request
            self._read(kept.text, kept.language)
            self.translated.emit(msg.id, kept.text)
            return
        if tr.primary(msg.language) == target:
            self._fail(
                _("This message is already in {language}.").format(
                    language=tr.language_name(target)
                )
            )
            return
        if msg.id in self._asking:
            self.window.say(_("This message is being translated…"), speak=False)
            return
        if not tr.online(self.window.ws):
            self._fail(tr.needs_server_text())
            return
        self._asking.add(msg.id)
        self.window.notice_label.setText(_("Translating the message…"))
        ws, mid = self.window.ws, msg.id

        def done(result: tr.Translated) -> None:
            self._asking.discard(mid)
            text = result.label()
            self.window.notice_label.setText(_("Message translated."))
            self._read(text, result.target or target)
            self.translated.emit(mid, text)

        def failed(exc: Exception) -> None:
            self._asking.discard(mid)
            self._failed(exc)

        self.window.tasks.run(lambda: tr.translate_message(ws, mid, target), done, failed)

    def on_changes(self, changes: ChangeSet) -> None:
        """A message of the open conversation changed on its own (a translation another desk
        asked for): the window reloads a conversation only when the conversation changed, so
        the thread is reloaded here; it keeps the agent's place."""
        w = self.window
        conv, cid = w.open_conv, w.open_id
        if conv is None or cid is None or changes.everything:
            return
        if cid in changes.ids(Entity.CONVERSATION):
            return  # the window reloads it itself
        ids = changes.ids(Entity.MESSAGE)
        if ids and any(m.id in ids for m in conv.messages):
            w._load_conversation(cid)

    # --- the reply draft -------------------------------------------------------------------

    def translate_reply(self) -> None:
        w = self.window
        conv = w.open_conv
        if conv is None:
            w.say(_("Open a conversation first."))
            return
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        composer = w.conversation.composer
        original = composer.text.toPlainText()
        text = original.strip()
        if not text:
            self._fail(_("Write your reply first: there is nothing to translate yet."))
            return
        if len(text) > tr.MAX_DRAFT:
            self._fail(
                _("Your reply is too long to translate at once (at most {n} characters).").format(
                    n=tr.MAX_DRAFT
                )
            )
            return
        if self._draft_asked:
            w.say(_("Your reply is being translated…"), speak=False)
            return
        if not tr.online(w.ws):
            self._fail(tr.needs_server_text())
            return
        target = tr.reply_language(conv, w.customer_ctx)
        self._draft_asked = True
        w.notice_label.setText(
            _("Translating your reply into {language}…").format(language=tr.language_name(target))
        )
        ws, cid = w.ws, conv.id

        def done(result: tr.Translated) -> None:
            self._draft_asked = False
            if w.open_id != cid:
                self._fail(
                    _(
                        "The translation of your reply arrived after you left its "
                        "conversation; nothing was changed."
                    )
                )
                return
            w.notice_label.setText(_("Your reply is translated: compare and choose."))
            self._show(text, original, result, target)

        def failed(exc: Exception) -> None:
            self._draft_asked = False
            self._failed(exc)

        w.tasks.run(lambda: tr.translate_draft(ws, text, target), done, failed)

    def _show(self, text: str, original: str, result: tr.Translated, target: str) -> None:
        from csdesk.ui.panels.translate_dialog import TranslateReplyDialog

        w = self.window
        composer = w.conversation.composer
        dialog = TranslateReplyDialog(
            text,
            result.text,
            tr.language_name(result.target or target),
            tr.provider_name(result.provider),
            w,
            changed_meanwhile=composer.text.toPlainText() != original,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog

        def finished(code: int) -> None:
            self.dialog = None
            w.activateWindow()
            if code == QDialog.DialogCode.Accepted:
                chosen = dialog.translation_text()
                composer.replace_text(chosen)
                said = _("Your reply now holds the translation; Ctrl+Z brings your text back.")
                w.notice_label.setText(said)
                w.say(said)
                self.draft_used.emit(chosen)
            else:
                composer.text.setFocus(Qt.FocusReason.OtherFocusReason)
                said = _("Your reply was kept as you wrote it.")
                w.notice_label.setText(said)
                w.say(said)

        dialog.finished.connect(finished)
        dialog.open()
        dialog.translation.setFocus(Qt.FocusReason.OtherFocusReason)
        self.draft_shown.emit()
