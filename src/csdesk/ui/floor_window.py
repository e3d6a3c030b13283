"""The supervisor's floor: a window of its own with tabs, opened beside the agent screen when
a supervisor or admin signs in. The live board is the first tab, the refunds waiting for
approval the second; ``add_tab`` takes more (the KPI dashboard).

Why a window and not a mode of the main window: the agent screen stays exactly what it is
(its panes, focus order and shortcuts untouched), a supervisor with two screens keeps both in
view, and the floor's keys (Ctrl+Alt+I/R/M) act on the board without clashing with the
inbox's. Ctrl+Alt+W goes to the agent screen, Ctrl+Alt+F back to the floor; Ctrl+Shift+Q signs
out from either (the controller then closes the floor, once the sign-in dialog is on its way).

Signals: ``announced(str)`` — every announcement (for tests and speech); ``stopping()`` —
the floor is closing (its tabs stop their background work).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from csdesk.app import floor
from csdesk.app.workstation import Workstation
from csdesk.i18n import _
from csdesk.protocol import Entity
from csdesk.sync.events import ChangeSet
from csdesk.theme.tokens import Theme
from csdesk.ui.a11y import announce
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.choose import ask_text, choose_item
from csdesk.ui.panels.approvals import ApprovalsPanel
from csdesk.ui.panels.floor_board import FloorBoard
from csdesk.ui.panels.listen_in import ListenInDialog
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.tasks import Tasks

#: What the board shows changes with these.
_BOARD_ENTITIES = (
    Entity.CONVERSATION,
    Entity.AGENT_STATUS,
    Entity.USER,
    Entity.CALL,
    Entity.TEAM,
    Entity.CALLBACK,  # the summary counts open survey follow-ups
)


class FloorWindow(QMainWindow):
    announced = Signal(str)
    stopping = Signal()

    def __init__(
        self,
        ws: Workstation,
        bridge: SyncBridge,
        theme: Theme,
        agent_screen: Callable[[], None] | None = None,
        sign_out: Callable[[], None] | None = None,
    ) -> None:
        """``agent_screen`` brings the agent screen up; ``sign_out`` signs out (the agent
        screen's own sign-out: the floor is a supervisor's main screen, and the key did nothing
        there)."""
        super().__init__()
        self.ws, self.bridge, self.theme = ws, bridge, theme
        self.tasks = Tasks(self)
        self._agent_screen = agent_screen
        self._sign_out = sign_out
        self.setObjectName("floor_window")
        title = _("Floor — {name}").format(name=ws.me.display_name)
        self.setWindowTitle(title)
        self.setAccessibleName(_("Supervisor's floor"))
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("floor_tabs")
        self.tabs.setAccessibleName(_("Floor tabs"))
        self.setCentralWidget(self.tabs)
        self.board = FloorBoard(self)
        self.add_tab(self.board, _("Live board"))
        self.approvals = ApprovalsPanel(self)
        self.approvals.decided.connect(self._decided)
        self.add_tab(self.approvals, _("Refunds to approve"))
        self.listening: list[ListenInDialog] = []
        self.actions_ = ActionRegistry(self)
        a = self.actions_
        a.bind("agent_screen", self.show_agent_screen)
        a.bind("sign_out", self.sign_out)
        a.bind("floor_listen", self.listen_in)
        a.bind("floor_reassign", self.reassign)
        a.bind("floor_message", self.message_agent)
        self.board.activated.connect(self._activated)
        self._loading = False
        self._again = False
        self._stopped = False
        bridge.changes.connect(self.on_changes)
        self._clock = QTimer(self)  # one clock for "time in status" and waits
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self.reload)
        self._clock.start()
        self.reload()
        self._reload_approvals()
        self.board.queues.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed (signed out, or the app quits): no more clock, no more sync news."""
        self.stop()
        super().closeEvent(event)

    def stop(self) -> None:
        """Idempotent: sign-out stops the floor, then closing it does again."""
        if self._stopped:
            return
        self._stopped = True
        self.stopping.emit()
        self._clock.stop()
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.changes.disconnect(self.on_changes)
        for dialog in list(self.listening):
            dialog.close()

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add ``widget`` as a tab (e.g. the KPI dashboard); its index. Ctrl+Tab moves."""
        at = self.tabs.addTab(widget, title)
        self.tabs.setTabToolTip(at, title)
        return at

    def say(self, text: str, *, assertive: bool = False) -> None:
        announce(self, text, assertive=assertive)
        self.announced.emit(text)

    def bring_up(self) -> None:
        if not self._clock.isActive():  # closed earlier: follow the floor again
            self._clock.start()
            self.bridge.changes.connect(self.on_changes)
            self.reload()
        self.show()
        self.raise_()
        self.activateWindow()
        self.tabs.setCurrentWidget(self.board)
        self.board.queues.setFocus()
        self.say(self.board.summary.text())

    def show_agent_screen(self) -> None:
        if self._agent_screen is not None:
            self._agent_screen()

    def sign_out(self) -> None:
        if self._sign_out is not None:
            self._sign_out()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        if self._loading:
            self._again = True  # one load at a time; the latest news is read after it
            return
        self._loading = True
        self.tasks.run(lambda: floor.board(self.ws), self._loaded, self._failed)

    def _loaded(self, board: floor.Board) -> None:
        self._loading = False
        self.board.show_board(board)
        if self._again:
            self._again = False
            self.reload()

    def _failed(self, exc: Exception) -> None:
        self._loading = False
        self.board.summary.setText(_("The floor could not be read: {error}").format(error=exc))

    def on_changes(self, changes: ChangeSet) -> None:
        if any(changes.touches(e) for e in _BOARD_ENTITIES):
            self.reload()
        if changes.touches(Entity.ORDER_ACTION):
            self._reload_approvals()

    def _reload_approvals(self) -> None:
        self.tasks.run(self.ws.pending_approvals, self.approvals.set_requests)

    def _decided(self, action_id: str, approve: bool, reason: str) -> None:
        self.tasks.write(lambda: self.ws.decide_refund(action_id, approve, reason), None)

    # --- acting on the selection ---------------------------------------------------------

    def _pick_conversation(self, title: str, then: Callable[[str], None]) -> None:
        """A conversation of the selected agent (when the agents table has the focus) or
        queue; asks which when there are several."""
        agent = self.board.selected_agent() if self.board.focus_is_on_agents() else None
        queue = None if agent is not None else self.board.selected_queue()
        if agent is None and queue is None:
            self.say(_("Select a queue or an agent first."))
            return
        ws = self.ws

        def load() -> list[tuple[str, str]]:
            if agent is not None:
                convs = floor.agent_conversations(ws, agent.row.user_id)
                call = agent.row.call_conversation_id
                if call is not None and call not in {c for c, _t in convs}:
                    convs.insert(0, (call, _("The current call")))
                return convs
            assert queue is not None
            return floor.queue_conversations(ws, queue)

        def chosen(convs: list[tuple[str, str]]) -> None:
            if not convs:
                self.say(_("No open conversation there."))
                return
            at = choose_item(
                self, title, _("Conversation:"), [t for _c, t in convs], 0, name="floor_pick"
            )
            if at is not None:
                then(convs[at][0])

        self.tasks.run(load, chosen)

    def listen_in(self) -> None:
        def listen(conversation_id: str) -> None:
            self.open_read_only(conversation_id)

        self._pick_conversation(_("Listen in"), listen)

    def open_read_only(self, conversation_id: str) -> ListenInDialog:
        dialog = ListenInDialog(self.ws, self.tasks, self.bridge, self.theme, conversation_id, self)
        self.listening.append(dialog)
        dialog.finished.connect(lambda _r: self.listening.remove(dialog))
        dialog.show()
        return dialog

    def reassign(self) -> None:
        self._pick_conversation(_("Reassign"), self.reassign_conversation)

    def reassign_conversation(self, conversation_id: str) -> None:
        ws = self.ws

        def chosen(people: list[tuple[str, str, str]]) -> None:
            labels = [_("{name} — {status}").format(name=n, status=st) for _u, n, st in people]
            at = choose_item(
                self, _("Reassign to"), _("Give this conversation to:"), labels, 0,
                name="floor_reassign_dialog",
            )  # fmt: skip
            if at is None:
                return
            uid, who, _st = people[at]
            self.tasks.write(
                lambda: ws.assign(conversation_id, uid),
                lambda _c: self.say(_("Reassigned to {name}").format(name=who)),
            )

        self.tasks.run(lambda: floor.assignees_with_status(ws, conversation_id), chosen)

    def message_agent(self) -> None:
        agent = self.board.selected_agent()
        if agent is None:
            self.say(_("Select an agent first."))
            return
        text = ask_text(
            self,
            _("Message {name}").format(name=agent.row.name),
            _("Shown and announced on their desk:"),
            name="floor_message_dialog",
        )
        if text is None or not text.strip():
            return
        uid, who = agent.row.user_id, agent.row.name
        self.tasks.write(
            lambda: floor.message_agent(self.ws, uid, text),
            lambda _c: self.say(_("Message sent to {name}").format(name=who)),
        )

    def _activated(self, kind: str, _key: str) -> None:
        self.listen_in()


def open_for(
    window: QWidget, ws: Workstation, bridge: SyncBridge, theme: Theme
) -> FloorWindow | None:
    """The floor for a supervisor or admin who just signed in (None for everyone else),
    shown in front; it closes with the agent screen. Signing out (here or there) emits the
    agent screen's ``sign_out_requested``: whoever handles it closes the floor, after putting
    something else on screen (closing the last visible window quits the app)."""
    if ws.me.role not in floor.OVERSEER_ROLES:
        return None

    def agent_screen() -> None:
        window.show()
        window.raise_()
        window.activateWindow()

    # The agent screen asks first when replies would be lost, then emits the request.
    signed_out = getattr(window, "ask_sign_out", None)
    floor_window = FloorWindow(ws, bridge, theme, agent_screen, signed_out)
    from csdesk.ui.floor_tabs import add_supervisor_tabs

    add_supervisor_tabs(floor_window, window)
    desk = getattr(window, "floor_desk", None)
    if desk is not None:
        desk.floor_requested.connect(floor_window.bring_up)
    window.destroyed.connect(floor_window.deleteLater)
    resize_within_screen(floor_window, 1200, 800)  # a 1366×768 laptop too
    floor_window.show()
    floor_window.raise_()
    floor_window.activateWindow()
    return floor_window
