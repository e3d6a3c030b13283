"""The customer record at 200 % text in 1600x1000: Ctrl+Alt+H brings the customer pane back
(it steps aside at large text) with the focus in the timeline, and the card's buttons, the
timeline's filter and several of its sentences fit inside the pane, wrapped, not clipped."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import ALL_VIEWS, View
from tests.a11y.conftest import SpeakingDesk
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
Make = Callable[..., SpeakingDesk]
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def _inside(child: QWidget, parent: QWidget) -> bool:
    top_left = child.mapTo(parent, QPoint(0, 0))
    return parent.rect().contains(top_left) and parent.rect().contains(
        top_left + QPoint(child.width() - 1, child.height() - 1)
    )


def test_the_customer_record_is_usable_at_200_percent(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make, tmp_path: Path
) -> None:
    desk = speaking_desk(demo_server, font_scale=2.0)
    w = desk.window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=10_000)
    w.inbox.step(1)
    qtbot.waitUntil(lambda: w.customer_ctx is not None, timeout=10_000)
    w.resize(1600, 1000)
    qtbot.wait(100)  # the panes are fitted on the next event-loop turn after a resize
    w.inbox.list.setFocus()

    qtbot.keyClick(w.inbox.list, Qt.Key.Key_H, CTRL_ALT)
    pane, tl = w.customer, w.customer.timeline
    qtbot.waitUntil(lambda: pane.isVisible() and tl.list.hasFocus(), timeout=5_000)
    qtbot.waitUntil(lambda: tl.list.count() > 0, timeout=10_000)
    qtbot.wait(100)
    if os.environ.get("CSDESK_SCREENSHOTS"):
        w.grab().save(str(Path(os.environ["CSDESK_SCREENSHOTS"]) / "customer-record-200.png"))
    assert w.width() == 1600
    for widget in (tl.filter, tl.list):
        assert widget.isVisible() and _inside(widget, pane), widget.objectName()
    # The card scrolls rather than clip: each button is as wide as its words and, reached by
    # Shift+Tab from the timeline, scrolled into the pane.
    card = pane.card
    view = pane.card_scroll.viewport()
    for button in (
        *card.order_buttons,
        card.link_button,
        card.unmerge_button,
        card.merge_button,
        card.edit_button,
    ):
        if not button.isVisibleTo(w):
            continue
        assert button.width() >= button.sizeHint().width() and button.width() <= view.width()
    qtbot.keyClick(tl.list, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert tl.filter.hasFocus()
    qtbot.keyClick(tl.filter, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    last = card.order_buttons[-1]  # the card's last button (Goodwill…) comes before the filter
    assert last.hasFocus()
    qtbot.waitUntil(lambda: _inside(last, pane), timeout=2_000)
    line = tl.list.fontMetrics().height()
    assert tl.list.viewport().height() >= 3 * line  # several lines of the timeline show

    # Wrapped to the list's width (re-laid out after the pane came back), not cut off.
    # The timeline may be reloading by the feed meanwhile (an empty list for a moment): the
    # first row, once there, is wrapped.
    def wrapped() -> bool:
        first = tl.list.item(0)
        if first is None:
            return False
        rect = tl.list.visualItemRect(first)
        return rect.width() <= tl.list.viewport().width() and rect.height() >= 2 * line

    qtbot.waitUntil(wrapped, timeout=10_000)
