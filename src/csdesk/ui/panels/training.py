"""Training mode: a dialog over a :class:`~csdesk.training.TrainingSession`, nothing more.

The rules (what a reply must cover, which way the customer goes, the score) live in the Qt-free
``csdesk.training`` package; this view shows the scenario list, the transcript, the reply box,
the customer card and the score card. It never reaches the workstation, the sync engine or the
cache: training must not touch real customers or production data. Disk work (reading the
scenarios, the history file) runs in the dialog's own :class:`~csdesk.ui.tasks.Tasks`.

On a signed-in desk (``desk``, a :class:`~csdesk.app.training.TrainingDesk`) the scenarios are
the server's, a finished session is also recorded under the trainee's name (the
``training.record`` action, through the outbox), the local history is brought over once, and
the dialog shows what a supervisor sent back: assignments first, comments with the sessions.

Each new customer line is announced to screen readers through the window's ``say`` and spoken
through the :class:`~csdesk.ui.speech_bridge.Speaker` as a training line, so the agent's
"speak the training customer's lines" setting and the screen-reader rule decide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk import embedded
from csdesk.app.training import MyTraining, TrainingDesk
from csdesk.app.training_import import ImportReport, import_history
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity
from csdesk.speech.policy import SpeechEventKind, training_line_announcement
from csdesk.sync.events import ChangeSet
from csdesk.training import (
    ACTIONS,
    CUSTOMER,
    History,
    HistoryEntry,
    Line,
    ReplyError,
    Scenario,
    TrainingSession,
    load_scenarios,
)
from csdesk.training.history import FILE_NAME
from csdesk.training.scenario import DIFFICULTIES
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.panels.training_mine import AssignedList, result_sentence
from csdesk.ui.panels.training_text import (
    channel_name,
    history_sentence,
    line_text,
    scenario_sentence,
)
from csdesk.ui.plain_text import PlainLabel, plain_tip
from csdesk.ui.tasks import Tasks

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.speech_bridge import Speaker

__all__ = ["TrainingDialog", "channel_name", "open_training"]

Say = Callable[[str, bool], None]  # (text, also speak it as an announcement)


def _now() -> datetime:
    return datetime.now(UTC)


def _wrap_whole_lines(view: QListWidget) -> None:
    """Long lines wrap to the list's width: never cut with "…", never a sideways scroll bar
    (a trainee re-reading what the customer said must see all of it)."""
    view.setWordWrap(True)
    view.setTextElideMode(Qt.TextElideMode.ElideNone)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setResizeMode(QListWidget.ResizeMode.Adjust)
    view.setUniformItemSizes(False)


class TrainingDialog(QDialog):
    """Signals: ``customer_line(str)`` — a customer line was shown (its announcement);
    ``session_finished(object)`` — a :class:`~csdesk.training.ScoreCard`;
    ``history_loaded(int)`` — the past-sessions list was (re)filled with this many rows;
    ``saved(bool)`` — the result was (or could not be) written to the history file (and,
    on a signed-in desk, queued for the server); ``mine_loaded(object)`` — the server's
    :class:`~csdesk.app.training.MyTraining` was shown (None: it could not be fetched)."""

    customer_line = Signal(str)
    session_finished = Signal(object)
    history_loaded = Signal(int)
    saved = Signal(bool)
    mine_loaded = Signal(object)

    def __init__(
        self,
        say: Say,
        speaker: Speaker | None = None,
        *,
        scenarios_dir: Path | None = None,
        data_dir: Callable[[], Path] = embedded.data_dir,
        clock: Callable[[], datetime] = _now,
        desk: TrainingDesk | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._say, self.speaker, self.desk = say, speaker, desk
        self.scenarios_dir, self.data_dir, self.clock = scenarios_dir, data_dir, clock
        self.tasks = Tasks(self)
        self.scenarios: list[Scenario] = []
        self.session: TrainingSession | None = None
        #: Results finished here, (id, sentence): listed until the server's list has them.
        self._finished_here: list[tuple[str, str]] = []
        self.setObjectName("training_dialog")
        self.setWindowTitle(_("Training mode"))
        self.setAccessibleName(_("Training mode"))
        self.setAccessibleDescription(
            _("Simulated customers only: nothing here reaches real customers or the server.")
        )
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._choose_page())
        self.pages.addWidget(self._session_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.registry = ActionRegistry(self)
        self.registry.bind("send", self.send)
        self.registry.bind("training_hint", self.show_hint)
        self.registry.bind("training_end", self.end_session)
        self.registry.enable(["send", "training_hint", "training_end"], False)
        self.resize(900, 700)
        self.load()

    # --- building -----------------------------------------------------------------------

    def _button(self, name: str, text: str, description: str, parent: QWidget) -> QPushButton:
        button = QPushButton(text, parent)
        button.setObjectName(name)
        button.setAccessibleName(text.replace("&", ""))
        button.setAccessibleDescription(description)
        button.setAutoDefault(False)
        return button

    def _choose_page(self) -> QWidget:
        page = QWidget(self)
        self.assigned = AssignedList(page)
        self.assigned.chosen.connect(self.start_scenario)
        heading = PlainLabel(_("&Scenarios"), page)
        self.scenario_list = QListWidget(page)
        self.scenario_list.setObjectName("training_scenarios")
        self.scenario_list.setAccessibleName(_("Scenarios"))
        self.scenario_list.setAccessibleDescription(_("Enter starts the chosen scenario."))
        _wrap_whole_lines(self.scenario_list)
        heading.setBuddy(self.scenario_list)
        self.load_status = PlainLabel(_("Loading scenarios…"), page)
        self.load_status.setObjectName("training_load_status")
        self.load_status.setWordWrap(True)
        self.start_button = self._button(
            "training_start", _("S&tart"), _("Start the chosen scenario"), page
        )
        self.start_button.setEnabled(False)
        past = PlainLabel(_("&Past sessions"), page)
        self.history_list = QListWidget(page)
        self.history_list.setObjectName("training_history")
        self.history_list.setAccessibleName(_("Past sessions"))
        _wrap_whole_lines(self.history_list)
        past.setBuddy(self.history_list)
        close = self._button("training_close", _("&Close"), _("Close training mode"), page)
        self.scenario_list.itemActivated.connect(lambda _item: self.start())
        self.start_button.clicked.connect(self.start)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.server_status = PlainLabel(page)
        self.server_status.setObjectName("training_server_status")
        self.server_status.setWordWrap(True)
        self.server_status.hide()
        layout = QVBoxLayout(page)
        layout.addWidget(self.assigned)
        layout.addWidget(heading)
        layout.addWidget(self.scenario_list, 3)
        layout.addWidget(self.load_status)
        layout.addLayout(buttons)
        layout.addWidget(past)
        layout.addWidget(self.history_list, 2)
        layout.addWidget(self.server_status)
        return page

    def _session_page(self) -> QWidget:
        page = QWidget(self)
        self.header = PlainLabel(page)
        self.header.setObjectName("training_header")
        self.header.setWordWrap(True)
        card = QGroupBox(_("Customer"), page)
        self.card = PlainLabel(card)
        self.card.setObjectName("training_customer_card")
        self.card.setWordWrap(True)
        self.card.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # Focusable and readable line by line, like the settings' engine status; a content
        # label keeps its text as its name (naming it would hide the text from Orca).
        self.card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.card.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        QVBoxLayout(card).addWidget(self.card)
        said = PlainLabel(_("T&ranscript"), page)
        self.transcript = QListWidget(page)
        self.transcript.setObjectName("training_transcript")
        self.transcript.setAccessibleName(_("Transcript"))
        _wrap_whole_lines(self.transcript)
        said.setBuddy(self.transcript)
        self.hint_label = PlainLabel(page)
        self.hint_label.setObjectName("training_hint_text")
        self.hint_label.setWordWrap(True)
        reply_label = PlainLabel(_("&Your reply"), page)
        self.reply_box = QPlainTextEdit(page)
        self.reply_box.setObjectName("training_reply")
        self.reply_box.setAccessibleName(_("Your reply"))
        self.reply_box.setAccessibleDescription(_("Ctrl+Return sends the reply."))
        self.reply_box.setTabChangesFocus(True)
        reply_label.setBuddy(self.reply_box)
        action_label = PlainLabel(_("&Action with this reply"), page)
        self.action = QComboBox(page)
        self.action.setObjectName("training_action")
        self.action.setAccessibleName(_("Action with this reply"))
        self.action.addItem(_("No action"), "")
        for key, (label, *_rest) in ACTIONS.items():
            self.action.addItem(_(label), key)
        action_label.setBuddy(self.action)
        self.error = PlainLabel(page)
        self.error.setObjectName("training_error")
        self.error.setWordWrap(True)
        self.send_button = self._button(
            "training_send", _("Send"), _("Send the reply (Ctrl+Return)"), page
        )
        self.hint_button = self._button(
            "training_hint", _("Hint"), _("Show a hint for the customer's line (Ctrl+H)"), page
        )
        self.end_button = self._button(
            "training_end",
            _("End session"),
            _("End now and see the score card (Ctrl+Shift+E)"),
            page,
        )
        self.score_label = PlainLabel(_("Score &card"), page)
        self.score_label.hide()
        self.score = QPlainTextEdit(page)
        self.score.setObjectName("training_score_card")
        self.score.setAccessibleName(_("Score card"))
        self.score.setReadOnly(True)
        self.score.setTabChangesFocus(True)
        self.score.hide()
        self.score_label.setBuddy(self.score)
        self.back_button = self._button(
            "training_back", _("&Back to scenarios"), _("Choose another scenario"), page
        )
        self.back_button.hide()
        self.send_button.clicked.connect(self.send)
        self.hint_button.clicked.connect(self.show_hint)
        self.end_button.clicked.connect(self.end_session)
        self.back_button.clicked.connect(self.back)
        row = QHBoxLayout()
        row.addWidget(action_label)
        row.addWidget(self.action, 1)
        row.addWidget(self.send_button)
        row.addWidget(self.hint_button)
        row.addWidget(self.end_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.header)
        top = QHBoxLayout()
        talk = QVBoxLayout()
        talk.addWidget(said)
        talk.addWidget(self.transcript, 1)
        top.addLayout(talk, 3)
        top.addWidget(card, 2)
        layout.addLayout(top, 3)
        layout.addWidget(self.hint_label)
        layout.addWidget(reply_label)
        layout.addWidget(self.reply_box, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.score_label)
        layout.addWidget(self.score, 2)
        layout.addWidget(self.back_button)
        return page

    # --- loading ------------------------------------------------------------------------

    def load(self) -> None:
        folder, desk = self.scenarios_dir, self.desk
        if desk is not None and folder is None:
            self.tasks.run(desk.scenarios, self._scenarios_loaded, self._load_failed)
        else:
            self.tasks.run(
                lambda: load_scenarios(folder), self._scenarios_loaded, self._load_failed
            )
        self.load_history()
        if desk is not None:
            data_dir = self.data_dir
            # Through the write lane: the import queues actions, in order with the results.
            self.tasks.write(lambda: import_history(desk, data_dir()), self._imported)

    def _imported(self, report: ImportReport) -> None:
        notice = report.notice()
        if notice:
            self._server_notice(notice)
        self.load_mine()

    def on_changes(self, changes: ChangeSet) -> None:
        """Sync news while open: a notice to me (a supervisor's comment on a session, a new
        assignment: the server tells both as floor messages) loads my sessions again."""
        if changes.ids(Entity.FLOOR_MESSAGE):
            self.load_mine()

    def load_mine(self) -> None:
        """Ask the server for my sessions (with comments) and my assignments."""
        if self.desk is not None:
            self.tasks.run(self.desk.mine, self._mine_loaded, self._mine_failed)

    def _server_notice(self, text: str) -> None:
        self.server_status.setText(text)
        self.server_status.show()
        self._say(text, False)

    def _mine_loaded(self, mine: MyTraining) -> None:
        self.assigned.show_assignments(mine.assignments)
        known = {r.id for r in mine.results}
        unsent = [(i, text) for i, text in self._finished_here if i not in known]
        if mine.results or unsent:
            self.history_list.clear()
            for ident, text in reversed(unsent):
                waiting = (
                    _("{session} (waiting to be sent)").format(session=text)
                    if ident in mine.unsent
                    else text
                )
                item = QListWidgetItem(waiting)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, waiting)
                self.history_list.addItem(item)
            for result in mine.results:
                sentence = result_sentence(result)
                item = QListWidgetItem(sentence)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
                item.setToolTip(plain_tip(sentence))
                self.history_list.addItem(item)
        if mine.assignments:
            n = len(mine.assignments)
            self._say(
                ngettext(
                    "{n} scenario is assigned to you; it is listed first.",
                    "{n} scenarios are assigned to you; they are listed first.",
                    n,
                ).format(n=n),
                False,
            )
        self.mine_loaded.emit(mine)

    def _mine_failed(self, exc: Exception) -> None:
        self._server_notice(
            _(
                "Assignments and feedback could not be fetched ({error}); this computer's "
                "history is shown."
            ).format(error=exc)
        )
        self.mine_loaded.emit(None)

    def _history(self) -> History:
        return History(self.data_dir() / FILE_NAME)

    def load_history(self) -> None:
        self.tasks.run(
            lambda: self._history().entries(), self._history_loaded, self._history_failed
        )

    def _history_failed(self, exc: Exception) -> None:
        """An unreadable history file (a folder, no permission): a notice, training goes on."""
        self.history_list.clear()
        text = _("The local training history could not be read: {error}").format(error=exc)
        self.history_list.addItem(text)
        self._say(text, False)
        self.history_loaded.emit(0)

    def _scenarios_loaded(self, result: tuple[list[Scenario], list[str]]) -> None:
        self.scenarios, problems = result
        self.scenario_list.clear()
        for scenario in self.scenarios:
            item = QListWidgetItem(
                _("{title} — {channel}, {difficulty}").format(
                    title=scenario.title,
                    channel=channel_name(scenario.channel),
                    difficulty=_(DIFFICULTIES[scenario.difficulty]),
                )
            )
            sentence = scenario_sentence(scenario)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            item.setToolTip(plain_tip(sentence))
            self.scenario_list.addItem(item)
        if self.scenarios:
            self.scenario_list.setCurrentRow(0)
        self.start_button.setEnabled(bool(self.scenarios))
        lines = [] if self.scenarios else [_("No training scenarios were found.")]
        if problems:
            lines.append(_("Some scenarios could not be loaded:"))
            lines.extend(problems)
        self.load_status.setText("\n".join(lines))
        if problems or not self.scenarios:
            self._say(" ".join(lines), False)
        self.scenario_list.setFocus()

    def _load_failed(self, exc: Exception) -> None:
        text = _("Could not read the training scenarios: {error}").format(error=exc)
        self.load_status.setText(text)
        self._say(text, False)

    def _history_loaded(self, result: tuple[list[HistoryEntry], int]) -> None:
        entries, skipped = result
        self.history_list.clear()
        for entry in entries:
            item = QListWidgetItem(history_sentence(entry))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, history_sentence(entry))
            # The feedback as the row's description: read by a screen reader, not only hovered.
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, " ".join(entry.feedback))
            item.setToolTip(plain_tip("\n".join(entry.feedback)))
            self.history_list.addItem(item)
        if not entries:
            self.history_list.addItem(_("No training sessions yet."))
        if skipped:
            self.history_list.addItem(
                ngettext(
                    "{n} damaged line of the history file was skipped.",
                    "{n} damaged lines of the history file were skipped.",
                    skipped,
                ).format(n=skipped)
            )
        self.history_loaded.emit(len(entries))

    # --- a session ----------------------------------------------------------------------

    def start_scenario(self, scenario_id: str) -> None:
        """Start the scenario with this id (an assignment's), if this desk has it."""
        ids = [s.id for s in self.scenarios]
        if scenario_id not in ids:
            self._say(_("This scenario is not on this desk yet; try again after syncing."), False)
            return
        self.scenario_list.setCurrentRow(ids.index(scenario_id))
        self.start()

    def start(self) -> None:
        row = self.scenario_list.currentRow()
        if not 0 <= row < len(self.scenarios):
            self._say(_("Choose a scenario first."), False)
            return
        scenario = self.scenarios[row]
        self.session = TrainingSession(scenario, self.clock)
        self.header.setText(scenario_sentence(scenario))
        facts = [_("Name: {name}").format(name=scenario.customer.name)]
        facts += [f"{label}: {value}" for label, value in scenario.customer.facts]
        self.card.setText("\n".join(facts))
        self.transcript.clear()
        self.hint_label.clear()
        self.error.clear()
        self.reply_box.clear()
        self.reply_box.setReadOnly(False)
        self.action.setCurrentIndex(0)
        self.score.hide()
        self.score_label.hide()
        self.back_button.hide()
        for widget in (self.send_button, self.hint_button, self.end_button, self.action):
            widget.setEnabled(True)
        self.registry.enable(["send", "training_hint", "training_end"], True)
        self.pages.setCurrentIndex(1)
        self._say(_("Training started: {title}.").format(title=scenario.title), False)
        self._show(self.session.start())
        self.reply_box.setFocus()
        self._check_finished()

    def _show(self, line: Line) -> None:
        item = QListWidgetItem(line_text(line))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, line_text(line))
        self.transcript.addItem(item)
        self.transcript.scrollToItem(item)
        if line.speaker != CUSTOMER or self.session is None:
            return
        heard = training_line_announcement(self.session.scenario.customer.name, line.text)
        self._say(heard, False)
        if self.speaker is not None:
            self.speaker.automatic(SpeechEventKind.TRAINING_LINE, heard)
        self.customer_line.emit(heard)

    def send(self) -> None:
        session = self.session
        if session is None or session.finished:
            return
        text = self.reply_box.toPlainText()
        action = str(self.action.currentData() or "")
        try:
            turn = session.reply(text, [action] if action else [])
        except ReplyError as exc:  # the text stays in the box: nothing typed is lost
            self.error.setText(str(exc))
            self._say(str(exc), False)
            self.reply_box.setFocus()
            return
        self.error.clear()
        self.hint_label.clear()
        self.reply_box.clear()
        self.action.setCurrentIndex(0)
        self._show(session.lines[-2] if turn.customer is not None else session.lines[-1])
        if turn.customer is not None:
            self._show(turn.customer)
        self._check_finished()

    def show_hint(self) -> None:
        if self.session is None or self.session.finished:
            return
        hint = self.session.hint() or _("There is no hint for this line.")
        self.hint_label.setText(_("Hint: {hint}").format(hint=hint))
        self._say(_("Hint: {hint}").format(hint=hint), False)

    def end_session(self) -> None:
        if self.session is None or self.session.finished:
            return
        self.session.end()
        self._check_finished()

    def _check_finished(self) -> None:
        session = self.session
        if session is None or not session.finished:
            return
        card = session.score_card()
        for widget in (self.send_button, self.hint_button, self.end_button, self.action):
            widget.setEnabled(False)
        self.registry.enable(["send", "training_hint", "training_end"], False)
        self.reply_box.setReadOnly(True)
        self.score.setPlainText(card.text(session.scenario.title))
        self.score.show()
        self.score_label.show()
        self.back_button.show()
        self.score.setFocus()
        self._say(
            _("Session over: {score} out of 100, {grade}. The score card has the feedback.").format(
                score=card.score, grade=card.grade
            ),
            True,
        )
        record = session.record()
        desk = self.desk
        if desk is not None:
            record["user_id"] = desk.me
            finished = session.finished_at or self.clock()
            entry = _("{when}: {title}, {score} out of 100, {grade}.").format(
                when=finished.astimezone().strftime("%Y-%m-%d %H:%M"),
                title=session.scenario.title,
                score=card.score,
                grade=card.grade,
            )
            self._finished_here.append((str(record["id"]), entry))

        def keep() -> None:
            self._history().append(record)  # the local cache first: nothing is lost offline
            if desk is not None:
                desk.record(record)

        self.tasks.write(keep, self._saved, self._not_saved)
        self.session_finished.emit(card)

    def _saved(self, _result: None) -> None:
        self.saved.emit(True)
        self.load_history()
        self.load_mine()

    def _not_saved(self, exc: Exception) -> None:
        text = _("The result could not be saved: {error}").format(error=exc)
        self.error.setText(text)
        self._say(text, False)
        self.saved.emit(False)

    def back(self) -> None:
        self.session = None
        self.pages.setCurrentIndex(0)
        self.scenario_list.setFocus()

    def done(self, result: int) -> None:
        self.tasks.shutdown()  # queued history writes still complete
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.shutdown()
        super().closeEvent(event)


def open_training(window: MainWindow) -> None:
    """Open (or bring back) the training dialog; focus returns where it was when it closes."""
    existing = window.findChild(TrainingDialog)
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return
    focus = window.focusWidget()
    speaker = window.speech.speaker if window.speech is not None else None
    dialog = TrainingDialog(
        lambda text, speak: window.say(text, speak=speak),
        speaker,
        desk=TrainingDesk(window.ws),
        parent=window,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.bridge.changes.connect(dialog.on_changes)  # a bound slot: gone with the dialog

    def closed(_result: int) -> None:
        if focus is not None:
            window.activateWindow()
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    dialog.finished.connect(closed)
    dialog.open()  # window-modal without a nested event loop
