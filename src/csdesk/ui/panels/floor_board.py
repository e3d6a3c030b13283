"""The live board: queues (unassigned, each channel, each team) and agents, as two tables
whose rows are also sentences, and a summary line. A view only: ``FloorWindow`` loads the
board (``app.floor.board``) and acts on the selection.

Signals: ``activated(str, str)`` — Enter or a double click on a row: ("queue" | "agent", key).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from csdesk.app.floor import AgentLine, Board, QueueLine
from csdesk.i18n import _
from csdesk.ui.a11y import name
from csdesk.ui.panels.floor_board_model import Row, SentenceTableModel
from csdesk.ui.plain_text import PlainLabel


def _table(parent: QWidget, object_name: str, model: SentenceTableModel) -> QTableView:
    view = QTableView(parent)
    view.setObjectName(object_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside
    view.verticalHeader().hide()
    # Tens of rows at most: fitting columns to their contents costs nothing here (it is the
    # trap on big models, see PLATFORM-NOTES), and names are never cut short.
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.setWordWrap(False)
    return view


class FloorBoard(QWidget):
    activated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("floor_board")
        self.board: Board | None = None
        self.summary = PlainLabel(_("Loading the floor…"), self)
        self.summary.setObjectName("floor_summary")
        self.summary.setWordWrap(True)
        self.queue_model = SentenceTableModel(
            [_("Queue"), _("Waiting"), _("Oldest wait"), _("SLA at risk"), _("SLA breached"),
             _("Open")]
        )  # fmt: skip
        self.agent_model = SentenceTableModel(
            [_("Agent"), _("Status"), _("Time in status"), _("Open conversations"),
             _("Current call")]
        )  # fmt: skip
        self.queues = _table(self, "floor_queues", self.queue_model)
        name(
            self.queues,
            _("Queues"),
            _("Waiting, oldest wait and SLA per queue; Enter listens in to its oldest"),
        )
        self.agents = _table(self, "floor_agents", self.agent_model)
        name(
            self.agents,
            _("Agents"),
            _("Status, time in status, open conversations and call; Ctrl+Alt+M messages"),
        )
        queues_title = PlainLabel(_("&Queues"), self)
        queues_title.setBuddy(self.queues)
        agents_title = PlainLabel(_("A&gents"), self)
        agents_title.setBuddy(self.agents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(queues_title)
        layout.addWidget(self.queues, 3)
        layout.addWidget(agents_title)
        layout.addWidget(self.agents, 2)
        self.queues.activated.connect(lambda i: self._activated("queue", self.queue_model, i))
        self.agents.activated.connect(lambda i: self._activated("agent", self.agent_model, i))

    def _activated(self, kind: str, model: SentenceTableModel, index: QModelIndex) -> None:
        key = model.key_at(index.row())
        if key is not None:
            self.activated.emit(kind, key)

    def show_board(self, board: Board) -> None:
        self.board = board
        now = board.at
        self._fill(
            self.queues,
            self.queue_model,
            [
                Row(q.figures.kind + ":" + q.figures.key, q.cells(), q.sentence())
                for q in board.queues
            ],
        )
        self._fill(
            self.agents,
            self.agent_model,
            [Row(a.row.user_id, a.cells(now), a.sentence(now)) for a in board.agents],
        )
        self.summary.setText(board.summary())

    @staticmethod
    def _fill(view: QTableView, model: SentenceTableModel, rows: list[Row]) -> None:
        current = model.key_at(view.currentIndex().row())
        model.set_rows(rows)
        at = model.row_of(current)
        if at is None and rows:
            at = 0
        if at is not None:
            view.setCurrentIndex(model.index(at, 0))

    def selected_queue(self) -> QueueLine | None:
        if self.board is None:
            return None
        key = self.queue_model.key_at(self.queues.currentIndex().row())
        return next(
            (q for q in self.board.queues if q.figures.kind + ":" + q.figures.key == key), None
        )

    def selected_agent(self) -> AgentLine | None:
        if self.board is None:
            return None
        key = self.agent_model.key_at(self.agents.currentIndex().row())
        return next((a for a in self.board.agents if a.row.user_id == key), None)

    def focus_is_on_agents(self) -> bool:
        return self.agents.hasFocus()
