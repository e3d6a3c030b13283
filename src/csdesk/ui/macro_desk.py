"""Macros and canned responses in the window (docs/macros.md), built by the window.

Ctrl+Alt+A chooses a macro and previews it on the open conversation; Ctrl+Alt+1 … 9 open the
same preview on a favourite (the most used); applying queues one outbox batch; Ctrl+Alt+Z takes
the last one back while all of it still waits to be sent. Ctrl+Alt+C lists, creates, edits and
deletes canned responses. Reads run on workers, writes through the serial writer; refusals
from the server are said and shown.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog

from csdesk.app import macro_desk, macro_editing
from csdesk.app.macros import Plan
from csdesk.domain import macros as rules
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.ui.focus_return import open_returning_focus
from csdesk.ui.panels.canned_editor import CannedEditor, CannedItem, CannedManager
from csdesk.ui.panels.macro_dialog import MacroChoice, MacroDialog
from csdesk.ui.plain_text import confirm

if TYPE_CHECKING:
    from csdesk.ui.desk_host import DeskWindow

__all__ = ["MacroDeskUi"]

_MINE = {t.value for t in MutationType if t.value.startswith(("canned.", "macro."))}


def favourite_key(n: int) -> str:
    return f"Ctrl+Alt+{n}"


class MacroDeskUi(QObject):
    """Signals: ``previewed(int)`` — the macro dialog is open with this many macros;
    ``applied(list)`` — a macro's batch was queued (its mutation ids); ``undone(bool)`` — an
    undo was asked (True: taken back); ``canned_loaded(int)`` — the manager lists this many;
    ``canned_saved(str)`` — a canned response was queued (its id)."""

    previewed = Signal(int)
    applied = Signal(list)
    undone = Signal(bool)
    canned_loaded = Signal(int)
    canned_saved = Signal(str)

    def __init__(self, window: DeskWindow, *, everywhere: bool = True) -> None:
        """``window``: the main window or a pop-out (ui/desk_host.py); ``everywhere``: this
        desk also says the server's refusals of macros and canned responses (the main
        window's; a pop-out's leaves them to it)."""
        super().__init__(window)
        self.window = window
        self.everywhere = everywhere
        self.ws = window.ws
        self.dialog: MacroDialog | None = None
        self.manager: CannedManager | None = None
        self.editor: CannedEditor | None = None
        self.last_batch: tuple[list[str], str] | None = None
        self._plans: dict[str, Plan] = {}
        a = window.actions_
        a.bind("macro_apply", lambda: self.open_macros(None))
        a.bind("macro_undo", self.undo)
        a.bind("canned_manage", self.open_manager)
        for n in range(1, rules.FAVOURITES + 1):
            a.bind(f"macro_favourite_{n}", partial(self.open_macros, n))
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)

    # --- feedback ---------------------------------------------------------------------------

    def _failed(self, exc: Exception) -> None:
        self.window.say(_("Could not do that: {error}").format(error=exc), assertive=True)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            text = _("Refused: {reason}").format(reason=rejection.message)
            if self.manager is not None:
                self.manager.preview.setText(text)
            if self.everywhere:
                self.window.say(text, assertive=True)

    def on_changes(self, changes: ChangeSet) -> None:
        if self.manager is not None and (
            changes.everything or changes.touches(Entity.CANNED_RESPONSE)
        ):
            self._reload_manager()

    # --- macros -----------------------------------------------------------------------------

    def open_macros(self, favourite: int | None) -> None:
        w = self.window
        conv, ctx = w.open_conv, w.customer_ctx
        if conv is None:
            w.say(_("Open a conversation first: a macro acts on it."))
            return
        if self.dialog is not None:
            self.dialog.raise_()
            return
        from csdesk.ui.panels.canned import placeholder_values

        values = placeholder_values(self.ws, ctx)
        language = ctx.language if ctx else conv.language
        ws, cid, now = self.ws, conv.id, utcnow()

        def load() -> tuple[list[tuple[Any, Plan]], dict[str, int]]:
            found = macro_desk.macros(ws)
            # Favourite keys: the ones this agent pinned in the macro editor, then by use.
            keys = macro_editing.key_map([mac.id for mac in found], macro_editing.pinned_keys(ws))
            plans = [
                (mac, macro_desk.plan_for(ws, mac, cid, language, values, now)) for mac in found
            ]
            return plans, keys

        def loaded(result: tuple[list[tuple[Any, Plan]], dict[str, int]]) -> None:
            found, keys = result
            if w.open_conv is None or w.open_conv.id != cid:
                return  # the agent moved on meanwhile
            if favourite is not None and favourite not in keys.values():
                w.say(_("No macro is on that key yet."))
                return
            self._show(found, favourite, cid, now, keys)

        w.tasks.run(load, loaded, self._failed)

    def _show(
        self,
        found: list[tuple[Any, Plan]],
        favourite: int | None,
        cid: str,
        now: datetime,
        keys: dict[str, int],
    ) -> None:
        self._plans = {mac.id: plan for mac, plan in found}
        choices = [
            MacroChoice(
                mac.id,
                mac.title,
                int(mac.use_count or 0),
                plan.text,
                bool(plan.steps),
                favourite_key(keys[mac.id]) if mac.id in keys else "",
            )
            for mac, plan in found
        ]
        chosen = next((mid for mid, n in keys.items() if n == favourite), None)
        dialog = MacroDialog(choices, self.window, chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = self.window.focusWidget()
        titles = {mac.id: mac.title for mac, _plan in found}

        def finished(result: int) -> None:
            picked = dialog.chosen()
            self.dialog = None
            if focus is not None:  # back in this window (a pop-out's too: docs/pop-out.md)
                self.window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
            if result == QDialog.DialogCode.Accepted and picked is not None:
                self._apply(picked, titles.get(picked, ""), cid)

        dialog.finished.connect(finished)

        def manage() -> None:  # the macro editor (docs/macros.md)
            dialog.reject()
            self.window.actions_["macro_manage"].trigger()

        dialog.manage_requested.connect(manage)
        self.dialog = dialog
        dialog.open()
        dialog.list.setFocus()
        self.previewed.emit(len(choices))

    def _apply(self, macro_id: str, title: str, cid: str) -> None:
        plan = self._plans.get(macro_id)
        if plan is None or not plan.steps:
            return
        ws = self.ws

        def done(ids: list[str]) -> None:
            self.last_batch = (ids, title)
            self.window.say(
                _(
                    "Macro {title} applied. Ctrl+Alt+Z takes it back while it waits to be sent."
                ).format(title=title)
            )
            if plan.missing:
                self.window.say(_("Fill in by hand: {names}").format(names=", ".join(plan.missing)))
            self.applied.emit(ids)

        self.window.tasks.write(lambda: macro_desk.apply(ws, plan), done, self._failed)

    def undo(self) -> None:
        if self.last_batch is None:
            self.window.say(_("No macro to take back."))
            return
        ids, title = self.last_batch
        ws = self.ws

        def done(taken_back: bool) -> None:
            if taken_back:
                self.last_batch = None
                self.window.say(_("Macro {title} taken back.").format(title=title))
            else:
                self.window.say(
                    _(
                        "Macro {title} has been sent already; change the conversation by hand."
                    ).format(title=title),
                    assertive=True,
                )
            self.undone.emit(taken_back)

        self.window.tasks.write(lambda: macro_desk.undo(ws, ids), done, self._failed)

    # --- canned responses ---------------------------------------------------------------------

    def open_manager(self) -> None:
        if self.manager is not None:
            self.manager.raise_()
            return
        manager = CannedManager(self.window)

        def closed() -> None:
            self.manager = None

        open_returning_focus(self.window, manager, closed=closed, show=False, activate=False)
        manager.new_requested.connect(lambda: self._edit(None))
        manager.edit_requested.connect(self._edit)
        manager.delete_requested.connect(self._delete)
        self.manager = manager
        manager.open()
        manager.list.setFocus()
        self._reload_manager()

    def _reload_manager(self) -> None:
        ws = self.ws
        me, share = ws.me.id, macro_desk.can_share(ws)

        def load() -> list[CannedItem]:
            return [
                CannedItem(
                    r.id,
                    r.title,
                    r.shortcut,
                    r.language,
                    r.body,
                    r.scope,
                    int(r.use_count or 0),
                    rules.can_edit(ws.me.role, me, r.scope, r.owner_id)
                    and (r.scope == rules.Scope.PERSONAL or share),
                )
                for r in ws.canned_responses()
            ]

        def loaded(items: list[CannedItem]) -> None:
            if self.manager is not None:
                self.manager.set_items(items)
                self.canned_loaded.emit(len(items))

        self.window.tasks.run(load, loaded, self._failed)

    def _edit(self, canned_id: str | None) -> None:
        parent = self.manager or self.window
        draft = None
        if canned_id is not None and self.manager is not None:
            item = self.manager.current()
            if item is not None:
                draft = macro_desk.CannedDraft(
                    item.title, item.body, item.shortcut, item.language, item.scope, item.id
                )
        editor = CannedEditor(parent, macro_desk.can_share(self.ws), draft)
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
                self.window.say(_("Canned response saved."))
                self.canned_saved.emit(found[0])
                self._reload_manager()

            self.window.tasks.write(lambda: macro_desk.save_canned(ws, new), done, self._failed)

        editor.finished.connect(finished)
        self.editor = editor
        editor.open()
        editor.title.setFocus()

    def _delete(self, canned_id: str) -> None:
        manager = self.manager
        item = manager.current() if manager is not None else None
        if manager is None or item is None:
            return
        if not confirm(
            manager,
            _("Delete canned response"),
            _("Delete “{title}” for everyone who uses it?").format(title=item.title)
            if item.scope != rules.Scope.PERSONAL
            else _("Delete “{title}”?").format(title=item.title),
        ):
            return
        ws = self.ws

        def done(_changes: ChangeSet) -> None:
            self.window.say(_("Canned response deleted."))
            self._reload_manager()

        self.window.tasks.write(lambda: macro_desk.delete_canned(ws, canned_id), done, self._failed)
