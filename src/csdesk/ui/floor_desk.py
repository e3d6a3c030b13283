"""The floor on every desk: my status in the status bar (with its chooser, Ctrl+Alt+S), and
supervisors' messages to me shown and announced. Built by ``MainWindow``; sync news arrives
through the bridge's ``changes`` signal, and one 30-second clock moves "for 5 min".

Signals: ``floor_requested()`` — the agent asked for the supervisor's floor (Ctrl+Alt+F);
``note_shown(str)`` — a supervisor's message was shown (its sentence).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from csdesk.app import floor
from csdesk.app.workstation import Workstation
from csdesk.domain.agent_status import CHOOSABLE
from csdesk.i18n import _
from csdesk.protocol import Entity
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet
from csdesk.ui.a11y import name
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.choose import choose_item
from csdesk.ui.elide import ElidingButton
from csdesk.ui.status_line import StatusLine
from csdesk.ui.tasks import Tasks

#: A supervisor's message older than this is history, not news (a new cache syncing).
RECENT = timedelta(minutes=15)


class FloorDesk(QObject):
    floor_requested = Signal()
    note_shown = Signal(str)

    def __init__(
        self,
        window: QWidget,
        ws: Workstation,
        tasks: Tasks,
        bridge: SyncBridge,
        actions: ActionRegistry,
        status_line: StatusLine,
        say: Callable[..., None],
        notice: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.window, self.ws, self.tasks = window, ws, tasks
        self.say, self.notice = say, notice
        self.mine: floor.MyStatus | None = None
        #: Messages to me whose words could not be fetched yet (asked again on the next batch).
        self._unfetched: frozenset[str] = frozenset()
        self._said_unfetched = False  # said once until a fetch succeeds again
        self._shown: set[str] = set()  # messages already shown (a few a shift)
        # Ends in "…" when large text leaves the status bar too little room (the tooltip and
        # the accessible description say it whole).
        self.button = ElidingButton(_("Status: …"), window)
        self.button.setObjectName("my_status")
        self.button.setFlat(True)
        name(
            self.button,
            _("My status"),
            _("Choose Available, Away, On break or In training (Ctrl+Alt+S)"),
        )
        self.button.clicked.connect(self.choose)
        status_line.add(self.button)
        actions.bind("set_status", self.choose)
        actions.bind("show_floor", self._floor)
        bridge.changes.connect(self.on_changes)
        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._show)
        self._clock.start()
        self.refresh()

    # --- my status -----------------------------------------------------------------------

    def refresh(self) -> None:
        self.tasks.run(lambda: floor.my_status(self.ws), self._got)

    def _got(self, mine: floor.MyStatus) -> None:
        before = self.mine
        self.mine = mine
        self._show()
        if before is not None and before.status != mine.status:
            self.say(_("Your status: {status}").format(status=floor.status_label(mine.status)))

    def _show(self) -> None:
        if self.mine is None:
            return
        text = self.mine.text(utcnow())
        self.button.setText(text)
        self.button.setAccessibleDescription(text)

    def choose(self) -> None:
        labels = [floor.status_label(s) for s in CHOOSABLE]
        current = (
            CHOOSABLE.index(self.mine.chosen) if self.mine and self.mine.chosen in CHOOSABLE else 0
        )
        at = choose_item(
            self.window,
            _("My status"),
            _("Set your status (every desk sees it):"),
            labels,
            current,
            name="status_dialog",
        )
        if at is None:
            return
        chosen = CHOOSABLE[at]
        self.tasks.write(
            lambda: floor.set_my_status(self.ws, chosen),
            lambda _c: self.refresh(),
            lambda exc: self.notice(_("Could not set your status: {error}").format(error=exc)),
        )

    def _floor(self) -> None:
        if self.ws.me.role not in floor.OVERSEER_ROLES:
            self.say(_("The floor is for supervisors and admins."))
            return
        self.floor_requested.emit()

    # --- sync news -----------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or self.ws.me.id in changes.ids(Entity.AGENT_STATUS):
            self.refresh()
        if changes.everything:
            return  # a rebuilt cache is not news: old messages stay unannounced
        # A sync batch arrived, so the server answers again: ask also for messages whose
        # words could not be fetched before.
        ids = changes.ids(Entity.FLOOR_MESSAGE) | self._unfetched
        if ids:
            self.tasks.run(
                # a new cache's first sync brings old ones: not news, not even asked for
                lambda: floor.read_notes(self.ws, ids, since=utcnow() - RECENT),
                lambda notes: self._notes(ids, notes),
                lambda exc: self._unread(ids, exc),
            )

    def _unread(self, ids: frozenset[str], exc: Exception) -> None:
        """The words could not be fetched (the connection went): said once, fetched again
        with the next sync batch."""
        self._unfetched |= ids
        if self._said_unfetched:
            return
        self._said_unfetched = True
        text = _(
            "A message from a supervisor could not be fetched ({error}); it is shown when the "
            "connection is back."
        ).format(error=exc)
        self.notice(text)
        self.say(text, assertive=True)

    def _notes(self, asked: frozenset[str], notes: list[floor.FloorNote]) -> None:
        self._said_unfetched = False
        self._unfetched -= asked
        for note in notes:
            if note.id in self._shown:
                continue  # two fetches in flight may both bring it
            self._shown.add(note.id)
            text = note.sentence()
            self.notice(text)
            self.say(text, assertive=True)
            self.note_shown.emit(text)
