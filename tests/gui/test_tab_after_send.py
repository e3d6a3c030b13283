"""Tab from the composer's Send goes on to the customer's card (its buttons, then the
timeline's filter and list, then the details), in reading order: it used to jump to the
timeline's list, skipping the card's buttons and the filter (outside review)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess


def test_tab_from_send_walks_the_customer_card_in_reading_order(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=20_000)
    w.open_conversation(w.model.ids()[0])
    card = w.customer.card
    qtbot.waitUntil(
        lambda: w.open_conv is not None and card.edit_button.isVisible(), timeout=10_000
    )
    w.conversation.composer.send.setFocus()
    walked: list[QWidget] = []
    for _ in range(12):
        focus = QApplication.focusWidget()
        assert focus is not None
        walked.append(focus)
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    expected = [
        b
        for b in (card.edit_button, card.merge_button, card.unmerge_button, card.link_button,
                  *card.order_buttons, w.customer.timeline.filter, w.customer.timeline.list)
        if b.isVisible() and b.isEnabled()
    ]  # fmt: skip
    assert walked[0] is w.conversation.composer.send
    assert walked[1 : 1 + len(expected)] == expected, [x.objectName() for x in walked]
