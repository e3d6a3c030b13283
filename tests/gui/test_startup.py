"""A second start shows the cached inbox before the server answers (issue 10 item 6): with the
embedded server while it is still starting, and against a named server with a saved token while
the server has not yet said who the token belongs to. Then it signs in and syncs as before.

The server's answer is held back by a gate the test opens only after the window shows its rows,
so an inbox that waited for the server would never show (and the test fails)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import csdesk.ui.app as ui_app
from csdesk import credentials, embedded
from csdesk import settings as opts
from csdesk.settings import Settings
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.sync.events import SyncState
from csdesk.sync.outbox import Outbox
from tests.gui.conftest import PASSWORD
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.server import ServerProcess

PATIENCE_MS = 60_000


def _fill_cache(path: Path, server: ServerProcess) -> str:
    """The cache a first start would have left: signed in as demo, synced; returns the token."""
    engine = SyncEngine(LocalCache(path), SyncApi(server.url))
    try:
        token = engine.login("demo", PASSWORD).token
        engine.sync_now()
    finally:
        engine.cache.close()
    return token


class Gate:
    """Holds a call until opened."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.reached = threading.Event()

    def hold(self) -> None:
        self.reached.set()
        if not self.opened.wait(PATIENCE_MS / 1000):
            raise RuntimeError("the gate was never opened")


@pytest.fixture
def make_controller(qtbot: QtBot) -> Iterator[Any]:
    made: list[ui_app.Controller] = []

    def make(spawned: embedded.EmbeddedServer | None = None) -> ui_app.Controller:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        settings, notice = Settings.load()
        c = ui_app.Controller(app, settings, notice, None, spawned=spawned)
        made.append(c)
        return c

    yield make
    for c in made:
        if c.session is not None:
            c.session.window.close()
            c.session.window.deleteLater()
        c.shutdown()
    # The windows go now, as they would in a running desk's event loop: left pending into the
    # next test, a window's widgets were still in the style sheet's caches while the next
    # desk started, and Qt crashed repolishing them (setStyleSheet, a destroyed object).
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_embedded_start_shows_the_cached_inbox_before_the_server_answers(
    qtbot: QtBot,
    demo_server: ServerProcess,
    tmp_path: Path,
    make_controller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fill_cache(ui_app.cache_path(ui_app.EMBEDDED_KEY, embedded.DEMO_USER), demo_server)
    gate = Gate()

    def held_wait_ready(server: embedded.EmbeddedServer, timeout: float = 60.0) -> Any:
        gate.hold()
        return server

    monkeypatch.setattr(embedded, "wait_ready", held_wait_ready)
    # A stand-in child: the real server is the module's demo server at the same URL.
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    spawned = embedded.EmbeddedServer(demo_server.url, "unused", child, tmp_path / "log")
    controller = make_controller(spawned)
    controller.start()

    def shown() -> bool:
        s = controller.session
        return s is not None and s.window.model.rowCount() > 0

    qtbot.waitUntil(shown, timeout=PATIENCE_MS)
    session = controller.session
    assert session is not None
    assert not gate.opened.is_set()
    assert session.engine.api.token is None  # not signed in yet…
    assert session.engine.status.state != SyncState.SIGNED_OUT  # …and not shown as signed out
    assert "Signed out" not in session.window.sync_label.text()

    gate.opened.set()
    qtbot.waitUntil(lambda: session.engine.status.last_sync_at is not None, timeout=PATIENCE_MS)
    assert session.engine.api.token is not None
    assert controller.session is session  # the same window, now signed in
    assert controller.failure is None


def _named_setup(server_url: str, token: str, ring: MemoryKeyring) -> None:
    settings, _notice = Settings.load()
    settings.set(opts.SERVER_URL, server_url)
    settings.set(opts.USERNAME, "demo")
    settings.save()
    credentials.store_token(server_url, "demo", token, backend=ring)


def _start_with_me_held(
    qtbot: QtBot, make_controller: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Gate, Any]:
    """Start a desk on its saved token with the server's "who am I" held at a gate; return
    once the cached inbox shows."""
    gate = Gate()
    real_me = SyncApi.me

    def held_me(self: SyncApi) -> Any:
        gate.hold()
        return real_me(self)

    monkeypatch.setattr(SyncApi, "me", held_me)
    controller = make_controller()
    controller.start()
    qtbot.waitUntil(
        lambda: controller.session is not None and controller.session.window.model.rowCount() > 0,
        timeout=PATIENCE_MS,
    )
    return gate, controller


def test_saved_token_shows_the_cached_inbox_before_the_server_answers(
    qtbot: QtBot,
    demo_server: ServerProcess,
    memory_keyring: MemoryKeyring,
    make_controller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = demo_server.url
    token = _fill_cache(ui_app.cache_path(url, "demo"), demo_server)
    _named_setup(url, token, memory_keyring)
    gate, controller = _start_with_me_held(qtbot, make_controller, monkeypatch)
    assert not gate.opened.is_set()
    session = controller.session
    assert session is not None
    gate.opened.set()
    qtbot.waitUntil(lambda: session.engine.status.last_sync_at is not None, timeout=PATIENCE_MS)
    assert controller.session is session
    assert controller.dialog is None


def test_a_cache_first_filled_on_a_saved_token_shows_at_the_next_start(
    qtbot: QtBot,
    demo_server: ServerProcess,
    memory_keyring: MemoryKeyring,
    make_controller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A saved token and no cache yet (a new machine's first start, or a cache deleted): the
    first start asks the server who the token is and fills the cache; the cache must then
    know its owner, or every later start waits for the server before showing the inbox."""
    url = demo_server.url
    api = SyncApi(url)
    try:
        token = api.login("demo", PASSWORD).token
    finally:
        api.close()
    _named_setup(url, token, memory_keyring)
    first = make_controller()
    first.start()
    qtbot.waitUntil(
        lambda: first.session is not None and first.session.engine.status.last_sync_at is not None,
        timeout=PATIENCE_MS,
    )
    session = first.session
    assert session is not None
    owner = session.engine.cache.user()
    assert owner is not None
    assert owner["username"] == "demo"
    first.session = None
    session.engine.stop()
    session.window.close()
    session.window.deleteLater()
    session.engine.cache.close()

    gate, second = _start_with_me_held(qtbot, make_controller, monkeypatch)
    assert not gate.opened.is_set()  # the cached inbox shows before the server answers
    assert second.session is not None
    assert second.session.workstation.me.username == "demo"
    gate.opened.set()
    qtbot.waitUntil(
        lambda: (
            second.session is not None and second.session.engine.status.last_sync_at is not None
        ),
        timeout=PATIENCE_MS,
    )
    assert second.dialog is None


def test_an_ended_session_behind_the_cached_inbox_asks_to_sign_in_again(
    qtbot: QtBot,
    demo_server: ServerProcess,
    memory_keyring: MemoryKeyring,
    make_controller: Any,
) -> None:
    url = demo_server.url
    _fill_cache(ui_app.cache_path(url, "demo"), demo_server)
    _named_setup(url, "a-token-the-server-never-issued", memory_keyring)
    controller = make_controller()
    controller.start()
    qtbot.waitUntil(lambda: controller.dialog is not None, timeout=PATIENCE_MS)
    assert controller.session is None
    assert (
        memory_keyring.get_password(credentials.SERVICE, credentials.account_name(url, "demo"))
        is None
    )


def test_a_server_that_fails_behind_the_cached_inbox_is_said_not_syncing_forever(
    qtbot: QtBot,
    demo_server: ServerProcess,
    tmp_path: Path,
    make_controller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cached inbox shows, then the local server stops at start-up (a port taken, a
    corrupt database): the window says so and its status leaves "Syncing"."""
    _fill_cache(ui_app.cache_path(ui_app.EMBEDDED_KEY, embedded.DEMO_USER), demo_server)
    gate = Gate()

    def failing_wait_ready(server: embedded.EmbeddedServer, timeout: float = 60.0) -> Any:
        gate.hold()
        raise embedded.EmbeddedError("the local server stopped at start-up; see the log")

    monkeypatch.setattr(embedded, "wait_ready", failing_wait_ready)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    spawned = embedded.EmbeddedServer(demo_server.url, "unused", child, tmp_path / "log")
    controller = make_controller(spawned)
    controller.start()
    qtbot.waitUntil(
        lambda: controller.session is not None and controller.session.window.model.rowCount() > 0,
        timeout=PATIENCE_MS,
    )
    session = controller.session
    assert session is not None
    gate.opened.set()
    qtbot.waitUntil(lambda: controller.failure is not None, timeout=PATIENCE_MS)
    assert "stopped at start-up" in session.window.notice_label.text()
    assert session.engine.status.state != SyncState.SYNCING
    assert "Syncing" not in session.window.sync_label.text()


def test_a_saved_token_of_another_user_sends_nothing_queued_behind_the_cached_inbox(
    qtbot: QtBot,
    demo_server: ServerProcess,
    memory_keyring: MemoryKeyring,
    make_controller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """demo's cached inbox shows, but the keyring's token is alex's: a reply the agent queues
    before the server has answered who the token is stays in demo's outbox (not sent as alex),
    and the desk asks to sign in."""
    url = demo_server.url
    path = ui_app.cache_path(url, "demo")
    _fill_cache(path, demo_server)
    api = SyncApi(url)
    try:
        alex_token = api.login("alex", PASSWORD).token
    finally:
        api.close()
    _named_setup(url, alex_token, memory_keyring)
    gate, controller = _start_with_me_held(qtbot, make_controller, monkeypatch)
    session = controller.session
    assert session is not None
    cid = session.window.model.id_at(0)
    assert cid is not None
    session.workstation.reply(cid, "typed before the server answered")
    gate.opened.set()
    qtbot.waitUntil(lambda: controller.dialog is not None, timeout=PATIENCE_MS)
    assert controller.session is None
    cache = LocalCache(path)
    try:
        counts = Outbox(cache).counts()
        assert (counts.pending, counts.rejected) == (1, 0)
    finally:
        cache.close()


def test_the_desk_shutdown_waits_for_the_windows_queued_writes(
    qtbot: QtBot,
    demo_server: ServerProcess,
    tmp_path: Path,
    make_controller: Any,
) -> None:
    """The app can quit without the window being closed first (the self-test, a session end):
    the controller's shutdown, after which ui.app.main ends the process with os._exit, must
    still wait for the window's writes (a reply the agent just sent)."""
    path = ui_app.cache_path(ui_app.EMBEDDED_KEY, embedded.DEMO_USER)
    _fill_cache(path, demo_server)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    spawned = embedded.EmbeddedServer(demo_server.url, "unused", child, tmp_path / "log")
    controller = make_controller(spawned)
    controller.start()
    qtbot.waitUntil(
        lambda: (
            controller.session is not None
            and controller.session.engine.status.last_sync_at is not None
            # the inbox fills from the cache on a worker: on a loaded box after the first sync
            and controller.session.window.model.id_at(0) is not None
        ),
        timeout=PATIENCE_MS,
    )
    session = controller.session
    assert session is not None
    cid = session.window.model.id_at(0)
    assert cid is not None

    def late_reply() -> None:
        while not controller.tasks.closed:  # still under way when the desk quits
            threading.Event().wait(0.005)
        session.workstation.reply(cid, "sent just before quitting")

    session.window.tasks.write(late_reply)
    controller.shutdown()
    cache = LocalCache(path)
    try:
        assert Outbox(cache).counts().pending == 1
    finally:
        cache.close()
