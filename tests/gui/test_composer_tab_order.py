"""Tab through the reply box follows the screen: To, Subject, the reply text, then the
Internal-note switch below it and the buttons; the switch used to come before the text
(outside review)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.domain.enums import Channel
from csdesk.ui.panels.composer import Composer


def test_tab_goes_to_and_from_the_reply_text_in_screen_order(qtbot: QtBot) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.set_conversation(Channel.EMAIL.value, to="ann@example.com", subject="Parcel")
    composer.show()
    qtbot.waitExposed(composer)
    composer.activateWindow()
    qtbot.waitActive(composer)
    composer.to.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is composer.to, timeout=3000)
    walked: list[QWidget | None] = []
    for _ in range(5):
        walked.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget() or composer, Qt.Key.Key_Tab)
    assert walked[:4] == [composer.to, composer.subject, composer.text, composer.note], [
        w.objectName() if w else None for w in walked
    ]
