"""What the first paint of the inbox does not need waits for the first list (issue 10): the
teammates' names and the call desk are ORM reads (the first configures every mapper, ~0.1 s),
and the call dock is hidden until a call. Both come once the list is in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDockWidget
from pytestqt.qtbot import QtBot

from csdesk.app.workstation import Me, Workstation
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.theme.themes import get_theme
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.main_window import MainWindow
from tests.gui.conftest import PASSWORD
from tests.helpers.server import ServerProcess

PATIENCE_S = 60


@pytest.fixture
def cached_ws(demo_server: ServerProcess, tmp_path: Path) -> Iterator[Workstation]:
    """A workstation on a synced cache whose engine is not running (as at a cached start:
    no sync news reaches the window while its first list is read)."""
    engine = SyncEngine(LocalCache(tmp_path / "cache.sqlite"), SyncApi(demo_server.url))
    user = engine.login("demo", PASSWORD).user
    engine.sync_now()
    me = Me(str(user["id"]), "demo", str(user["display_name"]), str(user["role"]))
    yield Workstation(engine, me)
    engine.cache.close()


def test_names_and_the_call_desk_wait_for_the_first_list(
    qtbot: QtBot, cached_ws: Workstation, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, opened = threading.Event(), threading.Event()
    users_read = threading.Event()
    real_ordered_ids, real_users = Workstation.ordered_ids, Workstation.users

    def ordered_ids(self: Workstation, *args: Any, **kwargs: Any) -> list[str]:
        held.set()
        if not opened.wait(PATIENCE_S):
            raise RuntimeError("the first list was never let through")
        return real_ordered_ids(self, *args, **kwargs)

    def users(self: Workstation) -> list[tuple[str, str]]:
        users_read.set()
        return real_users(self)

    monkeypatch.setattr(Workstation, "ordered_ids", ordered_ids)
    monkeypatch.setattr(Workstation, "users", users)
    window = MainWindow(cached_ws, SyncBridge(), get_theme("light"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(held.is_set, timeout=PATIENCE_S * 1000)
    assert window.findChild(QDockWidget, "call_dock") is None
    assert not users_read.is_set()

    opened.set()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=PATIENCE_S * 1000)
    qtbot.waitUntil(
        lambda: window.findChild(QDockWidget, "call_dock") is not None,
        timeout=PATIENCE_S * 1000,
    )
    qtbot.waitUntil(users_read.is_set, timeout=PATIENCE_S * 1000)
    assert window.call_desk.dock.isHidden()  # no call: the dock waits out of sight
    window.close()  # its workers stop before the cache closes
