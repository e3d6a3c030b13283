"""Accessibility fixtures: the GUI fixtures, plus desks whose window can speak and be restyled.

The speech engine is injectable: a :class:`FakeEngine` records what it was asked to say (the
queue and policy logic are what these tests are about); one test uses the real espeak-ng.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk.app.workstation import Me, Workstation
from csdesk.settings import Settings
from csdesk.speech import SpeechService, TTSEngine
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.ui.appearance import Appearance
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.main_window import MainWindow
from csdesk.ui.speech_bridge import Speaker, SpeechOptions
from tests.gui.conftest import (  # noqa: F401  (fixtures, found by name)
    PASSWORD,
    demo_server,
    desk_factory,
    memory_keyring,
    private_dirs,
    qt_state_restored,
)
from tests.helpers.qt_gc import collected_on_the_gui_thread
from tests.helpers.server import ServerProcess


class FakeEngine:
    """A pyttsx3 stand-in that "speaks" instantly and remembers what it said."""

    driver_name = "fake"

    def __init__(self) -> None:
        self.spoken: list[str] = []
        #: What was said with which voice (other news, e.g. an SLA warning, may follow it).
        self.said_with: list[tuple[str, object]] = []
        self.properties: dict[str, object] = {"rate": 200, "volume": 1.0, "voice": "en"}
        self.voices = [
            SimpleNamespace(id="en", name="English", languages=["en"], gender=None),
            SimpleNamespace(id="fr", name="French", languages=["fr"], gender=None),
        ]
        self._pending: list[str] = []
        self._callbacks: list[Callable[..., object]] = []
        self._lock = threading.Lock()

    def say(self, text: str, name: str | None = None) -> None:
        self._pending.append(text)

    def save_to_file(self, text: str, filename: str, name: str | None = None) -> None:
        raise NotImplementedError

    def runAndWait(self) -> None:
        for text in self._pending:
            with self._lock:
                self.spoken.append(text)
                self.said_with.append((text, self.properties["voice"]))
            for callback in self._callbacks:
                callback(name=None, completed=True)
        self._pending.clear()

    def stop(self) -> None:
        pass

    def getProperty(self, name: str) -> object:
        return self.voices if name == "voices" else self.properties[name]

    def setProperty(self, name: str, value: str | float) -> None:
        self.properties[name] = value

    def connect(self, topic: str, cb: Callable[..., object]) -> object:
        if topic == "finished-utterance":
            self._callbacks.append(cb)
        return cb


def broken_factory() -> TTSEngine:
    raise OSError("libespeak-ng.so.1: cannot open shared object file")


@dataclass
class SpeakingDesk:
    engine: SyncEngine
    ws: Workstation
    window: MainWindow
    speaker: Speaker
    settings: Settings
    appearance: Appearance
    queued: list[str]

    def synced(self) -> bool:
        st = self.engine.status
        return st.pending == 0 and self.engine.cache.cursor() >= self.engine.cache.head() > 0


@pytest.fixture(autouse=True)
def gc_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    """See ``tests.helpers.qt_gc``: garbage holding Qt objects dies on the GUI thread."""
    yield from collected_on_the_gui_thread(qapp)


@pytest.fixture(autouse=True)
def no_stale_windows(qtbot: QtBot) -> None:
    """Delete hidden top-level windows earlier tests in this process left behind.

    Found here: restyling the application (``setStyleSheet``, which the settings page and the
    OS colour-scheme follow do) can crash inside Qt when a closed but undeleted window exists
    whose child dialog was deleted. The app deletes its windows on sign-out; some fixtures
    only close them, so tests that restyle start from a clean slate.
    """
    stale = [w for w in QApplication.topLevelWidgets() if not w.isVisible() and w.parent() is None]
    for widget in stale:
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def speaking_desk(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., SpeakingDesk]]:
    """``make(server, factory=..., screen_reader=False, **settings)``: a signed-in window with
    speech (through ``factory``), appearance and settings, as the Controller builds it."""
    made: list[SpeakingDesk] = []
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()

    def make(
        server: ServerProcess,
        username: str = "demo",
        *,
        factory: Callable[[], TTSEngine] | None = None,
        screen_reader: bool = False,
        player: Sequence[str] | None = None,
        **values: object,
    ) -> SpeakingDesk:
        settings = Settings(tmp_path / f"settings-{len(made)}.json", values)
        engine_factory = factory or FakeEngine
        service = SpeechService(engine_factory, player=player, call_timeout=5.0)
        speaker = Speaker(
            service,
            SpeechOptions.from_settings(settings),
            screen_reader_active=lambda: screen_reader,
        )
        queued: list[str] = []
        speaker.queued.connect(queued.append)
        speaker.start(lambda fn: fn())
        appearance = Appearance(app, settings)
        cache = LocalCache(tmp_path / f"cache-{username}-{len(made)}.sqlite")
        engine = SyncEngine(cache, SyncApi(server.url), backoff_base=0.1, backoff_max=1.0)
        user = engine.login(username, PASSWORD).user
        ws = Workstation(
            engine, Me(str(user["id"]), username, str(user["display_name"]), str(user["role"]))
        )
        bridge = SyncBridge()
        engine.add_listener(bridge.on_sync_event)
        engine.start()
        window = MainWindow(
            ws,
            bridge,
            appearance.apply(),
            speaker=speaker,
            appearance=appearance,
            settings=settings,
        )
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        window.activateWindow()  # as a window manager gives a new window the focus
        # Activation is an event: a desk already synced would send keys to a window that is
        # not active yet, and its window shortcuts would not fire.
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
        desk = SpeakingDesk(engine, ws, window, speaker, settings, appearance, queued)
        made.append(desk)
        qtbot.waitUntil(desk.synced, timeout=30_000)
        qtbot.waitUntil(lambda: window.caught_up, timeout=30_000)  # news from here on
        return desk

    yield make
    for desk in made:
        desk.window.close()
        desk.appearance.detach()
        desk.speaker.close()
        desk.engine.stop(5)
        desk.engine.cache.close()
    for desk in made:
        desk.window.deleteLater()  # gone for good: a closed window must not be restyled later
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.setStyleSheet(sheet)  # the next test in this process starts unstyled, as others expect
    app.setFont(font)
