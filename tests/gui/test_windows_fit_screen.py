"""The supervisor's new windows open within the screen (outside review): on a 1366×768 laptop
the KPI dashboard (1400×900), the training review (1300×800) and the quality review (760 px
high, Save at the bottom) ran off the screen; at 200 % text the dashboard could not be made
narrower than 2,436 px (its controls in one row, its three charts side by side)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.storage import models as m
from csdesk.theme.themes import get_theme
from csdesk.ui.appearance import apply_theme
from csdesk.ui.floor_window import open_for
from csdesk.ui.panels.dashboard_window import DashboardWindow
from csdesk.ui.panels.training_review import TrainingReviewPanel
from csdesk.ui.screen_fit import TITLE_BAR
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.helpers.server import ServerProcess
from tests.visual.scenes import screen_of

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def app() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()
    yield app
    app.setStyleSheet(sheet)
    app.setFont(font)


def _fits(window: QWidget) -> tuple[str, int, int, int, int]:
    room = window.screen().availableGeometry()
    return (
        window.objectName(),
        window.width(),
        window.height(),
        room.width(),
        room.height() - TITLE_BAR,
    )


def _within(found: tuple[str, int, int, int, int]) -> bool:
    _name, width, height, room_w, room_h = found
    return width <= room_w and height <= room_h


def test_each_new_window_opens_within_the_screen(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    sam = desk_factory(demo_server, "sam")
    w = sam.window
    qtbot.waitUntil(sam.synced, timeout=30_000)
    with sam.ws.cache.session() as s:
        cid = s.scalars(
            select(m.Conversation.id).where(m.Conversation.assignee_id.is_not(None)).limit(1)
        ).one()
    w._open_from_customer(cid)
    qtbot.waitUntil(lambda: w.open_id == cid, timeout=20_000)
    found = []
    for action in ("qa_review", "qa_rubric"):
        w.actions_[action].trigger()
        qtbot.waitUntil(lambda: w.qa_desk.dialog is not None, timeout=20_000)
        dialog = w.qa_desk.dialog
        assert dialog is not None
        found.append(_fits(dialog))
        dialog.reject()
        qtbot.waitUntil(lambda: w.qa_desk.dialog is None, timeout=5_000)
    with qtbot.waitSignal(w.qa_desk.reviews_shown, timeout=20_000):
        w.actions_["qa_my_reviews"].trigger()
    mine = w.qa_desk.dialog
    assert mine is not None
    found.append(_fits(mine))
    mine.reject()
    w.actions_["dashboard"].trigger()
    qtbot.waitUntil(lambda: w.findChild(DashboardWindow) is not None, timeout=5_000)
    dash = w.findChild(DashboardWindow)
    assert dash is not None
    found.append(_fits(dash))
    dash.close()
    w.actions_["training_review"].trigger()
    qtbot.waitUntil(lambda: w.findChild(TrainingReviewPanel) is not None, timeout=5_000)
    panel = w.findChild(TrainingReviewPanel)
    assert panel is not None
    found.append(_fits(panel.window()))
    panel.window().close()
    floor = open_for(w, sam.ws, w.bridge, get_theme("light"))  # what a supervisor signs in to
    assert floor is not None
    found.append(_fits(floor))
    floor.stop()
    floor.close()
    assert len(found) == 6
    assert [f for f in found if not _within(f)] == []


def test_the_dashboard_fits_a_1600_px_screen_at_200_percent_text(
    qtbot: QtBot,
    app: QApplication,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    apply_theme(app, get_theme("light"), 2.0)
    sam = desk_factory(demo_server, "sam")
    w = sam.window
    w.actions_["dashboard"].trigger()
    qtbot.waitUntil(lambda: w.findChild(DashboardWindow) is not None, timeout=5_000)
    dash = w.findChild(DashboardWindow)
    assert dash is not None
    qtbot.waitUntil(lambda: dash.panel.figures.model().rowCount() > 0, timeout=20_000)
    hint = dash.minimumSizeHint()
    assert hint.width() <= 1600 and hint.height() <= 1000 - TITLE_BAR, hint
    # Every control is still there and reachable: the charts scroll sideways, not away.
    assert dash.panel.comparison.isVisibleTo(dash) and dash.panel.refresh_button.isVisibleTo(dash)
    dash.close()


def test_the_quality_review_fits_a_1600_px_screen_at_200_percent_text(
    qtbot: QtBot, app: QApplication
) -> None:
    from csdesk.app.qa import MessageLine, Rubric
    from csdesk.domain import qa
    from csdesk.ui.panels.qa_review_dialog import QaReviewDialog

    apply_theme(app, get_theme("light"), 2.0)
    criteria = qa.criteria_from(
        [
            {"key": f"k{n}", "name": f"Criterion {n}", "description": "Greets the customer",
             "weight": 10, "scale": "points", "max_points": 4}
            for n in range(6)
        ]
    )  # fmt: skip
    messages = [
        MessageLine(str(n), f"Ana wrote by email: message {n}, " + "where is my parcel? " * 8)
        for n in range(5)
    ]
    with screen_of(QSize(1600, 1000)):
        dialog = QaReviewDialog(Rubric("r", "r", 1, "Default rubric", tuple(criteria)), messages)
    qtbot.addWidget(dialog)
    hint = dialog.minimumSizeHint()
    assert hint.width() <= 1600 and hint.height() <= 1000 - TITLE_BAR, hint
    # It grows with the text (it kept its 100 % size, 960×760, before), within the screen.
    assert dialog.width() > 960 and dialog.height() > 760, dialog.size()
    assert dialog.width() <= 1600 and dialog.height() <= 1000 - TITLE_BAR, dialog.size()
    dialog.show()
    qtbot.waitExposed(dialog)
    line = dialog.fontMetrics().height()
    # A message's sentence wraps in its row (it ran off the list, behind a sideways bar).
    thread = dialog.thread_list
    item = thread.item(0)
    assert item is not None
    qtbot.waitUntil(lambda: thread.visualItemRect(item).height() > 2 * line, timeout=5_000)
    assert not thread.horizontalScrollBar().isVisible()
    # The boxes keep a few lines each; each criterion's box shows its longest choice whole.
    for view in (thread, dialog.note, dialog.comment_list, dialog.overall):
        assert view.height() >= 3 * line, view.objectName()
    for box in dialog.controls.values():
        widest = max(
            box.fontMetrics().horizontalAdvance(box.itemText(i)) for i in range(box.count())
        )
        assert box.width() > widest, box.objectName()


def test_the_training_review_shows_names_and_columns_whole(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    sam = desk_factory(demo_server, "sam")
    w = sam.window
    w.actions_["training_review"].trigger()
    qtbot.waitUntil(lambda: w.findChild(TrainingReviewPanel) is not None, timeout=5_000)
    panel = w.findChild(TrainingReviewPanel)
    assert panel is not None
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    em = panel.fontMetrics().averageCharWidth()
    assert panel.people.width() >= 18 * em, (panel.people.width(), em)
    table = panel.table
    for column in range(table.columnCount()):
        header = table.horizontalHeaderItem(column)
        assert header is not None
        wanted = table.horizontalHeader().fontMetrics().horizontalAdvance(header.text())
        assert table.columnWidth(column) >= wanted, header.text()
    when = table.item(0, 0)
    assert when is not None
    assert table.columnWidth(0) >= table.fontMetrics().horizontalAdvance(when.text())
    panel.window().close()


def test_my_reviews_sentences_wrap_instead_of_running_off_sideways(
    qtbot: QtBot,
    app: QApplication,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    apply_theme(app, get_theme("light"), 2.0)
    sam = desk_factory(demo_server, "sam")
    w = sam.window
    with qtbot.waitSignal(w.qa_desk.reviews_shown, timeout=20_000):
        w.actions_["qa_my_reviews"].trigger()
    mine = w.qa_desk.dialog
    assert mine is not None and mine.list.count() > 0
    with qtbot.waitSignal(w.qa_desk.detail_shown, timeout=10_000):
        qtbot.keyClick(mine.list, Qt.Key.Key_Return)
    for view in (mine.list, mine.criteria):
        assert view.count() > 0
        item = view.item(0)
        assert item is not None
        # Wrapped onto several lines (before: one line, cut at the window's edge).
        qtbot.waitUntil(
            lambda v=view, i=item: v.visualItemRect(i).height() > v.fontMetrics().height() * 2,
            timeout=5_000,
        )
        assert not view.horizontalScrollBar().isVisible(), view.objectName()
    mine.reject()
