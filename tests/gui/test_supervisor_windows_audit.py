"""Outside review of the new supervisor windows (quality review, rubric editor, My reviews,
KPI dashboard, training review) against a real server with hostile customer text (a name and
comments with tags and a right-to-left override): every interactive control has an accessible
name, hostile text is plain text (never in a tooltip that would render it), no raw id is
shown, and the outside text is isolated in the sentences it is put in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.domain.enums import Direction, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

pytestmark = pytest.mark.timeout(240)
HOSTILE = "<b>Bold</b> <img src=x> \u202eevil\u202c"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Shop:
    server: ServerProcess
    conversation_id: str


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("audit")
    url = seed_demo_db(d / "demo.db", customers=20)
    state = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
    try:
        with state.reads() as s:
            demo = s.scalars(select(m.User.id).where(m.User.username == "demo")).one()
            replied = select(m.Message.conversation_id).where(
                m.Message.direction == Direction.OUT.value
            )
            conv = s.scalars(
                select(m.Conversation)
                .where(
                    m.Conversation.assignee_id == demo,
                    m.Conversation.realm == Realm.PRODUCTION.value,
                    m.Conversation.id.in_(replied),
                )
                .order_by(m.Conversation.id)
                .limit(1)
            ).one()
            conv_id, customer_id = conv.id, conv.customer_id
            rubric = s.scalars(select(m.QaRubric).where(m.QaRubric.active.is_(True))).first()
            assert rubric is not None
            rubric_id = rubric.id
            msg = s.scalars(
                select(m.Message.id).where(m.Message.conversation_id == conv_id).limit(1)
            ).one()
    finally:
        state.engine.dispose()
    server = ServerProcess(url, log_path=d / "server.log").start()
    try:
        sam = Raw.signed_in(server, TestUser("sam", "demo-password", None))  # type: ignore[arg-type]
        results = sam.push(
            ("customer.update", {"customer_id": customer_id, "fields": {"name": HOSTILE}}),
            (
                "qa.review.save",
                {
                    "review_id": str(uuid.uuid4()),
                    "conversation_id": conv_id,
                    "rubric_id": rubric_id,
                    "scores": {},
                    "comment": HOSTILE,
                    "message_comments": [{"message_id": msg, "text": HOSTILE}],
                },
            ),
        )
        assert [r["status"] for r in results] == ["applied", "applied"], results
        yield Shop(server, conv_id)
    finally:
        server.stop()


def audit(top: QWidget) -> list[str]:
    """What is wrong with ``top``'s visible controls, one sentence each."""
    problems: list[str] = []
    kinds = (QAbstractButton, QComboBox, QLineEdit, QTextEdit, QPlainTextEdit,
             QAbstractItemView, QAbstractSpinBox)  # fmt: skip
    for w in top.findChildren(QWidget):
        if not w.isVisibleTo(top):
            continue
        where = f"{type(w).__name__} {w.objectName()!r}"
        if w.objectName() == "qt_spinbox_lineedit":
            continue  # a spin box's own editor: the spin box carries the name
        named = bool(w.accessibleName().strip()) or (
            isinstance(w, QAbstractButton) and bool(w.text().replace("&", "").strip())
        )
        if isinstance(w, kinds) and w.focusPolicy() != Qt.FocusPolicy.NoFocus and not named:
            problems.append(f"{where}: no accessible name")
        texts: list[str] = [w.toolTip(), w.accessibleName(), w.accessibleDescription()]
        tips = {w.toolTip()}
        if isinstance(w, QLabel):
            texts.append(w.text())
            if "<" in w.text() and w.textFormat() != Qt.TextFormat.PlainText:
                problems.append(f"{where}: {w.text()[:60]!r} not plain text")
        if isinstance(w, QListWidget):
            texts += [w.item(i).text() for i in range(w.count())]
            texts += [w.item(i).toolTip() for i in range(w.count())]
            tips |= {w.item(i).toolTip() for i in range(w.count())}
        if isinstance(w, QTableWidget):
            for r in range(w.rowCount()):
                for c in range(w.columnCount()):
                    it = w.item(r, c)
                    if it is not None:
                        texts += [it.text(), it.toolTip()]
                        tips.add(it.toolTip())
        for t in texts:
            if t and UUID.search(t):
                problems.append(f"{where}: shows an id: {t[:80]!r}")
            if t and "<b>Bold</b>" in t and t in tips:
                problems.append(f"{where}: a tooltip renders rich text: {t[:60]!r}")
    return problems


def _wait_dialog(qtbot: QtBot, get: Callable[[], QWidget | None]) -> QWidget:
    qtbot.waitUntil(lambda: get() is not None and get().isVisible(), timeout=20_000)  # type: ignore[union-attr]
    found = get()
    assert found is not None
    return found


def test_the_supervisor_windows_pass_the_audit(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.domain.bidi import FSI, PDI
    from csdesk.ui.panels.dashboard_window import DashboardWindow
    from csdesk.ui.panels.qa_my_reviews import MyReviewsDialog
    from csdesk.ui.panels.training_review import TrainingReviewPanel

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    qtbot.waitUntil(sam.synced, timeout=30_000)
    w._open_from_customer(shop.conversation_id)
    qtbot.waitUntil(lambda: w.open_id == shop.conversation_id, timeout=20_000)
    report: dict[str, list[str]] = {}
    for action in ("qa_review", "qa_rubric"):
        w.actions_[action].trigger()
        dialog = _wait_dialog(qtbot, lambda: w.qa_desk.dialog)
        report[action] = audit(dialog)
        dialog.close()
        qtbot.waitUntil(lambda: w.qa_desk.dialog is None, timeout=5_000)
    with qtbot.waitSignal(w.qa_desk.reviews_shown, timeout=20_000):
        w.actions_["qa_my_reviews"].trigger()
    mine = w.qa_desk.dialog
    assert isinstance(mine, MyReviewsDialog)
    report["my reviews"] = audit(mine)
    at = next(n for n, r in enumerate(mine.reviews) if r.conversation_id == shop.conversation_id)
    sentence = mine.list.item(at).text()
    assert f"{FSI}{HOSTILE}{PDI}" in sentence  # the override cannot reverse the score after it
    mine.list.setCurrentRow(at)
    with qtbot.waitSignal(w.qa_desk.detail_shown, timeout=10_000):
        qtbot.keyClick(mine.list, Qt.Key.Key_Return)
    assert f"Overall comment: {HOSTILE}" in mine.summary.text()
    comments = {mine.table.item(n, 1).text() for n in range(mine.table.rowCount())}
    assert HOSTILE in comments
    report["my reviews, one open"] = audit(mine)
    mine.close()
    w.actions_["dashboard"].trigger()
    dash = _wait_dialog(qtbot, lambda: w.findChild(DashboardWindow))
    assert isinstance(dash, DashboardWindow)
    qtbot.waitUntil(lambda: dash.panel.figures.model().rowCount() > 0, timeout=20_000)
    report["dashboard"] = audit(dash)
    dash.close()
    w.actions_["training_review"].trigger()
    panel = _wait_dialog(qtbot, lambda: w.findChild(TrainingReviewPanel))
    assert isinstance(panel, TrainingReviewPanel)
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    report["training review"] = audit(panel.window())
    panel.window().close()
    assert {k: v for k, v in report.items() if v} == {}


def test_the_agent_windows_pass_the_audit(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.dashboard_window import DashboardWindow
    from csdesk.ui.panels.qa_my_reviews import MyReviewsDialog

    agent = desk_factory(shop.server, "demo")
    w = agent.window
    said: list[str] = []
    w.announced.connect(said.append)
    report: dict[str, list[str]] = {}
    with qtbot.waitSignal(w.qa_desk.reviews_shown, timeout=20_000):
        w.actions_["qa_my_reviews"].trigger()
    mine = w.qa_desk.dialog
    assert isinstance(mine, MyReviewsDialog)
    assert {r.conversation_id for r in mine.reviews} >= {shop.conversation_id}
    report["my reviews"] = audit(mine)
    mine.close()
    qtbot.waitUntil(lambda: w.qa_desk.dialog is None, timeout=5_000)
    w.actions_["dashboard"].trigger()
    dash = _wait_dialog(qtbot, lambda: w.findChild(DashboardWindow))
    assert isinstance(dash, DashboardWindow)
    qtbot.waitUntil(lambda: dash.panel.figures.model().rowCount() > 0, timeout=20_000)
    report["dashboard"] = audit(dash)
    dash.close()
    # What an agent may not do is said, and nothing opens.
    for action in ("qa_review", "qa_rubric", "training_review"):
        before = len(said)
        w.actions_[action].trigger()
        qtbot.waitUntil(lambda n=before: len(said) > n, timeout=5_000)
        assert w.qa_desk.dialog is None, action
    assert {k: v for k, v in report.items() if v} == {}
