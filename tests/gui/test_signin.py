"""Start-up as an agent meets it: sign-in errors, the keyring token, sign-out, damaged settings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk import settings as opts
from csdesk.credentials import account_name
from csdesk.settings import Settings
from csdesk.ui.app import Controller
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.server import ServerProcess, free_port


@pytest.fixture
def controller_for(qtbot: QtBot) -> Iterator[list[Controller]]:
    made: list[Controller] = []
    yield made
    for c in made:
        if c.session is not None:
            c.session.window.close()
        if c.dialog is not None:
            c.dialog.close()
        c.shutdown()


def _start(made: list[Controller], url: str | None, settings_dir: Path | None = None) -> Controller:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings, notice = Settings.load(settings_dir / "settings.json" if settings_dir else None)
    c = Controller(app, settings, notice, url)
    made.append(c)
    c.start()
    return c


def _sign_in(qtbot: QtBot, c: Controller, user: str, password: str) -> None:
    qtbot.waitUntil(lambda: c.dialog is not None and c.dialog.isVisible(), timeout=10_000)
    assert c.dialog is not None
    c.dialog.username.setText(user)
    c.dialog.password.setText(password)
    c.dialog.buttons.accepted.emit()


def test_wrong_password_then_right_one_then_sign_out(
    qtbot: QtBot,
    demo_server: ServerProcess,
    controller_for: list[Controller],
    memory_keyring: MemoryKeyring,
) -> None:
    c = _start(controller_for, demo_server.url)
    _sign_in(qtbot, c, "mateo", "not-his-password")
    assert c.dialog is not None
    qtbot.waitUntil(
        lambda: c.dialog is not None and c.dialog.error.text() == "Wrong user name or password.",
        timeout=15_000,
    )
    assert c.dialog.buttons.isEnabled()  # the agent can try again
    _sign_in(qtbot, c, "mateo", "demo-password")
    qtbot.waitUntil(lambda: c.session is not None and c.session.window.isVisible(), timeout=20_000)
    account = account_name(demo_server.url, "mateo")
    token = memory_keyring.entries.get(("csdesk", account))
    assert token  # in the keyring ...
    settings_text = (Path(opts.config_dir()) / "settings.json").read_text()
    assert token not in settings_text and "mateo" in settings_text  # ... never in settings

    assert c.session is not None
    c.session.window.actions_["sign_out"].trigger()
    qtbot.waitUntil(lambda: c.dialog is not None and c.dialog.isVisible(), timeout=15_000)
    assert ("csdesk", account) not in memory_keyring.entries


def test_saved_token_signs_in_without_asking(
    qtbot: QtBot, demo_server: ServerProcess, controller_for: list[Controller]
) -> None:
    first = _start(controller_for, demo_server.url)
    _sign_in(qtbot, first, "mateo", "demo-password")
    qtbot.waitUntil(lambda: first.session is not None, timeout=20_000)
    assert first.session is not None
    first.session.window.close()
    first.session.engine.stop()
    first.session = None
    second = _start(controller_for, demo_server.url)
    qtbot.waitUntil(lambda: second.session is not None, timeout=20_000)
    assert second.dialog is None  # never asked


def test_unreachable_server_says_so(qtbot: QtBot, controller_for: list[Controller]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    c = _start(controller_for, url)
    _sign_in(qtbot, c, "mateo", "demo-password")
    qtbot.waitUntil(
        lambda: (
            c.dialog is not None and c.dialog.error.text().startswith("Cannot reach the server at")
        ),
        timeout=20_000,
    )
    assert c.session is None


def test_damaged_settings_file_is_reported_and_kept(
    qtbot: QtBot, demo_server: ServerProcess, controller_for: list[Controller]
) -> None:
    path = Path(opts.config_dir()) / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '{"version": 1, "theme": "purple", "font_scale": "huge", '
        f'"server_url": "{demo_server.url}"'
    )  # truncated JSON
    c = _start(controller_for, demo_server.url)
    assert c.notice is not None and "damaged" in c.notice
    kept = list(path.parent.glob("settings.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text().startswith('{"version"')
    _sign_in(qtbot, c, "mateo", "demo-password")
    qtbot.waitUntil(lambda: c.session is not None, timeout=20_000)
    assert c.session is not None
    assert "damaged" in c.session.window.notice_label.text()
    json.loads(path.read_text())  # a sound file was written back


def test_untrusted_certificate_is_its_own_message(
    qtbot: QtBot, controller_for: list[Controller], tmp_path: Path
) -> None:
    from tests.helpers.tls import untrusted_tls_server

    with untrusted_tls_server(tmp_path) as url:
        c = _start(controller_for, url)
        _sign_in(qtbot, c, "mateo", "demo-password")
        qtbot.waitUntil(
            lambda: (
                c.dialog is not None
                and c.dialog.error.text().startswith(f"The secure connection to {url} failed")
            ),
            timeout=20_000,
        )
        assert c.dialog is not None and "certificate" in c.dialog.error.text()
        assert c.session is None


def _fresh_dialog(c: Controller) -> bool:
    d = c.dialog
    return (
        d is not None
        and d.isVisible()
        and d.buttons.isEnabled()
        and d.password.text() == ""
        and "Signing in" not in d.error.text()
    )


def _signed_in_as(c: Controller, username: str) -> bool:
    s = c.session
    return s is not None and s.workstation.me.username == username and s.window.isVisible()


def _mine_loaded(c: Controller) -> bool:
    s = c.session
    return s is not None and s.window.caught_up and s.window.shown_view == "mine"


def test_sign_out_then_sign_in_as_someone_else(
    qtbot: QtBot, demo_server: ServerProcess, controller_for: list[Controller]
) -> None:
    """Issue 9 item 25: the dialog after sign-out is ready for the next person (not frozen on
    "Signing in…", no password), and the next person sees their own desk, not the cache of
    the one before."""
    c = _start(controller_for, demo_server.url)
    _sign_in(qtbot, c, "mateo", "demo-password")
    qtbot.waitUntil(lambda: _signed_in_as(c, "mateo"), timeout=20_000)
    assert c.session is not None
    window = c.session.window
    qtbot.waitUntil(lambda: _mine_loaded(c) and window.model.rowCount() > 0, timeout=30_000)
    first_cache = c.session.engine.cache.path
    mateos = set(c.session.window.model.ids())

    c.session.window.actions_["sign_out"].trigger()
    qtbot.waitUntil(lambda: _fresh_dialog(c), timeout=15_000)
    assert c.dialog is not None and c.dialog.username.text() == "mateo"

    _sign_in(qtbot, c, "sam", "demo-password")
    qtbot.waitUntil(lambda: _signed_in_as(c, "sam"), timeout=20_000)
    session = c.session
    assert session is not None
    assert session.workstation.me.role == "supervisor"
    assert "Sam Okafor" in session.window.windowTitle()
    assert session.engine.cache.path != first_cache
    qtbot.waitUntil(lambda: _mine_loaded(c), timeout=30_000)
    assert not mateos & set(session.window.model.ids())  # Sam has nothing assigned


def test_embedded_sign_out_offers_the_other_demo_users(
    qtbot: QtBot, demo_server: ServerProcess, controller_for: list[Controller]
) -> None:
    """In the embedded default, sign-out used to quit the app: now it asks who signs in."""
    from csdesk.embedded import EmbeddedServer

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings, notice = Settings.load()
    c = Controller(app, settings, notice, None)
    controller_for.append(c)
    quits: list[bool] = []
    c.quit = lambda: quits.append(True)  # type: ignore[method-assign]
    assert demo_server.proc is not None
    server = EmbeddedServer(demo_server.url, demo_server.db_url, demo_server.proc, Path("x"))
    try:
        c._embedded_ready(server)  # what start() does once the local server answers
        qtbot.waitUntil(lambda: _signed_in_as(c, "demo"), timeout=20_000)
        assert c.session is not None
        c.session.window.actions_["sign_out"].trigger()
        qtbot.waitUntil(lambda: _fresh_dialog(c), timeout=15_000)
        assert not quits
        d = c.dialog
        assert d is not None and d.url.text() == demo_server.url and d.url.isReadOnly()
        for user in ("sam (supervisor)", "trainee (trainee)", "demo-password"):
            assert user in d.hint.text()

        _sign_in(qtbot, c, "trainee", "wrong")
        qtbot.waitUntil(
            lambda: (
                c.dialog is not None and c.dialog.error.text() == "Wrong user name or password."
            ),
            timeout=15_000,
        )
        assert c.failure is None and not quits  # a typo is not fatal
        _sign_in(qtbot, c, "sam", "demo-password")
        qtbot.waitUntil(lambda: _signed_in_as(c, "sam"), timeout=20_000)
        assert c.session is not None and c.session.workstation.me.role == "supervisor"
    finally:
        c.embedded = None  # the module's server is not the controller's to stop


def test_without_a_keyring_the_window_says_what_to_install(
    qtbot: QtBot, demo_server: ServerProcess, controller_for: list[Controller]
) -> None:
    """Issue 9 item 39, as the agent meets it: signed in, and told what would keep the token."""
    import sys

    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    c = _start(controller_for, demo_server.url)
    _sign_in(qtbot, c, "mateo", "demo-password")
    qtbot.waitUntil(lambda: c.session is not None and c.session.window.isVisible(), timeout=20_000)
    assert c.session is not None
    notice = c.session.window.notice_label.text()
    assert notice.startswith("Could not save the sign-in token: no system keyring")
    if sys.platform.startswith("linux"):
        assert "gnome-keyring" in notice and "KeePassXC" in notice and "KWallet" in notice


def test_sign_out_while_an_inbox_query_runs(
    qtbot: QtBot, demo_server: ServerProcess, controller_for: list[Controller]
) -> None:
    """A query still running when the agent signs out never lands anywhere: no crash, and
    the next person's list holds none of the previous person's conversations."""
    c = _start(controller_for, demo_server.url)
    _sign_in(qtbot, c, "mateo", "demo-password")
    qtbot.waitUntil(lambda: _signed_in_as(c, "mateo"), timeout=20_000)
    assert c.session is not None
    window = c.session.window
    qtbot.waitUntil(lambda: _mine_loaded(c) and window.model.rowCount() > 0, timeout=30_000)
    mateos = set(window.model.ids())
    gate, ran, over = threading.Event(), threading.Event(), threading.Event()
    real = window.ws.ordered_ids

    def slow(*a: Any, **k: Any) -> list[str]:
        ran.set()
        gate.wait(20)
        try:
            return real(*a, **k)
        finally:
            over.set()

    window.ws.ordered_ids = slow  # type: ignore[method-assign]
    try:
        window.reload_list()
        qtbot.waitUntil(ran.is_set, timeout=10_000)
        window.actions_["sign_out"].trigger()
        qtbot.waitUntil(lambda: _fresh_dialog(c), timeout=15_000)
        _sign_in(qtbot, c, "sam", "demo-password")
        qtbot.waitUntil(lambda: _signed_in_as(c, "sam"), timeout=20_000)
    finally:
        gate.set()
    session = c.session
    assert session is not None and session.window is not window
    qtbot.waitUntil(lambda: _mine_loaded(c), timeout=30_000)
    qtbot.waitUntil(over.is_set, timeout=20_000)  # the old query ended (answer or error)
    QApplication.processEvents()  # and whatever it sent was delivered, were it to be
    assert not mateos & set(session.window.model.ids())
