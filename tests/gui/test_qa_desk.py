"""Quality review on the desk, by keyboard, against a real server (issue 12): the supervisor
reviews a conversation (Ctrl+Alt+R: a score per criterion, a comment on a message, an overall
comment, the live weighted score, Save) and the agent who handled it finds it under "My
reviews" (Ctrl+Alt+M) with the scores and the comments beside the messages; the supervisor
edits the rubric (Ctrl+Alt+U), which makes a new version; an agent cannot review."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.domain.enums import Direction, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(180)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
ALT = Qt.KeyboardModifier.AltModifier


@dataclass
class Shop:
    server: ServerProcess
    db_url: str
    conversation_id: str  # handled by the demo agent, not reviewed yet
    demo_id: str


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("qa")
    url = seed_demo_db(d / "demo.db", customers=20)
    state = _state(url)
    try:
        with state.reads() as s:
            demo = s.scalars(select(m.User.id).where(m.User.username == "demo")).one()
            reviewed = select(m.QaReview.conversation_id)
            replied = select(m.Message.conversation_id).where(
                m.Message.direction == Direction.OUT.value
            )
            conv = s.scalars(
                select(m.Conversation.id)
                .where(
                    m.Conversation.assignee_id == demo,
                    m.Conversation.realm == Realm.PRODUCTION.value,
                    m.Conversation.id.not_in(reviewed),
                    m.Conversation.id.in_(replied),
                )
                .order_by(m.Conversation.id)
                .limit(1)
            ).one()
    finally:
        state.engine.dispose()
    server = ServerProcess(url, log_path=d / "server.log").start()
    try:
        yield Shop(server, url, conv, demo)
    finally:
        server.stop()


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.setFocus()  # no window manager offscreen: a dialog is not activated by itself
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def _key(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = ALT) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def test_a_supervisor_reviews_by_keyboard_and_the_agent_sees_it_under_my_reviews(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.qa_my_reviews import MyReviewsDialog
    from csdesk.ui.panels.qa_review_dialog import QaReviewDialog

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    w._open_from_customer(shop.conversation_id)
    qtbot.waitUntil(lambda: w.open_id == shop.conversation_id, timeout=20_000)
    w.activateWindow()
    _focus(qtbot, w.inbox.list)  # the shortcut reaches the window through its focus widget
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_R, CTRL_ALT)
    desk = w.qa_desk
    # The rubric is read on a worker first: allow for a loaded machine.
    qtbot.waitUntil(lambda: desk.dialog is not None and desk.dialog.isVisible(), timeout=30_000)
    dialog = desk.dialog
    assert isinstance(dialog, QaReviewDialog)
    assert [dialog.controls[k].accessibleName() for k in ("greeting", "closing")] == [
        "Greeting",
        "Closing",
    ]
    assert "Weight 10." in dialog.controls["greeting"].accessibleDescription()
    # Greeting: pass; Tab; understood the issue: 3 of 4; Tab; correct solution: 4 of 4; the
    # rest not applicable. (10·1 + 20·3/4 + 30·1) / (10 + 20 + 30) = 55 / 60
    _focus(qtbot, dialog.controls["greeting"])
    for key, downs in ((Qt.Key.Key_Down, 2), (Qt.Key.Key_Tab, 1), (Qt.Key.Key_Down, 4)):
        for _n in range(downs):
            _key(qtbot, key, Qt.KeyboardModifier.NoModifier)
    _key(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier)
    assert QApplication.focusWidget() is dialog.controls["solution"]
    for _n in range(5):
        _key(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier)
    assert dialog.scores() == {
        "greeting": 1, "understood": 3, "solution": 4, "tone": None, "policy": None,
        "closing": None,
    }  # fmt: skip
    assert dialog.score_label.text() == "Weighted score: 91.7 of 100."
    # A comment on the first reply of the thread.
    _key(qtbot, Qt.Key.Key_M)
    assert QApplication.focusWidget() is dialog.thread_list
    reply = next(n for n, msg in enumerate(dialog.messages) if " replied" in msg.sentence)
    for _n in range(reply):
        _key(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier)
    assert dialog.thread_list.currentRow() == reply
    _key(qtbot, Qt.Key.Key_O)
    assert QApplication.focusWidget() is dialog.note
    qtbot.keyClicks(dialog.note, "<b>Say sorry</b> first")
    _key(qtbot, Qt.Key.Key_A)  # a button's mnemonic clicks it (animated: a moment later)
    qtbot.waitUntil(lambda: bool(dialog.message_comments()), timeout=5_000)
    assert dialog.message_comments() == [(dialog.messages[reply].id, "<b>Say sorry</b> first")]
    assert dialog.comment_list.item(0).text().endswith(": <b>Say sorry</b> first")
    _focus(qtbot, dialog.thread_list)
    _key(qtbot, Qt.Key.Key_C)
    assert QApplication.focusWidget() is dialog.overall
    qtbot.keyClicks(dialog.overall, "Well handled.")
    with qtbot.waitSignal(desk.review_saved, timeout=10_000) as saved:
        _key(qtbot, Qt.Key.Key_S)
    review_id = str(saved.args[0])
    qtbot.waitUntil(sam.synced, timeout=20_000)
    state = _state(shop.db_url)
    try:
        with state.reads() as s:
            row = s.get(m.QaReview, review_id)
            assert row is not None
            assert (row.agent_id, row.score, row.comment) == (shop.demo_id, 91.7, "Well handled.")
    finally:
        state.engine.dispose()

    # The agent who handled it: Ctrl+Alt+M lists it; Enter opens it.
    agent = desk_factory(shop.server, "demo")
    a = agent.window
    said: list[str] = []
    a.announced.connect(said.append)
    a.activateWindow()
    _focus(qtbot, a.inbox.list)  # the shortcut reaches the window through its focus widget
    with qtbot.waitSignal(a.qa_desk.reviews_shown, timeout=40_000):
        qtbot.keyClick(a.inbox.list, Qt.Key.Key_M, CTRL_ALT)
    mine = a.qa_desk.dialog
    assert isinstance(mine, MyReviewsDialog)
    at = next(n for n, r in enumerate(mine.reviews) if r.id == review_id)
    sentence = mine.list.item(at).text()
    assert "Sam Okafor reviewed" in sentence and "scored 91.7 of 100" in sentence
    assert "1 comment on a message." in sentence
    _focus(qtbot, mine.list)
    mine.list.setCurrentRow(at)
    with qtbot.waitSignal(a.qa_desk.detail_shown, timeout=10_000):
        qtbot.keyClick(mine.list, Qt.Key.Key_Return)
    criteria = [mine.criteria.item(n).text() for n in range(mine.criteria.count())]
    assert criteria[0].startswith("Greeting: Pass (weight 10).")
    assert criteria[1].startswith("Understood the issue: 3 of 4 (weight 20).")
    assert criteria[3].startswith("Tone: Not applicable (weight 15).")
    assert "Overall comment: Well handled." in mine.summary.text()
    assert mine.summary.textFormat() == Qt.TextFormat.PlainText
    comments = {mine.table.item(n, 1).text() for n in range(mine.table.rowCount())}
    assert "<b>Say sorry</b> first" in comments  # shown literally, never as rich text
    assert mine.table.editTriggers() == mine.table.EditTrigger.NoEditTriggers
    # An agent cannot review.
    mine.reject()
    qtbot.waitUntil(lambda: a.qa_desk.dialog is None, timeout=5_000)
    # The closed dialog stays the active modal until its deletion is processed (slow on a
    # loaded machine).
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=20_000)
    _focus(qtbot, a.inbox.list)
    qtbot.keyClick(a.inbox.list, Qt.Key.Key_R, CTRL_ALT)
    qtbot.waitUntil(
        lambda: "Only supervisors and administrators review conversations." in said,
        timeout=5_000,
    )
    assert a.qa_desk.dialog is None


def test_the_supervisor_edits_the_rubric_into_a_new_version(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.qa_rubric_editor import QaRubricEditor

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    w.activateWindow()
    _focus(qtbot, w.inbox.list)  # the shortcut reaches the window through its focus widget
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_U, CTRL_ALT)
    desk = w.qa_desk
    # The rubric is read on a worker first: allow for a loaded machine.
    qtbot.waitUntil(lambda: desk.dialog is not None and desk.dialog.isVisible(), timeout=30_000)
    editor = desk.dialog
    assert isinstance(editor, QaRubricEditor)
    assert editor.list.count() == 6
    assert editor.list.item(0).text().startswith("1. Greeting, weight 10, pass or fail.")
    _focus(qtbot, editor.list)
    _key(qtbot, Qt.Key.Key_N)  # Add criterion: its name is selected to type over
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.crit_name, timeout=5_000)
    qtbot.keyClicks(editor.crit_name, "Empathy")
    _key(qtbot, Qt.Key.Key_W)
    assert QApplication.focusWidget() is editor.weight
    qtbot.keyClick(editor.weight, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.weight, "25")
    _key(qtbot, Qt.Key.Key_P)  # Move up: before Closing
    qtbot.waitUntil(lambda: editor.list.currentRow() == 5, timeout=5_000)
    assert editor.list.item(5).text().startswith("6. Empathy, weight 25, 0 to 4 points.")
    assert editor.total.text() == "7 criteria; weights add up to 125."
    with qtbot.waitSignal(desk.rubric_saved, timeout=10_000) as saved:
        _key(qtbot, Qt.Key.Key_S)
    new_id = str(saved.args[0])
    qtbot.waitUntil(sam.synced, timeout=20_000)
    state = _state(shop.db_url)
    try:
        with state.reads() as s:
            versions = {
                r.id: (r.version, r.active, [c["name"] for c in r.criteria])
                for r in s.scalars(select(m.QaRubric))
            }
            old_reviews = {r.rubric_id for r in s.scalars(select(m.QaReview))}
    finally:
        state.engine.dispose()
    version, active, names = versions[new_id]
    assert (version, active) == (2, True)
    assert names[5:] == ["Empathy", "Closing"]
    assert sum(1 for v in versions.values() if v[1]) == 1  # version 1 retired
    assert new_id not in old_reviews  # reviews already made keep version 1
