"""The supervisor's training review: trainees, each one's sessions with the score per rubric
point over time, a session's transcript and comments, and assignments.

``TrainingReviewPanel`` is a plain QWidget so the supervisor's floor window can hold it as a
tab; until then ``open_training_review`` shows it in a window of its own (Ctrl+Alt+G). Reads go
to the server on the panel's own workers (``app.training_review``); comments, assignments and
published scenarios are outbox actions, so they are kept offline and listed as waiting.

The scores over time are a table (one row a session, oldest first, one column a rubric point)
and the same in sentences above it (improving, slipping, the weakest point), so neither a
chart nor colour is needed to read them; every cell has its point's name for a screen reader.
The Chart tab draws the total or one rubric point over the sessions (the dashboard's chart
card: labelled points, a table view and a summary sentence).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.app import formats
from csdesk.app.training import Assignment, ResultSummary
from csdesk.app.training_review import (
    SessionDetail,
    Trainee,
    TrainingReview,
    point_series,
    point_summary,
    rubric_table,
    trend_sentences,
)
from csdesk.i18n import _, ngettext
from csdesk.sync.events import SyncStatus
from csdesk.theme.tokens import Theme
from csdesk.training.rubric import RUBRIC
from csdesk.training.scenario import Scenario
from csdesk.ui.panels.dashboard_charts import ChartCard, line_chart
from csdesk.ui.panels.dashboard_tables import Cell, table_of
from csdesk.ui.panels.training_review_assign import AssignBox
from csdesk.ui.panels.training_review_session import SessionView
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.tasks import Tasks

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["TrainingReviewPanel", "open_training_review", "trainee_sentence"]

Say = Callable[[str], None]


def trainee_sentence(t: Trainee) -> str:
    if t.sessions == 0:
        text = _("{name}: no sessions yet.").format(name=t.name)
    else:
        last = t.last_at.astimezone().strftime("%Y-%m-%d") if t.last_at else "?"
        text = ngettext(
            "{name}: {n} session, average {avg}, last on {last}.",
            "{name}: {n} sessions, average {avg}, last on {last}.",
            t.sessions,
        ).format(name=t.name, n=t.sessions, avg=t.average, last=last)
    if t.open_assignments:
        text += " " + ngettext(
            "{n} assigned, not yet practised.",
            "{n} assigned, not yet practised.",
            t.open_assignments,
        ).format(n=t.open_assignments)
    return text


def _cell(text: str, accessible: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setData(Qt.ItemDataRole.AccessibleTextRole, accessible)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class TrainingReviewPanel(QWidget):
    """Signals: ``trainees_loaded(int)``, ``sessions_loaded(int)``, ``session_shown(str)``
    (a result id), ``queued(str)`` (what was queued, in words), ``failed(str)``."""

    trainees_loaded = Signal(int)
    sessions_loaded = Signal(int)
    session_shown = Signal(str)
    queued = Signal(str)
    failed = Signal(str)

    def __init__(
        self, review: TrainingReview, say: Say, theme: Theme, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.review, self._say, self.theme = review, say, theme
        self.tasks = Tasks(self)
        self.trainees: list[Trainee] = []
        self.results: list[ResultSummary] = []
        self.scenarios: list[Scenario] = []
        self._awaiting = False  # actions queued here that the server has not answered yet
        self.setObjectName("training_review")
        self.setAccessibleName(_("Training review"))
        people = PlainLabel(_("T&rainees"), self)
        self.people = QListWidget(self)
        self.people.setObjectName("review_trainees")
        self.people.setAccessibleName(_("Trainees"))
        self.people.setWordWrap(True)
        people.setBuddy(self.people)
        self.status = PlainLabel(_("Loading the training review…"), self)
        self.status.setObjectName("review_status")
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton(_("Re&fresh"), self)
        self.refresh_button.setObjectName("review_refresh")
        self.refresh_button.setAccessibleName(_("Refresh"))
        self.refresh_button.setAccessibleDescription(_("Fetch the training review again"))
        self.refresh_button.setAutoDefault(False)
        trend = PlainLabel(_("Scores over time, in &words"), self)
        self.trend = QPlainTextEdit(self)
        self.trend.setObjectName("review_trend")
        self.trend.setAccessibleName(_("Scores over time, in words"))
        self.trend.setReadOnly(True)
        self.trend.setTabChangesFocus(True)
        self.trend.setMaximumHeight(130)
        trend.setBuddy(self.trend)
        table = PlainLabel(_("&Sessions, score per rubric point (oldest first)"), self)
        self.table = QTableWidget(0, 3 + len(RUBRIC), self)
        self.table.setObjectName("review_sessions")
        self.table.setAccessibleName(_("Sessions, score per rubric point"))
        self.table.setAccessibleDescription(_("Choose a row to read its transcript."))
        self.table.setHorizontalHeaderLabels(
            [_("Finished"), _("Scenario"), _("Total"), *(_(v) for v in RUBRIC.values())]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setStretchLastSection(True)
        table.setBuddy(self.table)
        self.chart = ChartCard(
            "review_scores",
            _("Scores over time"),
            theme,
            [("", _("Total score")), *((k, _(v)) for k, v in RUBRIC.items())],
            _("Sc&ore:"),
            self,
        )
        self.chart.figure_chosen.connect(lambda _key: self._show_chart())
        # The card must not widen the middle column (names in the trainees' list stay whole
        # in an 800 px window): its title wraps, the chooser shows a dozen letters at least.
        self.chart.title.setWordWrap(True)
        if self.chart.chooser is not None:
            self.chart.chooser.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            self.chart.chooser.setMinimumContentsLength(12)
        sessions_page = QWidget(self)
        sv = QVBoxLayout(sessions_page)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(table)
        sv.addWidget(self.table, 1)
        self.views = QTabWidget(self)
        self.views.setObjectName("review_views")
        self.views.setAccessibleName(_("Sessions or chart"))
        self.views.addTab(sessions_page, _("Sessions"))
        self.views.addTab(self.chart, _("Chart"))
        self.views.setTabToolTip(1, _("The total or one rubric point over the sessions"))
        self.session = SessionView(self)
        self.session.clear_session(_("Choose a session to read its transcript."))
        self.assign = AssignBox(self)

        self.people.currentRowChanged.connect(self._trainee_chosen)
        self.table.currentCellChanged.connect(lambda row, *_a: self._session_chosen(row))
        self.refresh_button.clicked.connect(self.refresh)
        self.session.comment_requested.connect(self.add_comment)
        self.session.bind_shortcut(self.session._send)
        self.assign.assign_requested.connect(self.add_assignment)
        self.assign.unassign_requested.connect(self.take_back)
        self.assign.publish_requested.connect(self.choose_scenario_file)

        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(people)
        lv.addWidget(self.people, 1)
        lv.addWidget(self.status)
        lv.addWidget(self.refresh_button)
        middle = QWidget(self)
        mv = QVBoxLayout(middle)
        mv.setContentsMargins(0, 0, 0, 0)
        mv.addWidget(trend)
        mv.addWidget(self.trend)
        mv.addWidget(self.views, 2)
        mv.addWidget(self.assign, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(self.session)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        # First widths by text size (the splitter scales them to the window): left alone, the
        # trainees' list came out 130 px wide, names cut ("Mateo F") and scrolling sideways.
        em = self.fontMetrics().averageCharWidth()
        split.setSizes([em * 28, em * 70, em * 45])
        layout = QHBoxLayout(self)
        layout.addWidget(split)
        self.refresh()

    # --- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.tasks.run(self.review.trainees, self._trainees_loaded, self._failed)
        self.tasks.run(self.review.scenarios, self._scenarios_loaded)

    def _failed(self, exc: Exception) -> None:
        text = _("The training review could not be fetched: {error}").format(error=exc)
        self.status.setText(text)
        self._say(text)
        self.failed.emit(str(exc))

    def _scenarios_loaded(self, result: tuple[list[Scenario], list[str]]) -> None:
        self.scenarios = result[0]
        self.assign.set_scenarios(self.scenarios)

    def _trainees_loaded(self, trainees: list[Trainee]) -> None:
        current = self.current_trainee()
        self.trainees = trainees
        self.people.blockSignals(True)
        self.people.clear()
        for t in trainees:
            sentence = trainee_sentence(t)
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.people.addItem(item)
        self.people.blockSignals(False)
        self.status.setText(
            ngettext("{n} person trains.", "{n} people train.", len(trainees)).format(
                n=len(trainees)
            )
            if trainees
            else _("Nobody trains yet.")
        )
        ids = [t.id for t in trainees]
        row = ids.index(current.id) if current is not None and current.id in ids else 0
        if trainees:
            self.people.blockSignals(True)
            self.people.setCurrentRow(row)
            self.people.blockSignals(False)
            self._trainee_chosen(row)
        self.trainees_loaded.emit(len(trainees))

    def current_trainee(self) -> Trainee | None:
        row = self.people.currentRow()
        return self.trainees[row] if 0 <= row < len(self.trainees) else None

    def _trainee_chosen(self, row: int) -> None:
        if not 0 <= row < len(self.trainees):
            return
        uid = self.trainees[row].id
        self.tasks.run(lambda: (uid, self.review.results(uid)), self._results_loaded, self._failed)
        self.tasks.run(lambda: (uid, self.review.assignments(uid)), self._assignments_loaded)

    def _still_chosen(self, uid: str) -> bool:
        """An answer for a trainee chosen before the current one is dropped."""
        current = self.current_trainee()
        return current is not None and current.id == uid

    def _results_loaded(self, answer: tuple[str, list[ResultSummary]]) -> None:
        uid, results = answer
        if not self._still_chosen(uid):
            return
        rows = rubric_table(results)
        self.results = [r for r, _f in rows]
        self.trend.setPlainText("\n".join(trend_sentences(results)))
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for n, (r, figures) in enumerate(rows):
            when = r.finished_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.finished_at else "?"
            self.table.setItem(n, 0, _cell(when, _("Finished {when}").format(when=when)))
            self.table.setItem(n, 1, _cell(r.title, r.title))
            self.table.setItem(
                n, 2, _cell(str(r.score), _("Total {score} out of 100").format(score=r.score))
            )
            for k, (label, value) in enumerate(zip(RUBRIC.values(), figures, strict=True)):
                shown = "—" if value is None else str(value)
                said = (
                    _("{point}: not asked").format(point=_(label))
                    if value is None
                    else _("{point}: {value}").format(point=_(label), value=value)
                )
                self.table.setItem(n, 3 + k, _cell(shown, said))
        self.table.blockSignals(False)
        self._show_chart()
        # Each column as wide as its header and figures ("2026-10-...", "oints covere" before);
        # the table scrolls sideways when they do not all fit.
        self.table.resizeColumnsToContents()
        if rows:
            self.table.setCurrentCell(len(rows) - 1, 0)
            self._session_chosen(len(rows) - 1)
        else:
            self.session.clear_session(_("No training sessions yet."))
        self.sessions_loaded.emit(len(rows))

    def _show_chart(self) -> None:
        """The chosen figure over the loaded sessions, with its table and sentence."""
        key = self.chart.figure() or None
        label = _(RUBRIC[key]) if key else _("Total score")
        values = point_series(self.results, key)
        days = [
            formats.date_text(r.finished_at.astimezone(), year=False) if r.finished_at else "?"
            for r in self.results
        ]
        chart = line_chart(
            self.theme,
            days,
            [None if v is None else float(v) for v in values],
            _("points"),
            label,
            ceiling=100,
        )
        rows = [
            [
                Cell(
                    r.finished_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.finished_at else "?"
                ),
                Cell(r.title),
                Cell("—" if v is None else str(v), number=True),
            ]
            for r, v in zip(self.results, values, strict=True)
        ]
        table = table_of([_("Finished"), _("Scenario"), label], rows)
        self.chart.show_chart(chart, table, point_summary(label, values))

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.chart.set_theme(theme)
        self._show_chart()

    def _assignments_loaded(self, answer: tuple[str, list[Assignment]]) -> None:
        uid, assignments = answer
        if self._still_chosen(uid):
            self.assign.show_assignments(assignments)

    def _session_chosen(self, row: int) -> None:
        if not 0 <= row < len(self.results):
            return
        rid = self.results[row].id

        def fetch() -> tuple[SessionDetail, list[str]]:
            return self.review.session(rid), self.review.pending_comments(rid)

        self.tasks.run(fetch, self._session_loaded, self._failed)

    def _session_loaded(self, result: tuple[SessionDetail, list[str]]) -> None:
        detail, pending = result
        if detail.summary.id not in {r.id for r in self.results}:
            return  # another trainee's, chosen before
        self.session.show_session(detail, pending)
        self.session_shown.emit(detail.summary.id)

    # --- actions (the outbox) -------------------------------------------------------------

    def add_comment(self, result_id: str, body: str) -> None:
        def done(_mid: str) -> None:
            self.session.sent(body)
            self._done(_("Comment queued for the trainee."))

        self.tasks.write(lambda: self.review.comment(result_id, body), done, self._not_queued)

    def add_assignment(self, scenario_id: str, note: str) -> None:
        trainee = self.current_trainee()
        if trainee is None:
            self._say(_("Choose a trainee first."))
            return
        title = next((s.title for s in self.scenarios if s.id == scenario_id), scenario_id)

        def done(_mid: str) -> None:
            self.assign.add_pending(title)
            self._done(_("“{title}” assigned to {name}.").format(title=title, name=trainee.name))

        self.tasks.write(
            lambda: self.review.assign(trainee.id, scenario_id, note), done, self._not_queued
        )

    def take_back(self, assignment_id: str) -> None:
        self.tasks.write(
            lambda: self.review.unassign(assignment_id),
            lambda _mid: self._done(_("Assignment taken back.")),
            self._not_queued,
        )

    def choose_scenario_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Publish a training scenario"), "", _("Scenario files (*.json)")
        )
        if name:
            self.publish_file(Path(name))

    def publish_file(self, path: Path) -> None:
        def done(scenario: Scenario) -> None:
            self._done(_("“{title}” will be published to every desk.").format(title=scenario.title))

        self.tasks.write(lambda: self.review.publish(path), done, self._not_queued)

    def sync_status(self, status: SyncStatus) -> None:
        """Connect to the window's ``bridge.status``: once the actions queued here have
        reached the server (nothing pending), the review is fetched again, so a comment
        "waiting to be sent" becomes the server's and an assignment shows as given."""
        if self._awaiting and status.pending == 0:
            self._awaiting = False
            self.refresh()

    def _done(self, text: str) -> None:
        self._awaiting = True
        self.status.setText(text)
        self._say(text)
        self.queued.emit(text)

    def _not_queued(self, exc: Exception) -> None:
        text = _("Not sent: {error}").format(error=exc)
        self.status.setText(text)
        self._say(text)
        self.failed.emit(str(exc))

    def shutdown(self) -> None:
        self.tasks.shutdown()


def open_training_review(window: MainWindow) -> None:
    """The review in a window of its own (until the floor window holds it as a tab)."""
    review = TrainingReview(window.ws)
    if not review.reviews:
        window.say(_("The training review is for supervisors."))
        return
    existing = window.findChild(QDialog, "training_review_window")
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return
    dialog = QDialog(window)
    dialog.setObjectName("training_review_window")
    dialog.setWindowTitle(_("Training review"))
    dialog.setAccessibleName(_("Training review"))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    panel = TrainingReviewPanel(
        review, lambda text: window.say(text, speak=False), window.theme, dialog
    )
    window.bridge.status.connect(panel.sync_status)
    QVBoxLayout(dialog).addWidget(panel)
    dialog.finished.connect(lambda _r: panel.shutdown())
    resize_within_screen(dialog, 1300, 800)
    dialog.open()
    panel.people.setFocus()
