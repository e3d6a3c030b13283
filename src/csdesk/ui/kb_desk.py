"""The knowledge base in the window: Ctrl+Alt+B opens the chooser from the open conversation
(suggestions from the customer's last message, search, insert an excerpt or a link into the
reply), Ctrl+Alt+Shift+B the editor (supervisors and administrators).

Built by the window. Articles are read and searched in the local cache on workers (it works
offline); edits go through the outbox and come back through the change feed, which refreshes
the editor. Refusals are shown in the editor and announced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from csdesk.app.kb import Article, Found, KnowledgeBase
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.sync.events import ChangeSet, Rejection

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.panels.kb_chooser import KbChooser
    from csdesk.ui.panels.kb_editor import KbEditor

__all__ = ["KbDeskUi"]

_MINE = {MutationType.KB_ARTICLE_SAVE.value, MutationType.KB_ARTICLE_DELETE.value}


class KbDeskUi(QObject):
    """Signals: ``results_shown(int)`` — the chooser lists this many articles;
    ``inserted(str)`` — the text put into the reply; ``editor_loaded(int)`` — the editor shows
    this many articles; ``queued(str)`` — this mutation type was put in the outbox."""

    results_shown = Signal(int)
    inserted = Signal(str)
    editor_loaded = Signal(int)
    queued = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.kb = KnowledgeBase(window.ws)
        self.chooser: KbChooser | None = None
        self.editor: KbEditor | None = None
        self._asked = 0  # the latest search, so an older answer arriving late is dropped
        self._lang: str | None = None
        window.actions_.bind("kb_insert", self.open_chooser)
        window.actions_.bind("kb_editor", self.open_editor)
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)

    def _failed(self, exc: Exception) -> None:
        text = _("Could not do that: {error}").format(error=exc)
        if self.editor is not None:
            self.editor.show_result(text)
        self.window.say(text, assertive=True)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            text = _("Refused: {reason}").format(reason=rejection.message)
            if self.editor is not None:
                self.editor.show_result(text)
            self.window.say(text, assertive=True)

    def on_changes(self, changes: ChangeSet) -> None:
        if self.editor is not None and (
            changes.everything
            or changes.touches(Entity.KB_ARTICLE)
            or changes.touches(Entity.KB_VARIANT)
        ):
            self._reload()

    @staticmethod
    def _restore(focus: Any, window: MainWindow) -> None:
        if focus is not None:
            window.activateWindow()
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- the chooser -----------------------------------------------------------------------

    def open_chooser(self) -> None:
        conv = self.window.open_conv
        if conv is None:
            self.window.say(_("Open a conversation first."))
            return
        if self.chooser is not None:
            self.chooser.raise_()
            self.chooser.activateWindow()
            return
        ctx = self.window.customer_ctx
        lang = (ctx.language if ctx else None) or conv.language or None
        self._lang = lang
        from csdesk.ui.panels.kb_chooser import KbChooser

        chooser = KbChooser(self.window)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = self.window.focusWidget()

        def closed(_result: int) -> None:
            self.chooser = None
            self._restore(focus, self.window)

        chooser.finished.connect(closed)
        chooser.search_requested.connect(self._search)
        chooser.insert_requested.connect(self._insert)
        self.chooser = chooser
        chooser.open()
        chooser.search.setFocus()
        self._asked += 1
        asked, kb = self._asked, self.kb
        cid = conv.id

        def load() -> tuple[list[Found], bool]:
            found = kb.suggest(cid, lang)
            return (found, True) if found else (kb.everything(lang), False)

        def loaded(result: tuple[list[Found], bool]) -> None:
            if self.chooser is None or asked != self._asked:
                return
            found, suggested = result
            self.chooser.set_results(found, suggested=suggested)
            self.window.say(self.chooser.status_text())
            self.results_shown.emit(len(found))

        self.window.tasks.run(load, loaded, self._failed)

    def _search(self, query: str) -> None:
        self._asked += 1
        asked, kb, lang = self._asked, self.kb, self._lang

        def shown(found: list[Found]) -> None:
            if self.chooser is None or asked != self._asked:
                return
            self.chooser.set_results(found)
            self.results_shown.emit(len(found))

        self.window.tasks.run(lambda: kb.search(query, lang), shown, self._failed)

    def _insert(self, how: str, found: Found) -> None:
        text = self.kb.link_text(found) if how == "link" else self.kb.excerpt_text(found)
        composer = self.window.conversation.composer
        composer.insert(text)
        composer.text.setFocus(Qt.FocusReason.OtherFocusReason)
        said = _("Link inserted.") if how == "link" else _("Excerpt inserted.")
        self.window.say(said)
        self.inserted.emit(text)

    # --- the editor ------------------------------------------------------------------------

    def open_editor(self) -> None:
        if not self.kb.may_edit:
            self.window.say(
                _("Only supervisors and administrators edit the knowledge base."), assertive=True
            )
            return
        if self.editor is not None:
            self.editor.raise_()
            self.editor.activateWindow()
            return
        from csdesk.ui.panels.kb_editor import KbEditor

        editor = KbEditor(self.window)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = self.window.focusWidget()

        def closed(_result: int) -> None:
            self.editor = None
            self._restore(focus, self.window)

        editor.finished.connect(closed)
        editor.save_requested.connect(self._save)
        editor.delete_requested.connect(self._delete)
        self.editor = editor
        editor.open()
        editor.articles.setFocus()
        self._reload()

    def _reload(self) -> None:
        kb = self.kb

        def loaded(articles: list[Article]) -> None:
            if self.editor is None:
                return
            self.editor.set_articles(articles)
            self.editor_loaded.emit(len(articles))

        self.window.tasks.run(kb.articles, loaded, self._failed)

    def _save(self, fields: dict[str, Any]) -> None:
        kb = self.kb

        def save() -> str:
            aid, _changes = kb.save(
                fields.get("article_id"),
                str(fields["slug"]),
                bool(fields["public"]),
                list(fields["tags"]),
                dict(fields["variants"]),
            )
            return aid

        def done(aid: str) -> None:
            if self.editor is not None:
                self.editor.saved(aid)
                self.editor.show_result(_("Article saved."))
            self.window.say(_("Article saved."))
            self.queued.emit(MutationType.KB_ARTICLE_SAVE.value)

        self.window.tasks.write(save, done, self._failed)

    def _delete(self, article_id: str) -> None:
        kb = self.kb

        def done(_changes: ChangeSet) -> None:
            if self.editor is not None:
                self.editor.show_result(_("Article deleted."))
            self.window.say(_("Article deleted."))
            self.queued.emit(MutationType.KB_ARTICLE_DELETE.value)

        self.window.tasks.write(lambda: kb.delete(article_id), done, self._failed)
