"""GUI fixtures: a live server with the demo store, and signed-in desks (window + sync)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk.app.workstation import Me, Workstation
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.theme.themes import get_theme
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.main_window import MainWindow
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.qt_gc import collected_on_the_gui_thread
from tests.helpers.server import ServerProcess, sqlite_database

PASSWORD = "demo-password"


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def gc_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    """See ``tests.helpers.qt_gc``: garbage holding Qt objects dies on the GUI thread."""
    yield from collected_on_the_gui_thread(qapp)


@pytest.fixture(autouse=True)
def qt_state_restored(qapp: QApplication) -> Iterator[None]:
    """Each test starts from the same application: a test that left a modal dialog open, large
    text or a high-contrast style set on the application would change the next test on its
    worker (a leftover modal swallowed a later test's shortcut; a 200 % font made a dialog
    taller than the 768 px screen another test asks for)."""
    font, palette, sheet = QFont(qapp.font()), QPalette(qapp.palette()), qapp.styleSheet()
    yield
    for widget in qapp.topLevelWidgets():
        if widget.isVisible() and widget.isModal():
            widget.close()
    if qapp.styleSheet() != sheet:
        qapp.setStyleSheet(sheet)
    if qapp.font() != font:
        qapp.setFont(font)
    if qapp.palette() != palette:
        qapp.setPalette(palette)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CSDESK_CONFIG_DIR", str(tmp_path / "config"))


def seed_demo_db(path: Path, **kw: int) -> str:
    from csdesk.server.demo import seed_demo
    from csdesk.storage.db import make_engine

    url = sqlite_database(path)  # at the migrations' head already: seeding migrates nothing
    engine = make_engine(url)
    try:
        seed_demo(engine, **kw)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A live server with the demo store, shared by a module (tests use distinct rows)."""
    d = tmp_path_factory.mktemp("demo")
    url = seed_demo_db(d / "demo.db")
    server = ServerProcess(url, log_path=d / "server.log").start()
    yield server
    server.stop()


@dataclass
class Desk:
    engine: SyncEngine
    ws: Workstation
    window: MainWindow

    def synced(self) -> bool:
        """Caught up with the server's feed and nothing waiting to be sent."""
        st = self.engine.status
        return st.pending == 0 and self.engine.cache.cursor() >= self.engine.cache.head() > 0


@pytest.fixture
def desk_factory(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def make(
        server: ServerProcess,
        username: str = "demo",
        *,
        show: bool = True,
        password: str = PASSWORD,
    ) -> Desk:
        cache = LocalCache(tmp_path / f"cache-{username}-{len(made)}.sqlite")
        engine = SyncEngine(cache, SyncApi(server.url), backoff_base=0.1, backoff_max=1.0)
        login = engine.login(username, password)
        user = login.user
        ws = Workstation(
            engine, Me(str(user["id"]), username, str(user["display_name"]), str(user["role"]))
        )
        bridge = SyncBridge()
        engine.add_listener(bridge.on_sync_event)
        engine.start()
        window = MainWindow(ws, bridge, get_theme("light"))
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        if show:
            window.show()
            window.activateWindow()  # as a window manager gives a new window the focus
            # Activation is an event: a desk already synced would send keys to a window that is
            # not active yet, and its window shortcuts would not fire.
            qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
        desk = Desk(engine, ws, window)
        made.append(desk)
        qtbot.waitUntil(desk.synced, timeout=30_000)
        return desk

    yield make
    for desk in made:
        desk.window.close()
        # Deleted, not just closed: restyling the app later (another test's theme) walks
        # every live widget, and a closed window whose engine is gone crashes Qt.
        desk.window.deleteLater()
        desk.engine.stop(5)
        desk.engine.cache.close()
