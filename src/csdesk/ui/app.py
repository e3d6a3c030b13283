"""Start-up and wiring: settings, theme, the server (embedded or named), sign-in, the window.

Nothing slow happens on the GUI thread: starting the embedded server, signing in and opening
the cache all run in ``Tasks`` workers while a small window says what is going on.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from csdesk import embedded
from csdesk import settings as opts
from csdesk.app.present import role_label
from csdesk.app.workstation import Me, Workstation
from csdesk.i18n import _
from csdesk.settings import Settings
from csdesk.speech import EngineFactory, SpeechService
from csdesk.sync import (
    CacheOwnerMismatch,
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
from csdesk.sync.api import load_transport
from csdesk.ui import floor_window, gc_on_gui_thread
from csdesk.ui.appearance import Appearance, apply_theme, resolve_theme
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.language import Language
from csdesk.ui.main_window import MainWindow
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.speech_bridge import Speaker, SpeechOptions
from csdesk.ui.tasks import Tasks

if TYPE_CHECKING:
    from csdesk.ui.panels.signin import SignInDialog

log = logging.getLogger(__name__)
T = TypeVar("T")
EMBEDDED_KEY = "embedded"
#: How long after the first window shows the speech engine starts loading.
SPEECH_DELAY_MS = 300
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
        spawned: embedded.EmbeddedServer | None = None,
    ) -> None:
        """``speech_engine`` replaces pyttsx3 (tests; a platform with another synthesiser).
        ``spawned``: the embedded server's child, started before the window's imports
        (csdesk.__main__); without it, the embedded start spawns one."""
        super().__init__()
        self.app = app
        self.settings = settings
        self.notice = notice
        self.server_url = server_url or settings.get(opts.SERVER_URL)
        self.tasks = Tasks(self)
        self.bridge = SyncBridge(self)
        # The saved language (System default: the OS's) before any string is built.
        self.language = Language(app, settings, self)
        self.language.apply()
        self.appearance = Appearance(app, settings, self)
        self.theme = self.appearance.apply()
        # Speech outlives sessions; its engine (pyttsx3 and a C library) loads in a worker once
        # the first window has painted (_open), so it does not slow the first paint down.
        self.speaker = Speaker(
            SpeechService(speech_engine), SpeechOptions.from_settings(settings), parent=self
        )
        self.embedded: embedded.EmbeddedServer | None = spawned
        self._server_ready = False  # the embedded server answers
        self._cache_pending = False  # the cached inbox is being opened
        self.session: Session | None = None
        self.floor: floor_window.FloorWindow | None = None  # a supervisor's, while signed in
        self.splash: QLabel | None = None
        self.dialog: SignInDialog | None = None
        self.failure: str | None = None  # why the start failed, when it did

    # --- start ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.server_url:
            self._start_named(self.server_url)
        else:
            self._start_embedded()

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
            self.splash.show()  # hidden behind a sign-in dialog earlier (a sign-out)

    def _online(
        self,
        work: Callable[[], T],
        done: Callable[[T], None] | None,
        failed: Callable[[Exception], None],
    ) -> None:
        """Run network ``work`` in a worker. The HTTP transport (requests) is imported first,
        here on the GUI thread: it is not loaded before the first paint, and a worker importing
        it while the GUI thread imports too could deadlock on the import locks."""
        load_transport()
        self.tasks.run(work, done, failed)

    def _fatal(self, exc: Exception) -> None:
        self.failure = str(exc)
        text = _("csdesk could not start: {error}").format(error=exc)
        session = self.session
        if session is not None and session.engine.api.token is None:
            # The cached inbox is shown while the server starts, and it did not: the window
            # says why and no longer claims to be syncing (the agent's queued actions stay
            # in the cache for the next start).
            session.engine.set_token(None)
            session.window.show_notice(text)
            return
        self._say(text)

    def _start_embedded(self) -> None:
        """The server child (usually already started) and the cached inbox in parallel: the
        window shows the demo agent's cached inbox while the server starts, then signs in."""
        self._say(_("Starting the local csdesk server with the demo store…"))
        if self.embedded is None:
            try:
                self.embedded = embedded.spawn()
            except OSError as exc:
                self._fatal(
                    embedded.EmbeddedError(
                        _("the local server did not start: {error}").format(error=exc)
                    )
                )
                return
        server = self.embedded
        self._online(lambda: embedded.wait_ready(server), self._embedded_ready, self._fatal)

        def cached() -> tuple[SyncEngine, dict[str, object]] | None:
            return self._cached(server.url, EMBEDDED_KEY, embedded.DEMO_USER, None)

        def shown(result: tuple[SyncEngine, dict[str, object]] | None) -> None:
            self._cache_pending = False
            if result is not None and self.session is None and self.failure is None:
                self._open(result[0], result[1], EMBEDDED_KEY, embedded.DEMO_USER)
            elif result is not None:
                result[0].cache.close()
            if self._server_ready:
                self._embedded_sign_in()

        def unreadable(exc: Exception) -> None:
            log.warning("the cached inbox could not be opened: %s", exc)
            shown(None)

        self._cache_pending = True
        self.tasks.run(cached, shown, unreadable)

    def _cached(
        self, url: str, server_key: str, username: str, token: str | None
    ) -> tuple[SyncEngine, dict[str, object]] | None:
        """An engine on this user's cache and the user it was signed in as, or None when
        there is no cache yet (the first start). Runs in a worker."""
        if not cache_path(server_key, username).exists():
            return None
        engine = self._build(url, server_key, username, token, connecting=token is None)
        user = engine.cache.user()
        if user is None:
            engine.cache.close()
            return None
        return engine, user

    def _embedded_ready(self, server: embedded.EmbeddedServer) -> None:
        self.embedded = server
        self._server_ready = True
        if not self._cache_pending:
            self._embedded_sign_in()

    def _embedded_sign_in(self) -> None:
        """The server answers: sign the cached window's engine in, or sign in afresh."""
        server = self.embedded
        assert server is not None
        session = self.session
        if session is None:
            self._say(_("Signing in as the demo agent…"))
            self._sign_in(server.url, EMBEDDED_KEY, embedded.DEMO_USER, embedded.DEMO_PASSWORD)
            return
        engine = session.engine

        def work() -> None:
            engine.login(embedded.DEMO_USER, embedded.DEMO_PASSWORD)
            engine.start()

        def failed(exc: Exception) -> None:
            if self.session is session:
                self._fatal(exc)

        self._online(work, None, failed)

    def _start_named(self, url: str) -> None:
        """A saved token is read from the keyring in a worker (the keyring and its backend
        take a while to load); the cached inbox shows before the server answers."""
        username = self.settings.get(opts.USERNAME)
        if not username:
            self._ask(url, username)
            return

        def read() -> tuple[str | None, str | None]:
            from csdesk import credentials

            try:
                return credentials.load_token(url, username), None
            except credentials.CredentialStoreError as exc:
                return None, str(exc)

        def got(result: tuple[str | None, str | None]) -> None:
            token, notice = result
            if notice:
                self.notice = notice
            if token:
                self._resume(url, username, token)
            else:
                self._ask(url, username)

        self.tasks.run(read, got, lambda exc: self._ask(url, username, str(exc)))

    def _ask(self, url: str, username: str = "", error: str | None = None) -> None:
        from csdesk.ui.panels.signin import SignInDialog

        if self.dialog is None:
            self.dialog = SignInDialog(url, username)
            self.dialog.submitted.connect(lambda u, n, p: self._sign_in(u, u, n, p))
            self.dialog.rejected.connect(self.quit)
        self._show_dialog(self.dialog, error)

    def _ask_embedded(self, username: str = "", error: str | None = None) -> None:
        """Sign in to the embedded demo server as any demo user (after a sign-out): the
        server is fixed, the users are listed, the password field starts empty."""
        from csdesk.ui.panels.signin import SignInDialog

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

    def _build(
        self,
        url: str,
        server_key: str,
        username: str,
        token: str | None,
        *,
        connecting: bool = False,
    ) -> SyncEngine:
        cache = LocalCache(cache_path(server_key, username))
        return SyncEngine(cache, SyncApi(url, token), connecting=connecting)

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
                from csdesk import credentials

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

        self._online(work, done, failed)

    def _resume(self, url: str, username: str, token: str) -> None:
        """A saved token: start from the local cache at once, even offline; the server then
        says whether the session still holds (:meth:`_check_session`)."""

        def cached() -> tuple[SyncEngine, dict[str, object]] | None:
            return self._cached(url, url, username, token)

        def shown(result: tuple[SyncEngine, dict[str, object]] | None) -> None:
            if result is None:
                self._resume_online(url, username, token)
                return
            # Nothing is pushed until the server says the token is still this cache's
            # owner's (:meth:`_check_session` starts the engine).
            self._open(result[0], result[1], url, username, start=False)
            session = self.session
            if session is not None:  # asked once the cached list is in (and painting)
                session.window.list_shown.connect(lambda: self._check_session(session, url))

        def unreadable(exc: Exception) -> None:
            # Said in the log: the start then waits for the server before showing anything.
            log.warning("the cached inbox could not be opened: %s", exc)
            self._resume_online(url, username, token)

        self.tasks.run(cached, shown, unreadable)

    def _check_session(self, session: Session, url: str) -> None:
        """The cached window shows its list, its engine not yet started: if the server says the
        session has ended, or that the token is another user's than the cache's, the window
        goes and the sign-in dialog asks again (as at a start without a cache) and nothing the
        agent queued meanwhile is sent (it stays in this user's cache). Else, or offline, the
        engine starts."""

        def work() -> None:
            try:
                user = session.engine.api.me()
            except Offline:
                return
            if str(user.get("id")) != session.workstation.me.id:
                raise CacheOwnerMismatch("the saved token is another user's")

        def started(_result: None) -> None:
            if self.session is session:
                session.engine.start()

        def failed(exc: Exception) -> None:
            if self.session is not session:
                return
            if not isinstance(exc, SessionExpired | CacheOwnerMismatch):
                session.engine.start()  # a server error: the engine retries as usual
                return
            self.session = None
            session.engine.stop()
            session.window.close()
            session.window.deleteLater()
            session.engine.cache.close()
            self._forget_token(url, session.username)
            self._ask(url, session.username, _("Your session has ended; please sign in again."))

        self._online(work, started, failed)

    def _forget_token(self, url: str, username: str) -> None:
        from csdesk import credentials

        try:
            credentials.delete_token(url, username)
        except credentials.CredentialStoreError as exc:
            self.notice = str(exc)

    def _resume_online(self, url: str, username: str, token: str) -> None:
        """A saved token and no cache yet: ask the server who this is first."""

        def work() -> tuple[SyncEngine, dict[str, object]]:
            engine = self._build(url, url, username, token)
            try:
                user = engine.api.me()
            except Offline:
                cached = engine.cache.user()
                if cached is None:
                    raise
                return engine, cached
            except SessionExpired:
                engine.cache.close()
                raise
            try:
                engine.confirm_owner(user)  # so the next start shows this cache at once
            except CacheOwnerMismatch:
                engine.cache.close()
                raise
            return engine, user

        def failed(exc: Exception) -> None:
            if isinstance(exc, SessionExpired | CacheOwnerMismatch):
                self._forget_token(url, username)
                self._ask(url, username, _("Your session has ended; please sign in again."))
            else:
                self._ask(url, username, error_text(exc, url))

        self._online(work, lambda r: self._open(r[0], r[1], url, username), failed)

    def _open(
        self,
        engine: SyncEngine,
        user: dict[str, object],
        server_key: str,
        username: str,
        *,
        start: bool = True,
    ) -> None:
        """``start``: start syncing now when the engine has a token (else the caller starts
        it once the server has answered)."""
        me = Me(
            id=str(user["id"]),
            username=str(user.get("username", username)),
            display_name=str(user.get("display_name", username)),
            role=str(user.get("role", "agent")),
        )
        ws = Workstation(engine, me)
        engine.add_listener(self.bridge.on_sync_event)
        if start and engine.api.token is not None:  # else once signed in or checked
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
        window.language_changed.connect(self._language_chosen)
        self.session = Session(engine, ws, window, server_key, username)
        self._drop_dialog()
        if self.splash is not None:
            self.splash.close()
            self.splash = None
        # No larger than the screen's free area: at 1600×1000 on a 1366×768 laptop, or on any
        # screen at 200 % scaling, the status bar and the composer were off the screen.
        resize_within_screen(window, 1600, 1000)
        window.show()
        window.activateWindow()
        # A supervisor or admin gets the floor in front as well (docs/floor.md).
        self.floor = floor_window.open_for(window, ws, self.bridge, self.appearance.theme)
        QTimer.singleShot(SPEECH_DELAY_MS, self, self._start_speech)

    def _start_speech(self) -> None:
        # What start-up built (modules, classes, widgets: ~100 k objects) lives as long as the
        # window; kept out of the collector's full passes, which otherwise stall the GUI
        # thread for 100+ ms each whatever the inbox holds. Cheap: it splices lists.
        gc.freeze()
        if not self.tasks.closed:
            self.speaker.start(self.tasks.run)

    def sign_out(self) -> None:
        session = self.session
        if session is None:
            return
        self.session = None
        gc.unfreeze()  # the window goes: let the collector reach what it held again
        url = session.engine.api.base_url

        def work() -> None:
            session.engine.logout()
            session.engine.stop()
            if session.server_key != EMBEDDED_KEY:
                from csdesk import credentials

                credentials.delete_token(url, session.username)

        # A window stays on screen until the sign-in dialog shows: with the agent screen
        # hidden and a supervisor's floor closed, no window was left while the server was told,
        # and Qt quit the app (quitOnLastWindowClosed) instead of asking who signs in next.
        self._say(_("Signing out…"))
        session.window.hide()
        self._close_floor()
        self._online(
            work,
            lambda _r: self._after_sign_out(session, url),
            lambda exc: self._after_sign_out(session, url, str(exc)),
        )

    def _close_floor(self) -> None:
        """The supervisor's floor goes with the session (it reads the session's cache)."""
        floor, self.floor = self.floor, None
        if floor is not None:
            floor.stop()
            floor.tasks.shutdown()
            floor.close()
            floor.deleteLater()

    def _after_sign_out(self, session: Session, url: str, error: str | None = None) -> None:
        session.window.close()
        session.window.deleteLater()
        if session.server_key == EMBEDDED_KEY and self.embedded is not None:
            self._ask_embedded(error=error)
        else:
            self._ask(url, session.username, error)

    # --- languages (issue 13) ------------------------------------------------------------

    def _language_chosen(self, _value: str) -> None:
        """The settings dialog changed the language: switched once its own slot has returned
        (the rebuild closes that dialog)."""
        QTimer.singleShot(0, self, self._switch_language)

    def _switch_language(self) -> None:
        self.language.apply()
        session = self.session
        if session is not None:
            self.rebuild_window(session)

    def rebuild_window(self, session: Session) -> MainWindow:
        """Build the session's window afresh in the language now in force and close the old
        one. A rebuild rather than a retranslate pass over every widget: every label, tooltip,
        accessible name, shortcut description and sentence is read through ``_()`` where the
        widget is built, in ~90 modules, and a rebuild reaches all of them (and the layout
        direction) with no per-widget code to forget. The new window takes over the view,
        sort, search, open conversation and draft (:meth:`MainWindow.take_over`); an open
        settings dialog is opened again on the language choice, so the keyboard stays there."""
        old = session.window
        reopen_settings = old.settings_dialog is not None
        from csdesk.ui.panels.dashboard_window import DashboardWindow, open_dashboard

        # The KPI dashboard closes with the window it belongs to: opened again in the new
        # language (its own choices are read afresh from the server).
        dashboard = old.findChild(DashboardWindow)
        reopen_dashboard = dashboard is not None and dashboard.isVisible()
        if old.settings_dialog is not None:
            old.settings_dialog.close()  # saves the settings on the old window's writer
        window = MainWindow(
            session.workstation,
            self.bridge,
            self.appearance.theme,
            None,
            speaker=self.speaker,
            appearance=self.appearance,
            settings=self.settings,
        )
        window.sign_out_requested.connect(self.sign_out)
        window.language_changed.connect(self._language_chosen)
        window.take_over(old)
        if self.floor is not None:  # it closes with the window it belongs to
            self.floor.stop()
            self.floor.tasks.shutdown()
            self.floor = None
        session.window = window
        old.hide()
        window.show()
        old.close()
        old.deleteLater()
        window.activateWindow()
        self.floor = floor_window.open_for(
            window, session.workstation, self.bridge, self.appearance.theme
        )
        if self.floor is not None:
            window.raise_()
            window.activateWindow()
        if reopen_dashboard:
            open_dashboard(window)
        if reopen_settings:
            window.show_settings()
            dialog = window.settings_dialog
            if dialog is not None:
                from csdesk.ui.panels.settings import SettingsDialog

                if isinstance(dialog, SettingsDialog):
                    dialog.focus_language()
        return window

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.notice = _("Could not save settings: {error}").format(error=exc)

    def quit(self) -> None:
        self.app.quit()

    def shutdown(self) -> None:
        """The long-poll closes first (the server then has nothing to wait for), the server
        child is told to stop and does so while the desk closes its own workers and cache."""
        if self.floor is not None:  # the supervisor's floor reads the cache closed below
            self.floor.stop()
            self.floor.tasks.shutdown()
        if self.session is not None:
            self.session.engine.stop()
        if self.embedded is not None and self.embedded.proc.poll() is None:
            self.embedded.proc.terminate()
        self.speaker.close()
        self.appearance.detach()
        self.language.detach()
        self.tasks.shutdown()
        if self.session is not None:
            # The window's queued writes (a reply just sent) finish first, even when the app
            # quit without closing it: main() may end the process with os._exit right after.
            self.session.window.tasks.shutdown()
            self.session.engine.cache.close()
        if self.embedded is not None:
            self.embedded.stop()


SELF_TEST_SECONDS = 120


def _watch_self_test(app: QApplication, controller: Controller) -> None:
    """Exit 0 once a signed-in window shows inbox rows and has synced with the server, 1 at
    the deadline: what an installer or a packaged build needs to know works (Qt plugins,
    resources, server, sync, cache). "inbox shown" is printed when rows first show (from the
    cache, on a second start, before the server answers)."""
    deadline = time.monotonic() + SELF_TEST_SECONDS
    timer = QTimer(app)
    timer.setInterval(20)
    shown = False

    def check() -> None:
        nonlocal shown
        session = controller.session
        rows = 0 if session is None else session.window.model.rowCount()
        if rows and not shown:
            shown = True
            print(f"csdesk: inbox shown: {rows} conversations", flush=True)
        if session is not None and rows and session.engine.status.last_sync_at is not None:
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
    spawned: embedded.EmbeddedServer | None = None,
    end_process: bool = True,
) -> int:
    """Run the desk until it quits; ``spawned``: the embedded server's child when
    csdesk.__main__ started it early. With ``end_process`` (the ``csdesk`` command) the
    process ends right after the orderly shutdown of the session, the server child and the
    workers, without waiting for the interpreter to tear Qt and every module down."""
    logging.basicConfig(level=logging.WARNING)
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    assert isinstance(app, QApplication)
    gc_on_gui_thread.install(app)  # Qt objects in garbage die on their own thread
    app.setApplicationName("csdesk")
    app.setOrganizationName("csdesk")
    settings, notice = Settings.load()
    controller = Controller(app, settings, notice, server_url, spawned=spawned)
    controller.start()
    if self_test:
        _watch_self_test(app, controller)
    code = 1
    try:
        code = app.exec()
    finally:
        controller.shutdown()
    if end_process:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    return code
