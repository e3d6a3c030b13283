"""Managing macros in the window (docs/macros.md, "The macro editor"), built by the window.

Ctrl+Alt+Shift+A lists the macros this agent may use; New, Edit, Duplicate and Delete open the
editor or ask. Reads run on workers, saves through the serial writer and the outbox (offline
they wait there and show at once); the list follows the change feed, and a refusal from the
server is shown in the list's status line (``MacroDeskUi`` says it aloud).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog

from csdesk.app import macro_editing as editing
from csdesk.app import macros as planning
from csdesk.domain import macros as rules
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.ui.focus_return import open_returning_focus
from csdesk.ui.panels.macro_editor import MacroEditor, Preview
from csdesk.ui.panels.macro_manager import MacroManager
from csdesk.ui.plain_text import confirm

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["MacroEditingUi"]

_MINE = {MutationType.MACRO_SAVE.value, MutationType.MACRO_DELETE.value}


class MacroEditingUi(QObject):
    """Signals: ``listed(int)`` — the manager lists this many macros; ``editor_opened()``;
    ``saved(str)`` — a macro was queued (its id); ``deleted(str)``; ``refused(str)`` — the
    server refused a change to a macro (its words)."""

    listed = Signal(int)
    editor_opened = Signal()
    saved = Signal(str)
    deleted = Signal(str)
    refused = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.ws = window.ws
        self.manager: MacroManager | None = None
        self.editor: MacroEditor | None = None
        window.actions_.bind("macro_manage", self.open_manager)
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)
        # Keys this desk pinned before they followed the user: sent once (docs/macros.md).
        ws = self.ws
        window.tasks.write(lambda: editing.migrate_pinned(ws), None, self._failed)

    def _failed(self, exc: Exception) -> None:
        text = _("Could not do that: {error}").format(error=exc)
        if self.manager is not None:
            self.manager.status.setText(text)
        self.window.say(text, assertive=True)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            text = _("Refused: {reason}").format(reason=rejection.message)
            if self.manager is not None:
                self.manager.status.setText(text)
            self.refused.emit(rejection.message)

    def on_changes(self, changes: ChangeSet) -> None:
        if self.manager is not None and (
            changes.everything
            or changes.touches(Entity.MACRO)
            or changes.touches(Entity.MACRO_KEYS)  # a key set on another desk of this user's
        ):
            self.reload()

    # --- the list ------------------------------------------------------------------------

    def open_manager(self) -> None:
        if self.manager is not None:
            self.manager.raise_()
            self.manager.activateWindow()
            return
        manager = MacroManager(self.window)

        def closed() -> None:
            self.manager = None

        open_returning_focus(self.window, manager, closed=closed, show=False, activate=False)
        manager.new_requested.connect(lambda: self.open_editor(None))
        manager.edit_requested.connect(lambda mid: self.open_editor(mid))
        manager.duplicate_requested.connect(lambda mid: self.open_editor(mid, copy=True))
        manager.delete_requested.connect(self.delete)
        self.manager = manager
        manager.open()
        manager.list.setFocus()
        self.reload()

    def reload(self, current: str | None = None) -> None:
        ws = self.ws

        def loaded(found: list[editing.MacroRow]) -> None:
            if self.manager is not None:
                self.manager.set_rows(found, current)
                self.listed.emit(len(found))

        self.window.tasks.run(lambda: editing.rows(ws), loaded, self._failed)

    # --- the editor ----------------------------------------------------------------------

    def open_editor(self, macro_id: str | None, *, copy: bool = False) -> None:
        if self.editor is not None:
            self.editor.raise_()
            return
        draft: editing.MacroDraft | None = None
        row = self.manager.current() if self.manager is not None else None
        if macro_id is not None and row is not None and row.id == macro_id:
            if copy:
                draft = editing.MacroDraft(editing.copy_title(row.title), row.actions)
            else:
                key = row.key if row.pinned else None
                draft = editing.MacroDraft(
                    row.title, row.actions, row.scope, row.id, key, row.team_id
                )
        ws = self.ws
        self.window.tasks.run(
            lambda: editing.editor_data(ws),
            lambda data: self._show_editor(data, draft),
            self._failed,
        )

    def _preview(self, data: editing.EditorData, macro_id: str) -> Preview:
        """What the actions would do on the open conversation (the apply dialog's sentences)."""
        w = self.window
        conv, ctx = w.open_conv, w.customer_ctx
        from csdesk.ui.panels.canned import placeholder_values

        values = placeholder_values(self.ws, ctx)
        language = ctx.language if ctx else conv.language if conv else None
        target = planning.Target(
            conv.id if conv else "", language, self.ws.me.id, dict(data.users), dict(data.teams)
        )
        now = utcnow()

        def preview(actions: list[dict[str, Any]]) -> str:
            text = planning.plan(macro_id, actions, target, data.canned, values, now).text
            if conv is None and text:
                head = _("No conversation is open; placeholders stay as they are:")
                return f"{head}\n{text}"
            return text

        return preview

    def _show_editor(self, data: editing.EditorData, draft: editing.MacroDraft | None) -> None:
        if self.editor is not None:
            return
        parent = self.manager or self.window
        mid = draft.macro_id if draft and draft.macro_id else "new"
        editor = MacroEditor(parent, data, draft, self._preview(data, mid))
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ws = self.ws

        def finished(result: int) -> None:
            self.editor = None
            if self.manager is not None:
                self.manager.list.setFocus()
            if result != QDialog.DialogCode.Accepted:
                return
            new = editor.draft()

            def done(found: tuple[str, ChangeSet]) -> None:
                text = _("Macro {title} saved.").format(title=new.title)
                if self.manager is not None:
                    self.manager.status.setText(text)
                self.window.say(text)
                self.saved.emit(found[0])
                self.reload(found[0])

            self.window.tasks.write(lambda: editing.save(ws, new), done, self._failed)

        editor.finished.connect(finished)
        self.editor = editor
        editor.open()
        editor.title.setFocus()
        self.editor_opened.emit()

    # --- deleting ------------------------------------------------------------------------

    def delete(self, macro_id: str) -> None:
        manager = self.manager
        row = manager.current() if manager is not None else None
        if manager is None or row is None or row.id != macro_id:
            return
        question = (
            _("Delete “{title}” for everyone who uses it?")
            if row.scope != rules.Scope.PERSONAL
            else _("Delete “{title}”?")
        ).format(title=row.title)
        if not confirm(manager, _("Delete macro"), question):
            return
        ws = self.ws

        def done(_changes: ChangeSet) -> None:
            text = _("Macro {title} deleted.").format(title=row.title)
            if self.manager is not None:
                self.manager.status.setText(text)
            self.window.say(text)
            self.deleted.emit(macro_id)
            self.reload()

        self.window.tasks.write(lambda: editing.delete(ws, macro_id), done, self._failed)
