"""Deleting a quality review on the desk, by keyboard, against a real server (docs/qa.md): the
supervisor opens a reviewed conversation's review (Ctrl+Alt+R), presses Alt+D, reads the
confirmation naming the agent and the conversation, types a reason, confirms with Alt+D; the
review leaves their desk at once, the server marks it deleted with the reason audited, and the
agent's "My reviews" (Ctrl+Alt+M) no longer lists it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.domain.enums import Realm
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
    review_id: str  # one of the demo's reviews by Sam
    conversation_id: str
    agent: str  # the reviewed agent's username
    agent_name: str
    subject: str


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("qadel")
    url = seed_demo_db(d / "demo.db", customers=20)
    state = _state(url)
    try:
        with state.reads() as s:
            review = s.scalars(
                select(m.QaReview)
                .where(m.QaReview.realm == Realm.PRODUCTION.value)
                .order_by(m.QaReview.reviewed_at.desc(), m.QaReview.id)
                .limit(1)
            ).one()
            agent = s.get_one(m.User, review.agent_id)
            conv = s.get_one(m.Conversation, review.conversation_id)
            facts = (review.id, conv.id, agent.username, agent.display_name, conv.subject or "")
    finally:
        state.engine.dispose()
    server = ServerProcess(url, log_path=d / "server.log").start()
    try:
        yield Shop(server, url, *facts)
    finally:
        server.stop()


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.setFocus()  # no window manager offscreen: a dialog is not activated by itself
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def test_a_supervisor_deletes_a_review_by_keyboard_and_the_agent_no_longer_sees_it(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.qa_delete_confirm import QaDeleteConfirm
    from csdesk.ui.panels.qa_my_reviews import MyReviewsDialog
    from csdesk.ui.panels.qa_review_dialog import QaReviewDialog

    # The agent's list has it before.
    agent = desk_factory(shop.server, shop.agent)
    a = agent.window
    assert shop.review_id in {r.id for r in a.qa_desk.qa.my_reviews()}

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    said: list[str] = []
    w.announced.connect(said.append)
    w._open_from_customer(shop.conversation_id)
    qtbot.waitUntil(lambda: w.open_id == shop.conversation_id, timeout=20_000)
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_R, CTRL_ALT)
    desk = w.qa_desk
    qtbot.waitUntil(lambda: desk.dialog is not None and desk.dialog.isVisible(), timeout=30_000)
    dialog = desk.dialog
    assert isinstance(dialog, QaReviewDialog)
    assert dialog.existing is not None and dialog.existing.id == shop.review_id
    assert dialog.delete_button is not None
    assert dialog.delete_button.accessibleName() == "Delete review"
    _focus(qtbot, dialog.overall)
    qtbot.keyClick(dialog.overall, Qt.Key.Key_D, ALT)  # a mnemonic clicks (a moment later)
    qtbot.waitUntil(
        lambda: dialog.confirm is not None and dialog.confirm.isVisible(), timeout=5_000
    )
    confirm = dialog.confirm
    assert isinstance(confirm, QaDeleteConfirm)
    assert shop.agent_name in confirm.question and shop.subject in confirm.question
    assert confirm.accessibleDescription() == confirm.question
    assert confirm.reason_edit.accessibleName() == "Reason (optional)"
    hint = confirm.minimumSizeHint()  # fits a 1366×768 screen
    assert hint.width() <= 1366 and hint.height() <= 700, hint
    _focus(qtbot, confirm.reason_edit)
    qtbot.keyClicks(confirm.reason_edit, "Saved on the wrong conversation")
    with qtbot.waitSignal(desk.review_deleted, timeout=10_000) as deleted:
        qtbot.keyClick(confirm.reason_edit, Qt.Key.Key_D, ALT)
    assert deleted.args == [shop.review_id]
    qtbot.waitUntil(lambda: desk.dialog is None, timeout=5_000)
    assert "Review deleted." in said
    assert desk.qa.review_of(shop.conversation_id) is None  # gone from the cache at once
    qtbot.waitUntil(sam.synced, timeout=20_000)
    assert desk.qa.review_of(shop.conversation_id) is None  # the tombstone keeps it gone
    state = _state(shop.db_url)
    try:
        with state.reads() as s:
            row = s.get_one(m.QaReview, shop.review_id)
            assert row.deleted_at is not None
            audited = s.scalars(
                select(m.AuditEntry.after).where(
                    m.AuditEntry.entity_id == shop.review_id,
                    m.AuditEntry.action == "qa.review.delete",
                )
            ).one()
            assert audited["reason"] == "Saved on the wrong conversation"
    finally:
        state.engine.dispose()

    # The agent: Ctrl+Alt+M no longer lists it.
    a.activateWindow()
    _focus(qtbot, a.inbox.list)
    with qtbot.waitSignal(a.qa_desk.reviews_shown, timeout=40_000):
        qtbot.keyClick(a.inbox.list, Qt.Key.Key_M, CTRL_ALT)
    mine = a.qa_desk.dialog
    assert isinstance(mine, MyReviewsDialog)
    assert shop.review_id not in {r.id for r in mine.reviews}
