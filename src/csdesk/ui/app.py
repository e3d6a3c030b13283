"""Start-up and wiring: settings, theme, the server (embedded or named), sign-in, the window.

Nothing slow happens on the GUI thread: starting the embedded server, signing in and opening
the cache all run in ``Tasks`` workers while a small window says what is going on.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from csdesk import credentials, embedded
from csdesk import settings as opts
from csdesk.app.present import role_label
from csdesk.app.workstation import Me, Workstation
from csdesk.i18n import _
from csdesk.settings import Settings
from csdesk.speech import EngineFactory, SpeechService
from csdesk.sync import (
    LocalCache,
    LoginResult,
    Offline,
    ServerError,
    SessionExpired,
    SyncApi,
    SyncEngine,
    SyncError,
    Throttled,
    TlsError,
    WrongCredentials,
)
from csdesk.ui.appearance import Appearance, apply_theme, resolve_theme
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.signin import SignInDialog
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.speech_bridge import Speaker, SpeechOptions
from csdesk.ui.tasks import Tasks

log = logging.getLogger(__name__)
EMBEDDED_KEY = "embedded"
__all__ = ["Controller", "apply_theme", "main", "resolve_theme"]


def error_text(exc: Exception, url: str) -> str:
    """One clear sentence for each way signing in fails."""
    if isinstance(exc, WrongCredentials):
        return _("Wrong user name or password.")
    if isinstance(exc, Throttled):
        return _("Too many failed attempts: try again in {n} seconds.").format(
            n=int(exc.retry_after)
        )
    if isinstance(exc, TlsError):
        return _("The secure connection to {url} failed: {error}").format(url=url, error=exc)
    if isinstance(exc, Offline):
        return _("Cannot reach the server at {url}: {error}").format(url=url, error=exc)
    if isinstance(exc, ServerError | SyncError):
        return _("The server refused to sign you in: {error}").format(error=exc)
    return _("Signing in failed: {error}").format(error=exc)


def cache_path(server_key: str, username: str) -> Path:
    digest = hashlib.sha256(f"{server_key}\n{username}".encode()).hexdigest()[:16]
    return embedded.data_dir() / f"cache-{digest}.sqlite"


@dataclass
class Session:
    engine: SyncEngine
    workstation: Workstation
    window: MainWindow
    server_key: str
    username: str


class Controller(QObject):
    """Owns the start-up sequence and the signed-in session."""

    def __init__(
        self,
        app: QApplication,
        settings: Settings,
        notice: str | None,
        server_url: str | None,
        *,
        speech_engine: EngineFactory | None = None,
    ) -> None:
        """``speech_engine`` replaces pyttsx3 (tests; a platform with another synthesiser)."""
        super().__init__()
        self.app = app
        self.settings = settings
        self.notice = notice
        self.server_url = server_url or settings.get(opts.SERVER_URL)
        self.tasks = Tasks(self)
        self.bridge = SyncBridge(self)
        self.appearance = Appearance(app, settings, self)
        self.theme = self.appearance.apply()
        # Speech starts with the app (the engine takes a moment to load) and outlives sessions.
        self.speaker = Speaker(
            SpeechService(speech_engine), SpeechOptions.from_settings(settings), parent=self
        )
        self.speaker.start(lambda fn: self.tasks.run(fn))
        self.embedded: embedded.EmbeddedServer | None = None
        self.session: Session | None = None
        self.splash: QLabel | None = None
        self.dialog: SignInDialog | None = None
        self.failure: str | None = None  # why the start failed, when it did

    # --- start ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.server_url:
            self._start_named(self.server_url)
        else:
            self._say(_("Starting the local csdesk server with the demo store…"))
            self.tasks.run(embedded.start, self._embedded_ready, self._fatal)

    def _say(self, text: str) -> None:
        if self.splash is None:
            self.splash = PlainLabel(text)
            self.splash.setObjectName("splash")
            self.splash.setWindowTitle("csdesk")
            self.splash.setMinimumSize(420, 120)
            self.splash.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.splash.setWordWrap(True)
            self.splash.show()
        else:
            self.splash.setText(text)

    def _fatal(self, exc: Exception) -> None:
        self.failure = str(exc)
        self._say(_("csdesk could not start: {error}").format(error=exc))

    def _embedded_ready(self, server: embedded.EmbeddedServer) -> None:
        self.embedded = server
        self._say(_("Signing in as the demo agent…"))
        self._sign_in(server.url, EMBEDDED_KEY, embedded.DEMO_USER, embedded.DEMO_PASSWORD)

    def _start_named(self, url: str) -> None:
        username = self.settings.get(opts.USERNAME)
        token = None
        if username:
            try:
                token = credentials.load_token(url, username)
            except credentials.CredentialStoreError as exc:
                self.notice = str(exc)
        if username and token:
            self._resume(url, username, token)
        else:
            self._ask(url, username)

    def _ask(self, url: str, username: str = "", error: str | None = None) -> None:
        if self.dialog is None:
            self.dialog = SignInDialog(url, username)
            self.dialog.submitted.connect(lambda u, n, p: self._sign_in(u, u, n, p))
            self.dialog.rejected.connect(self.quit)
        self._show_dialog(self.dialog, error)

    def _ask_embedded(self, username: str = "", error: str | None = None) -> None:
        """Sign in to the embedded demo server as any demo user (after a sign-out): the
        server is fixed, the users are listed, the password field starts empty."""
        server = self.embedded
        assert server is not None
        if self.dialog is None:
            users = "; ".join(
                _("{user} ({role})").format(user=u, role=role_label(r))
                for u, r in embedded.DEMO_USERS
            )
            hint = _("Demo users: {users}. Every demo password is “{password}”.").format(
                users=users, password=embedded.DEMO_PASSWORD
            )
            self.dialog = SignInDialog(server.url, username, fixed_url=True, hint=hint)
            self.dialog.submitted.connect(
                lambda _u, n, p: self._sign_in(server.url, EMBEDDED_KEY, n, p, asked=True)
            )
            self.dialog.rejected.connect(self.quit)
        self._show_dialog(self.dialog, error)

    def _show_dialog(self, dialog: SignInDialog, error: str | None) -> None:
        if error:
            dialog.show_error(error)
        dialog.show()
        dialog.activateWindow()
        if self.splash is not None:
            self.splash.hide()

    def _drop_dialog(self) -> None:
        """Signed in: the dialog goes (the next sign-in gets a fresh one, never this one
        with its busy state and the password typed into it)."""
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.rejected.disconnect()
            dialog.reset()
            dialog.hide()
            dialog.deleteLater()

    # --- sign in -------------------------------------------------------------------------

    def _build(self, url: str, server_key: str, username: str, token: str | None) -> SyncEngine:
        cache = LocalCache(cache_path(server_key, username))
        return SyncEngine(cache, SyncApi(url, token))

    def _sign_in(
        self, url: str, server_key: str, username: str, password: str, *, asked: bool = False
    ) -> None:
        """``asked``: the user typed these into the dialog (so a failure asks again, even for
        the embedded server, where the automatic first sign-in failing is fatal)."""

        def work() -> tuple[SyncEngine, LoginResult]:
            engine = self._build(url, server_key, username, None)
            try:
                return engine, engine.login(username, password)
            except Exception:
                engine.cache.close()
                raise

        def done(result: tuple[SyncEngine, LoginResult]) -> None:
            engine, login = result
            if server_key != EMBEDDED_KEY:
                self.settings.set(opts.SERVER_URL, url)
                self.settings.set(opts.USERNAME, username)
                self._save_settings()
                try:
                    credentials.store_token(url, username, login.token)
                except credentials.CredentialStoreError as exc:
                    self.notice = str(exc)  # this session works; the next start asks again
            self._open(engine, login.user, server_key, username)

        def failed(exc: Exception) -> None:
            if server_key == EMBEDDED_KEY and asked:
                self._ask_embedded(username, error_text(exc, url))
            elif server_key == EMBEDDED_KEY:
                self._fatal(exc)
            else:
                self._ask(url, username, error_text(exc, url))

        self.tasks.run(work, done, failed)

    def _resume(self, url: str, username: str, token: str) -> None:
        """A saved token: start from the local cache at once, even offline."""

        def work() -> tuple[SyncEngine, dict[str, object]]:
            engine = self._build(url, url, username, token)
            try:
                user = engine.api.me()
            except Offline:
                cached = engine.cache.user()
                if cached is None:
                    raise
                user = cached
            except SessionExpired:
                engine.cache.close()
                raise
            return engine, user

        def failed(exc: Exception) -> None:
            if isinstance(exc, SessionExpired):
                credentials.delete_token(url, username)
                self._ask(url, username, _("Your session has ended; please sign in again."))
            else:
                self._ask(url, username, error_text(exc, url))

        self.tasks.run(work, lambda r: self._open(r[0], r[1], url, username), failed)

    def _open(
        self, engine: SyncEngine, user: dict[str, object], server_key: str, username: str
    ) -> None:
        me = Me(
            id=str(user["id"]),
            username=str(user.get("username", username)),
            display_name=str(user.get("display_name", username)),
            role=str(user.get("role", "agent")),
        )
        ws = Workstation(engine, me)
        engine.add_listener(self.bridge.on_sync_event)
        engine.start()
        window = MainWindow(
            ws,
            self.bridge,
            self.appearance.theme,
            self.notice,
            speaker=self.speaker,
            appearance=self.appearance,
            settings=self.settings,
        )
        window.sign_out_requested.connect(self.sign_out)
        self.session = Session(engine, ws, window, server_key, username)
        self._drop_dialog()
        if self.splash is not None:
            self.splash.close()
            self.splash = None
        window.resize(1600, 1000)
        window.show()
        window.activateWindow()

    def sign_out(self) -> None:
        session = self.session
        if session is None:
            return
        self.session = None
        url = session.engine.api.base_url

        def work() -> None:
            session.engine.logout()
            session.engine.stop()
            if session.server_key != EMBEDDED_KEY:
                credentials.delete_token(url, session.username)

        session.window.hide()
        self.tasks.run(
            work,
            lambda _r: self._after_sign_out(session, url),
            lambda exc: self._after_sign_out(session, url, str(exc)),
        )

    def _after_sign_out(self, session: Session, url: str, error: str | None = None) -> None:
        session.window.close()
        session.window.deleteLater()
        if session.server_key == EMBEDDED_KEY and self.embedded is not None:
            self._ask_embedded(error=error)
        else:
            self._ask(url, session.username, error)

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.notice = _("Could not save settings: {error}").format(error=exc)

    def quit(self) -> None:
        self.app.quit()

    def shutdown(self) -> None:
        if self.session is not None:
            self.session.engine.stop()
        self.speaker.close()
        self.appearance.detach()
        self.tasks.shutdown()
        if self.embedded is not None:
            self.embedded.stop()


SELF_TEST_SECONDS = 120


def _watch_self_test(app: QApplication, controller: Controller) -> None:
    """Exit 0 once a signed-in window shows inbox rows, 1 at the deadline: what an installer
    or a packaged build needs to know works (Qt plugins, resources, server, sync, cache)."""
    deadline = time.monotonic() + SELF_TEST_SECONDS
    timer = QTimer(app)
    timer.setInterval(200)

    def check() -> None:
        session = controller.session
        if session is not None and session.window.model.rowCount() > 0:
            timer.stop()
            rows = session.window.model.rowCount()
            print(f"csdesk: self-test passed: signed in, {rows} conversations shown", flush=True)
            app.exit(0)
        elif controller.failure is not None or time.monotonic() > deadline:
            timer.stop()
            why = controller.failure or f"no inbox after {SELF_TEST_SECONDS} s"
            print(f"csdesk: self-test failed: {why}", flush=True)
            app.exit(1)

    timer.timeout.connect(check)
    timer.start()


def main(
    server_url: str | None = None,
    argv: Sequence[str] | None = None,
    *,
    self_test: bool = False,
) -> int:
    logging.basicConfig(level=logging.WARNING)
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    assert isinstance(app, QApplication)
    app.setApplicationName("csdesk")
    app.setOrganizationName("csdesk")
    settings, notice = Settings.load()
    controller = Controller(app, settings, notice, server_url)
    controller.start()
    if self_test:
        _watch_self_test(app, controller)
    try:
        return app.exec()
    finally:
        controller.shutdown()
