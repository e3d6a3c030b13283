"""Large text without clipping: at 150 % and 200 % the window keeps 1600 px, the action buttons
stay one row inside the conversation column (those that do not fit are in its "More" menu),
side panes step aside instead of being crushed, and the status bar's texts are shown whole or
end in "…" with the whole text in their tooltips."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import ALL_VIEWS, View
from tests.a11y.conftest import SpeakingDesk
from tests.a11y.test_fit_screens import LONG_NOTICE, status_bar_problems
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
Make = Callable[..., SpeakingDesk]


def _inside(child: QWidget, parent: QWidget) -> bool:
    top_left = child.mapTo(parent, QPoint(0, 0))
    return parent.rect().contains(top_left) and parent.rect().contains(
        top_left + QPoint(child.width() - 1, child.height() - 1)
    )


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
def test_text_sizes_fit_1600_by_1000(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make, scale: float
) -> None:
    desk = speaking_desk(demo_server, font_scale=scale)
    w = desk.window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=10_000)
    w.inbox.step(1)
    qtbot.waitUntil(lambda: w.conversation.current is not None, timeout=10_000)
    w.resize(1600, 1000)
    qtbot.wait(100)  # the panes are fitted on the next event-loop turn after a resize

    assert w.width() == 1600  # nothing forces the window wider than asked
    char = w.fontMetrics().averageCharWidth()
    assert w.conversation.width() >= 52 * char * 0.9
    assert w.inbox.width() >= 30 * char
    row = w.conversation.action_row
    shown = [b for b in [*w.conversation.buttons, row.more] if b.isVisible()]
    for button in shown:
        assert _inside(button, w.conversation), button.objectName()
    # Every action is a shown button or an entry of the "More" menu, in order.
    actions = [b.defaultAction() for b in w.conversation.buttons]
    assert [b.defaultAction() for b in shown if b is not row.more] + row.menu.actions() == actions
    rows = {b.mapTo(w.conversation, QPoint(0, 0)).y() for b in shown}
    assert len(rows) == 1  # one line at every size
    for pane in (w.views, w.customer):
        assert not pane.isVisible() or pane.width() >= 12 * char  # shown readable, or hidden
    w.show_notice(LONG_NOTICE)
    qtbot.waitUntil(lambda: w.floor_desk.mine is not None, timeout=10_000)
    qtbot.wait(100)
    assert status_bar_problems(w) == []

    if scale == 1.0:
        assert w.views.isVisible() and w.customer.isVisible()
        assert not row.more.isVisible()  # every button fits
    if scale == 2.0:
        assert not w.customer.isVisible() and row.more.isVisible()  # in the menu, not clipped
        # Ctrl+3 brings the customer back, focused, still within the screen width.
        w.inbox.list.setFocus()
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(w.customer.isVisible, timeout=2_000)
        qtbot.wait(100)
        assert w.width() == 1600
        assert w.customer.width() >= 16 * char  # the composer row (962 px) limits the rest
        assert w.focusWidget() is not None and w.customer.isAncestorOf(w.focusWidget())
