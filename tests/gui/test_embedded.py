"""`csdesk` with nothing configured: a local server with the demo store, signed in as the demo
agent, and a customer simulator that keeps the inbox alive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import View
from csdesk.settings import Settings
from csdesk.ui.app import Controller


@pytest.fixture
def controller(qtbot: QtBot) -> Iterator[Controller]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings, notice = Settings.load()
    c = Controller(app, settings, notice, None)
    yield c
    if c.session is not None:
        c.session.window.close()
    c.shutdown()


def test_embedded_default_signs_in_and_customers_keep_writing(
    qtbot: QtBot, controller: Controller
) -> None:
    controller.start()
    qtbot.waitUntil(lambda: controller.session is not None, timeout=90_000)
    session = controller.session
    assert session is not None and controller.embedded is not None
    assert session.workstation.me.username == "demo"
    window = session.window
    qtbot.waitUntil(
        lambda: window.shown_view == View.MINE and window.model.rowCount() > 0, timeout=30_000
    )
    ws = session.workstation
    qtbot.waitUntil(lambda: ws.engine.cache.cursor() >= ws.engine.cache.head() > 0, timeout=30_000)
    start = ws.engine.cache.head()
    # The simulator (a message every ~8 s) moves the feed while the window is open.
    qtbot.waitUntil(lambda: ws.engine.cache.head() > start, timeout=60_000)
    assert ws.counts()[View.ALL_OPEN] > 0
