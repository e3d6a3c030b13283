"""Quality review with the server stopped (outside review): "My reviews" says once, and
assertively, that it needs a connection (it was announced twice: the notice line and the
dialog's own announcement), and opens nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(120)


def test_my_reviews_offline_says_so_once(
    qtbot: QtBot,
    tmp_path: Path,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    server = ServerProcess(
        seed_demo_db(tmp_path / "demo.db", customers=10), log_path=tmp_path / "server.log"
    ).start()
    try:
        desk = desk_factory(server, "demo")
        qtbot.waitUntil(desk.synced, timeout=30_000)
    finally:
        server.stop()
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    w.actions_["qa_my_reviews"].trigger()
    qtbot.waitUntil(lambda: any("need a connection" in s for s in said), timeout=20_000)
    text = next(s for s in said if "need a connection" in s)
    assert said.count(text) == 1, said
    # The notice line shows the latest notice: a supervisor's message that cannot be fetched
    # offline may come after it.
    assert w.notice_label.text() in said
    assert w.qa_desk.dialog is None
