"""The training review across two desks on a real server (issue 12): a trainee finishes a
session, the supervisor's review lists it with its score per rubric point and its transcript;
the supervisor's comment, an assignment and a newly published scenario reach the trainee's
training dialog (assignments first). Everything goes through the outbox and the server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.storage import models as m
from csdesk.training.scenario import default_dir
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.training import TrainingDialog
from csdesk.ui.panels.training_review import TrainingReviewPanel
from tests.gui.conftest import Desk
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.server import ServerProcess
from tests.unit.training.paths import GOOD

pytestmark = pytest.mark.timeout(240)
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def _training(qtbot: QtBot, w: MainWindow) -> TrainingDialog:
    w.actions_["training"].trigger()  # Ctrl+T: tests/gui/test_training.py types it
    qtbot.waitUntil(lambda: w.findChild(TrainingDialog) is not None, timeout=5_000)
    dialog = w.findChild(TrainingDialog)
    assert isinstance(dialog, TrainingDialog)
    return dialog


def _review(qtbot: QtBot, w: MainWindow) -> TrainingReviewPanel:
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_G, CTRL | ALT)
    qtbot.waitUntil(lambda: w.findChild(TrainingReviewPanel) is not None, timeout=5_000)
    panel = w.findChild(TrainingReviewPanel)
    assert isinstance(panel, TrainingReviewPanel)
    return panel


def _choose(panel: TrainingReviewPanel, name: str) -> None:
    names = [t.name for t in panel.trainees]
    panel.people.setCurrentRow(names.index(name))


def test_a_session_reaches_the_review_and_feedback_reaches_the_trainee(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    tmp_path: Path,
) -> None:
    robin = desk_factory(demo_server, "trainee")
    said: list[str] = []
    robin.window.announced.connect(said.append)
    robin.window.actions_["training_review"].trigger()  # Ctrl+Alt+G: not for trainees
    assert robin.window.findChild(TrainingReviewPanel) is None
    assert said[-1] == "The training review is for supervisors."
    dialog = _training(qtbot, robin.window)
    qtbot.waitUntil(lambda: dialog.scenario_list.count() >= 5, timeout=10_000)
    with qtbot.waitSignal(dialog.mine_loaded, timeout=15_000) as loaded:
        pass
    # The demo's assignment is listed first, above the scenarios.
    assert loaded.args[0] is not None
    assert dialog.assigned.isVisible()
    assert [a.scenario for a in dialog.assigned.assignments] == ["return-outside-window"]
    assert "assigned by Sam Okafor" in dialog.assigned.list.item(0).text()

    ids = [s.id for s in dialog.scenarios]
    dialog.scenario_list.setCurrentRow(ids.index("where-is-my-order"))
    dialog.start()
    for text, action in GOOD["where-is-my-order"]:
        dialog.reply_box.setPlainText(text)
        if action:
            dialog.action.setCurrentIndex(dialog.action.findData(action))
        dialog.send()
    assert dialog.session is not None and dialog.session.finished
    score = dialog.session.score_card().score
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        pass
    assert saved.args == [True]
    qtbot.waitUntil(robin.synced, timeout=20_000)  # the result reached the server
    dialog.close()

    sam = desk_factory(demo_server, "sam")
    panel = _review(qtbot, sam.window)
    with qtbot.waitSignal(panel.sessions_loaded, timeout=15_000):  # the first in the list
        pass
    assert [t.name for t in panel.trainees] == ["Mateo Ruiz", "Robin Trainee"]
    assert unnamed_focusables(panel) == []
    with qtbot.waitSignal(panel.sessions_loaded, timeout=15_000):
        _choose(panel, "Robin Trainee")
    last = panel.table.rowCount() - 1
    assert panel.table.item(last, 1).text() == "Where is my order?"
    assert panel.table.item(last, 2).text() == str(score)
    points = panel.table.item(last, 3)
    assert points.text() == "100"
    assert points.data(Qt.ItemDataRole.AccessibleTextRole) == "Points covered: 100"
    assert panel.table.rowCount() >= 10  # the demo's earlier weeks too, oldest first
    assert "sessions; total score from" in panel.trend.toPlainText()
    # The Chart tab: the total over the sessions, then one rubric point, each with its table
    # and a sentence (the latest session scored 100 on "Points covered").
    panel.views.setCurrentWidget(panel.chart)
    assert panel.chart.table.model().rowCount() == panel.table.rowCount()
    assert f"to {score} (latest)" in panel.chart.summary.text()
    assert panel.chart.view.accessibleDescription() == panel.chart.summary.text()
    chooser = panel.chart.chooser
    assert chooser is not None
    chooser.setCurrentIndex(chooser.findText("Points covered"))
    assert panel.chart.summary.text().startswith("Points covered:")
    assert "to 100 (latest)" in panel.chart.summary.text()
    qtbot.waitUntil(
        lambda: (
            "Transcript:" in panel.session.text.toPlainText()
            and "Where is it?" in panel.session.text.toPlainText()
        ),
        timeout=15_000,
    )

    # A comment, an assignment and a new scenario, through the outbox.
    panel.session.box.setPlainText("Great apology. Give the tracking number in the same reply.")
    with qtbot.waitSignal(panel.queued, timeout=10_000):
        qtbot.mouseClick(panel.session.send, Qt.MouseButton.LeftButton)
    assert (
        "waiting to be sent"
        in panel.session.comments.item(panel.session.comments.count() - 1).text()
    )
    index = panel.assign.scenario.findData("double-charged")
    panel.assign.scenario.setCurrentIndex(index)
    panel.assign.note.setText("Stay calm with angry callers")
    with qtbot.waitSignal(panel.queued, timeout=10_000):
        qtbot.mouseClick(panel.assign.assign, Qt.MouseButton.LeftButton)
    scenario = json.loads((default_dir() / "where-is-my-order.json").read_text(encoding="utf-8"))
    scenario["id"], scenario["title"] = "gift-wrap-missing", "Gift wrap missing"
    path = tmp_path / "gift.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with qtbot.waitSignal(panel.queued, timeout=10_000):
        panel.publish_file(path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x"}', encoding="utf-8")
    with qtbot.waitSignal(panel.failed, timeout=10_000) as refused:
        panel.publish_file(bad)
    assert "bad.json" in refused.args[0]
    qtbot.waitUntil(sam.synced, timeout=20_000)
    assert sam.engine.outbox.rejected() == []

    def comments() -> list[str]:
        view = panel.session.comments
        return [view.item(n).text() for n in range(view.count())]

    # Once the server has them, the review is fetched again: the server's comment, the
    # assignment as given.
    qtbot.waitUntil(
        lambda: (
            any(c.startswith("Sam Okafor, ") and "Great apology" in c for c in comments())
            and not any("waiting to be sent" in c for c in comments())
        ),
        timeout=15_000,
    )

    def given() -> list[str]:
        return [panel.assign.list.item(n).text() for n in range(panel.assign.list.count())]

    # The assignments are read again on their own (a loaded machine may take a moment).
    qtbot.waitUntil(
        lambda: any(
            "Angry caller charged twice" in g and "assigned by Sam Okafor" in g for g in given()
        ),
        timeout=15_000,
    )

    # The trainee's desk: the scenario arrives by the feed; feedback and assignment show.
    def has_scenario() -> bool:
        with robin.ws.cache.session() as s:
            return (
                s.scalar(
                    select(m.TrainingScenario.id).where(
                        m.TrainingScenario.key == "gift-wrap-missing"
                    )
                )
                is not None
            )

    qtbot.waitUntil(has_scenario, timeout=20_000)
    qtbot.waitUntil(lambda: robin.window.findChild(TrainingDialog) is None, timeout=5_000)
    again = _training(qtbot, robin.window)
    with qtbot.waitSignal(again.mine_loaded, timeout=15_000):
        pass
    qtbot.waitUntil(lambda: again.scenario_list.count() >= 6, timeout=10_000)
    titles = [again.scenario_list.item(n).text() for n in range(again.scenario_list.count())]
    assert any(t.startswith("Gift wrap missing") for t in titles)
    assigned = [again.assigned.list.item(n).text() for n in range(again.assigned.list.count())]
    assert any("Angry caller charged twice" in a and "Stay calm" in a for a in assigned)
    history = [again.history_list.item(n).text() for n in range(again.history_list.count())]
    assert any(
        "Where is my order?" in h
        and "Feedback from Sam Okafor: Great apology. Give the tracking number" in h
        for h in history
    )
    # Starting the assignment (Enter on it) opens that scenario.
    again.assigned.list.setFocus()
    row = next(n for n, a in enumerate(assigned) if "Angry caller" in a)
    again.assigned.list.setCurrentRow(row)
    qtbot.keyClick(again.assigned.list, Qt.Key.Key_Return)
    assert again.session is not None and again.session.scenario.id == "double-charged"
    again.close()


def test_an_assignment_reaches_the_open_training_dialog_and_is_announced(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """While the trainee has training open, a supervisor's new assignment is told on the
    desk (a floor message: shown and announced) and the open dialog lists it, no reopening."""
    import uuid

    from csdesk.domain.enums import Role
    from tests.gui.conftest import PASSWORD
    from tests.helpers.http import Raw
    from tests.helpers.server import TestUser

    robin = desk_factory(demo_server, "trainee")
    dialog = _training(qtbot, robin.window)
    with qtbot.waitSignal(dialog.mine_loaded, timeout=15_000):
        pass
    sam = Raw.signed_in(demo_server, TestUser("sam", PASSWORD, Role.SUPERVISOR))
    trainee = robin.window.ws.me.id
    args = {"assignment_id": str(uuid.uuid4()), "trainee_id": trainee,
            "scenario": "address-change-after-dispatch", "note": "Before Friday"}  # fmt: skip
    with qtbot.waitSignal(robin.window.floor_desk.note_shown, timeout=40_000) as shown:
        [result] = sam.push(("training.assign", args))
        assert result["status"] == "applied", result
    assert shown.args[0].startswith("Message from Sam Okafor: assigned you")
    assert "Before Friday" in shown.args[0]

    def listed() -> bool:
        items = [dialog.assigned.list.item(n).text() for n in range(dialog.assigned.list.count())]
        return any("Before Friday" in a for a in items)

    qtbot.waitUntil(listed, timeout=20_000)
    dialog.close()
