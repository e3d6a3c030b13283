"""Routing rules in the window: Ctrl+Alt+E opens the editor (supervisors and administrators).

Built by the window. Rules and skills are read from the local cache on a worker; every edit
goes through the outbox; the editor refreshes when the change feed names a rule or a skill
(its own edits come back that way too). The dry run asks the server, and says so when it
cannot be reached. Refusals are shown in the editor and announced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from csdesk.app.routing import AgentRow, RoutingDesk, RuleRow, dry_run_sentence
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.sync.events import ChangeSet, Rejection

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.panels.routing_editor import RoutingEditor

__all__ = ["RoutingDeskUi"]

_MINE = {
    MutationType.ROUTING_RULE_SAVE.value,
    MutationType.ROUTING_RULE_MOVE.value,
    MutationType.ROUTING_RULE_DELETE.value,
    MutationType.AGENT_SKILLS_SET.value,
}


class RoutingDeskUi(QObject):
    """Signals: ``loaded(int)`` — the editor shows this many rules; ``dry_run_done(str)`` —
    the dry run's sentence; ``queued(str)`` — this mutation type was put in the outbox."""

    loaded = Signal(int)
    dry_run_done = Signal(str)
    queued = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.routing = RoutingDesk(window.ws)
        self.dialog: RoutingEditor | None = None
        window.actions_.bind("routing_rules", self.open_editor)
        window.bridge.changes.connect(self.on_changes)
        window.bridge.rejected.connect(self.on_rejected)

    def _tell(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.show_result(text)
        self.window.say(text, assertive=True)

    def _failed(self, exc: Exception) -> None:
        self._tell(_("Could not do that: {error}").format(error=exc))

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            self._tell(_("Refused: {reason}").format(reason=rejection.message))

    def on_changes(self, changes: ChangeSet) -> None:
        if self.dialog is not None and (
            changes.everything
            or changes.touches(Entity.ROUTING_RULE)
            or changes.touches(Entity.AGENT_SKILLS)
            or changes.touches(Entity.TEAM)
        ):
            self._reload()

    def open_editor(self) -> None:
        if not self.routing.may_edit:
            self.window.say(
                _("Only supervisors and administrators edit routing rules."), assertive=True
            )
            return
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        from csdesk.ui.panels.routing_editor import RoutingEditor

        dialog = RoutingEditor(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        focus = self.window.focusWidget()

        def closed(_result: int) -> None:
            self.dialog = None
            if focus is not None:
                self.window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(closed)
        dialog.save_requested.connect(self._save)
        dialog.move_requested.connect(self._move)
        dialog.delete_requested.connect(self._delete)
        dialog.dry_run_requested.connect(self._dry_run)
        dialog.skills_requested.connect(self._skills)
        self.dialog = dialog
        dialog.open()
        dialog.rule_list.setFocus()
        self._reload()

    def _reload(self) -> None:
        routing = self.routing

        def load() -> tuple[list[RuleRow], dict[str, str], list[AgentRow]]:
            return routing.rules(), routing.teams(), routing.agents()

        def loaded(found: tuple[list[RuleRow], dict[str, str], list[AgentRow]]) -> None:
            rules, teams, agents = found
            if self.dialog is None:
                return
            self.dialog.set_rules(rules, teams)
            self.dialog.set_agents(agents)
            self.loaded.emit(len(rules))

        self.window.tasks.run(load, loaded, self._failed)

    def _write(self, fn: Any, mtype: MutationType, said: str) -> None:
        def done(_result: object) -> None:
            self.window.say(said)
            self.queued.emit(mtype.value)

        self.window.tasks.write(fn, done, self._failed)

    def _save(self, fields: dict[str, Any]) -> None:
        routing = self.routing

        def save() -> str:
            rid, _changes = routing.save(
                fields.get("rule_id"),
                str(fields["name"]),
                bool(fields["enabled"]),
                bool(fields["stop"]),
                dict(fields["conditions"]),
                dict(fields["actions"]),
            )
            return rid

        def done(rid: str) -> None:
            if self.dialog is not None:
                self.dialog.saved(rid)
            self.window.say(_("Rule saved."))
            self.queued.emit(MutationType.ROUTING_RULE_SAVE.value)

        self.window.tasks.write(save, done, self._failed)

    def _move(self, rule_id: str, direction: str) -> None:
        said = _("Moved up.") if direction == "up" else _("Moved down.")
        self._write(
            lambda: self.routing.move(rule_id, direction), MutationType.ROUTING_RULE_MOVE, said
        )

    def _delete(self, rule_id: str) -> None:
        self._write(
            lambda: self.routing.delete(rule_id),
            MutationType.ROUTING_RULE_DELETE,
            _("Rule deleted."),
        )

    def _skills(self, user_id: str, languages: list[str], channels: list[str]) -> None:
        self._write(
            lambda: self.routing.set_skills(user_id, languages, channels),
            MutationType.AGENT_SKILLS_SET,
            _("Skills saved."),
        )

    def _dry_run(self, conditions: dict[str, Any]) -> None:
        routing = self.routing

        def done(found: tuple[int, int]) -> None:
            text = dry_run_sentence(*found)
            self._tell(text)
            self.dry_run_done.emit(text)

        def failed(exc: Exception) -> None:
            self._tell(_("The dry run needs the server: {error}").format(error=exc))

        if self.dialog is not None:
            self.dialog.show_result(_("Testing the rule on recent conversations…"))
        self.window.tasks.run(lambda: routing.dry_run(conditions), done, failed)
