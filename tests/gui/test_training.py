"""Training mode in the window: opened by Ctrl+T, played by keyboard, customer lines announced
and spoken by the agent's rules, a score card with feedback, and never a request to the sync
server nor a write to the cache."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk.training.history import FILE_NAME
from csdesk.training.scenario import default_dir
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.training import TrainingDialog
from tests.a11y.conftest import (  # noqa: F401  (fixtures, found by name)
    SpeakingDesk,
    no_stale_windows,
    speaking_desk,
)
from tests.gui.conftest import PASSWORD, Desk
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.server import ServerProcess
from tests.unit.training.paths import GOOD, StepClock

pytestmark = pytest.mark.timeout(120)
CTRL = Qt.KeyboardModifier.ControlModifier
Make = Callable[..., SpeakingDesk]


def _open(qtbot: QtBot, w: MainWindow) -> TrainingDialog:
    # The shortcut reaches the window through its focus widget: this window active, the list
    # focused (another test's window on this worker may still be the active one).
    w.activateWindow()
    w.inbox.list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.inbox.list, timeout=5_000)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_T, CTRL)
    qtbot.waitUntil(lambda: w.findChild(TrainingDialog) is not None, timeout=5_000)
    dialog = w.findChild(TrainingDialog)
    assert isinstance(dialog, TrainingDialog)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.scenario_list.count() >= 5, timeout=10_000)
    return dialog


def _pick(qtbot: QtBot, dialog: TrainingDialog, scenario_id: str) -> None:
    """Arrow down to the scenario and press Enter, as an agent would."""
    ids = [s.id for s in dialog.scenarios]
    dialog.scenario_list.setFocus()
    qtbot.keyClick(dialog.scenario_list, Qt.Key.Key_Home)
    for _ in range(ids.index(scenario_id)):
        qtbot.keyClick(dialog.scenario_list, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.scenario_list, Qt.Key.Key_Return)
    assert dialog.session is not None and dialog.session.scenario.id == scenario_id


def _reply(qtbot: QtBot, dialog: TrainingDialog, text: str, action: str | None) -> None:
    """Type the reply, Tab to the action list and arrow to the action, Ctrl+Return sends.

    QTest types ASCII only (it aborts on other characters), so curly apostrophes go straight."""
    text = text.replace("’", "'")
    dialog.reply_box.setFocus()
    qtbot.keyClicks(dialog.reply_box, text)
    if action is not None:
        qtbot.keyClick(dialog.reply_box, Qt.Key.Key_Tab)
        assert dialog.action.hasFocus()
        while dialog.action.currentData() != action:
            qtbot.keyClick(dialog.action, Qt.Key.Key_Down)
        qtbot.keyClick(dialog.action, Qt.Key.Key_Return, CTRL)
    else:
        qtbot.keyClick(dialog.reply_box, Qt.Key.Key_Return, CTRL)


def _transcript(dialog: TrainingDialog) -> list[str]:
    return [dialog.transcript.item(n).text() for n in range(dialog.transcript.count())]


def test_a_keyboard_session_is_announced_spoken_scored_and_saved(
    qtbot: QtBot,
    demo_server: ServerProcess,
    speaking_desk: Make,  # noqa: F811
) -> None:
    desk = speaking_desk(demo_server, speak_inbound="none", speak_sla_warnings=False)
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    dialog = _open(qtbot, w)
    assert unnamed_focusables(dialog) == []
    first = dialog.scenario_list.item(0)
    assert first.data(Qt.ItemDataRole.AccessibleTextRole).startswith(
        "Where is my order? — channel: chat, difficulty: easy. A customer"
    )

    _pick(qtbot, dialog, "where-is-my-order")
    assert dialog.reply_box.hasFocus()
    assert unnamed_focusables(dialog) == []
    assert "Maya Lindqvist" in dialog.card.text() and "SO-10482" in dialog.card.text()
    opening = "Maya Lindqvist says: Hi, I ordered a floor lamp over a week ago"
    lines = _transcript(dialog)
    assert len(lines) == 1 and lines[0].startswith("Customer, ")
    assert lines[0].endswith(
        ": Hi, I ordered a floor lamp over a week ago and it still hasn't arrived. Where is it?"
    )
    assert any(s.startswith(opening) for s in said)  # announced
    assert any(q.startswith(opening) for q in desk.queued)  # and spoken (the setting is on)

    qtbot.keyClick(dialog.reply_box, Qt.Key.Key_H, CTRL)  # a hint
    assert dialog.hint_label.text().startswith("Hint: Apologise for the wait")
    assert said[-1].startswith("Hint: ")

    for n, (text, action) in enumerate(GOOD["where-is-my-order"]):
        before = dialog.transcript.count()
        _reply(qtbot, dialog, text, action)
        lines = _transcript(dialog)
        assert lines[before].startswith("You, ") and text.replace("’", "'") in lines[before]
        if n == 0:
            assert lines[before + 1].endswith(": Yes, that's the one: SO-10482.")
            assert said[-1] == "Maya Lindqvist says: Yes, that's the one: SO-10482."
            assert desk.queued[-1] == "Maya Lindqvist says: Yes, that's the one: SO-10482."
            assert dialog.reply_box.toPlainText() == ""
    assert "(Action: Resolve the conversation)" in _transcript(dialog)[-1]
    # Long lines wrap inside the list: no "…", no sideways scrolling (the review's shift).
    view = dialog.transcript
    view.doItemsLayout()
    assert view.horizontalScrollBar().maximum() == 0
    dialog.resize(dialog.width() * 3 // 4, dialog.height())  # narrower: lines wrap again
    view.doItemsLayout()
    assert view.horizontalScrollBar().maximum() == 0
    metrics = view.fontMetrics()
    for n in range(view.count()):
        rect = view.visualItemRect(view.item(n))
        needed = metrics.boundingRect(
            QRect(0, 0, rect.width(), 100_000), Qt.TextFlag.TextWordWrap, view.item(n).text()
        )
        assert rect.height() >= needed.height(), view.item(n).text()  # every line shown
    assert view.textElideMode() == Qt.TextElideMode.ElideNone

    # The score card: visible, focused, readable, with specific feedback.
    assert dialog.session is not None and dialog.session.finished
    assert dialog.score.isVisible() and dialog.score.hasFocus()
    card = dialog.score.toPlainText().splitlines()
    assert card[0] == "Where is my order? — 95 out of 100, Excellent."
    assert "Good: you remembered to confirm which order it is." in card
    assert "Good: you apologised or showed you understand how the customer feels." in card
    assert "You used 1 hint (5 points)." in card
    assert said[-1].startswith("Session over: 95 out of 100, Excellent.")
    assert not dialog.send_button.isEnabled() and dialog.reply_box.isReadOnly()

    # Saved in the client's data directory, and listed in the history.
    qtbot.waitUntil(lambda: "95 out of 100" in dialog.history_list.item(0).text(), timeout=5_000)
    saved = Path(os.environ["CSDESK_DATA_DIR"]) / FILE_NAME
    record = json.loads(saved.read_text(encoding="utf-8").splitlines()[-1])
    assert record["scenario"] == "where-is-my-order" and record["score"] == 95

    # Back to the list, then Escape: the focus returns where it was.
    qtbot.keyClick(dialog.back_button, Qt.Key.Key_Space)
    assert dialog.scenario_list.hasFocus()
    # (From the server once it has it; until then this desk's copy, "waiting to be sent".)
    assert "Where is my order?, 95 out of 100, Excellent." in dialog.history_list.item(0).text()
    qtbot.keyClick(dialog.scenario_list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.findChild(TrainingDialog) is None, timeout=5_000)
    assert w.focusWidget() is w.inbox.list
    assert w.actions_["training"].shortcut().toString() == "Ctrl+T"


def test_lines_are_announced_but_not_spoken_when_the_setting_is_off(
    qtbot: QtBot,
    demo_server: ServerProcess,
    speaking_desk: Make,  # noqa: F811
) -> None:
    desk = speaking_desk(
        demo_server, speak_inbound="none", speak_sla_warnings=False, speak_training_lines=False
    )
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    dialog = _open(qtbot, w)
    _pick(qtbot, dialog, "double-charged")
    shown: list[str] = []
    dialog.customer_line.connect(shown.append)
    _reply(qtbot, dialog, "Calm down please.", None)  # missed: the caller gets angrier
    assert shown and shown[-1].startswith("Priya Raman says: Are you even listening")
    assert shown[-1] in said
    assert not any("Priya Raman says" in q for q in desk.queued)
    qtbot.keyClick(
        dialog.reply_box, Qt.Key.Key_E, CTRL | Qt.KeyboardModifier.ShiftModifier
    )  # end the session early
    assert dialog.score.toPlainText().startswith("Angry caller charged twice — ")
    assert "You ended the session before the customer's problem was settled." in (
        dialog.score.toPlainText()
    )


def test_bad_input_keeps_the_text_and_bad_files_are_named(qtbot: QtBot, tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    good = default_dir() / "where-is-my-order.json"
    (folder / good.name).write_text(good.read_text(encoding="utf-8"), encoding="utf-8")
    broken = json.loads(good.read_text(encoding="utf-8"))
    broken["id"] = "broken"
    broken["steps"][0]["on"]["met"] = "nowhere"
    (folder / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    said: list[str] = []
    clock = StepClock()
    dialog = TrainingDialog(
        lambda text, _speak: said.append(text),
        scenarios_dir=folder,
        data_dir=lambda: tmp_path / "data",
        clock=clock,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.scenario_list.count() == 1, timeout=5_000)
    status = dialog.load_status.text()
    assert "broken.json" in status and "step 'opening' leads to unknown step 'nowhere'" in status
    assert said and "broken.json" in said[-1]

    dialog.start()
    dialog.reply_box.setFocus()
    qtbot.keyClicks(dialog.reply_box, "   ")
    qtbot.keyClick(dialog.reply_box, Qt.Key.Key_Return, CTRL)
    assert dialog.error.text() == "Write a reply before sending it."
    assert dialog.reply_box.toPlainText() == "   "  # nothing typed is lost
    assert dialog.transcript.count() == 1
    assert _transcript(dialog)[0].startswith(
        "Customer, " + clock.now.astimezone().strftime("%H:%M") + ": "
    )
    dialog.close()


def _cache_digest(path: Path) -> str:
    """Every row of the cache but the outbox's (where the training result waits)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = [
            line
            for line in conn.iterdump()
            if not line.startswith(('INSERT INTO "outbox"', 'INSERT INTO "sqlite_sequence"'))
            and "'sqlite_sequence'" not in line
        ]
        return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _outbox(path: Path) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT type, args FROM outbox ORDER BY seq").fetchall()
    return [(t, json.loads(a)) for t, a in rows]


def _feed_head(server: ServerProcess) -> int:
    token = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "demo", "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    page = requests.get(
        f"{server.url}/api/v1/changes",
        params={"after": 0, "limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    return int(page["head"])


def test_a_whole_training_session_touches_no_production_data(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = desk_factory(demo_server)
    w = desk.window
    # Quiet the window's own traffic (sync loop, presence heartbeat, clock), so any request
    # made from here on could only come from training.
    assert desk.engine.stop(5)
    w.collision.stop()
    w._clock.stop()
    # News the sync loop delivered before it stopped may still be queued (a supervisor's
    # message is then fetched): let it land, twice over, before counting requests.
    for _round in range(2):
        QApplication.processEvents()
        qtbot.waitUntil(lambda: w.tasks.in_flight == 0, timeout=10_000)
    head = _feed_head(demo_server)
    cache_path = desk.engine.cache.path
    digest = _cache_digest(cache_path)
    sent: list[str] = []
    real_send = requests.Session.send

    def recording_send(self: requests.Session, request: Any, **kw: Any) -> Any:
        sent.append(f"{request.method} {request.url}")
        return real_send(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", recording_send)

    dialog = _open(qtbot, w)
    for scenario_id in ("where-is-my-order", "damaged-item-refund"):
        _pick(qtbot, dialog, scenario_id)
        for text, action in GOOD[scenario_id]:
            _reply(qtbot, dialog, text, action)
        assert dialog.session is not None and dialog.session.finished
        with qtbot.waitSignal(dialog.saved, timeout=5_000) as saved:
            pass
        assert saved.args == [True]
        qtbot.keyClick(dialog.back_button, Qt.Key.Key_Space)
    QApplication.processEvents()

    # Checked with the dialog still open: closing it gives the inbox its focus back, and the
    # inbox then opens a conversation as it always does (a read mark): that is not training.
    # The only requests: the trainee's own assignments and feedback (the sync loop is
    # stopped here, so the results wait in the outbox).
    assert sent and {s.split(" ")[0] + " " + s.split("/", 3)[3] for s in sent} == {
        "GET api/v1/training/mine"
    }
    monkeypatch.setattr(requests.Session, "send", real_send)  # (undo() would drop the dirs)
    assert _feed_head(demo_server) == head
    assert _cache_digest(cache_path) == digest  # no customer, conversation or message row
    queued = _outbox(cache_path)
    assert [t for t, _a in queued] == ["training.record", "training.record"]
    assert [a["scenario"] for _t, a in queued] == ["where-is-my-order", "damaged-item-refund"]
    results = (Path(os.environ["CSDESK_DATA_DIR"]) / FILE_NAME).read_text(encoding="utf-8")
    assert len(results.splitlines()) == 2
    assert not any(
        p.name.startswith("cache") for p in Path(os.environ["CSDESK_DATA_DIR"]).iterdir()
    )
    qtbot.keyClick(dialog.scenario_list, Qt.Key.Key_Escape)


def test_an_unreadable_history_is_a_notice_not_a_crash(qtbot: QtBot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / FILE_NAME).mkdir(parents=True)  # a folder where the file should be
    said: list[str] = []
    dialog = TrainingDialog(lambda text, _speak: said.append(text), data_dir=lambda: data)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.history_loaded, timeout=5_000):
        dialog.show()
    assert (
        dialog.history_list.item(0)
        .text()
        .startswith("The local training history could not be read")
    )
    assert any(s.startswith("The local training history could not be read") for s in said)
    qtbot.waitUntil(lambda: dialog.scenario_list.count() >= 5, timeout=5_000)  # training goes on
    dialog.close()
