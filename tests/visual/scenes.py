"""What the reference images show: the main window with a conversation open, and the dialogs an
agent meets most, each opened the way the desk opens it where that needs no server.

Every scene is rendered offscreen on a desk whose screen is the scale's (``SCREENS``): windows
that size themselves to their screen (``ui.screen_fit``) see that screen, not the offscreen
platform's 800×800.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from PySide6.QtCore import QCoreApplication, QEvent, QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from csdesk.app import sla_policy as app_sla
from csdesk.app.qa import QaDesk
from csdesk.app.routing import RoutingDesk
from csdesk.app.workstation import Me, Workstation
from csdesk.settings import Settings
from csdesk.sync import SyncEngine
from csdesk.sync.events import SyncState, SyncStatus
from csdesk.theme.themes import get_theme
from csdesk.theme.tokens import Theme
from csdesk.ui import screen_fit
from csdesk.ui.appearance import Appearance, apply_theme
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.floor_window import open_for
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.customer_edit import CustomerEditDialog
from csdesk.ui.panels.dashboard_window import DashboardWindow
from csdesk.ui.panels.qa_review_dialog import QaReviewDialog
from csdesk.ui.panels.routing_editor import RoutingEditor
from csdesk.ui.panels.settings import SettingsDialog
from csdesk.ui.panels.signin import SignInDialog
from csdesk.ui.panels.sla_editor import SlaEditor
from csdesk.ui.panels.translate_dialog import TranslateReplyDialog
from tests.helpers.qtwait import pump_until
from tests.visual.answers import FixtureApi
from tests.visual.fixture import NOW, OPEN_CONVERSATION

#: The screen each text size is checked on (the sizes tests/a11y/test_fit_screens.py uses).
SCREENS: Final = {1.0: QSize(1366, 768), 1.5: QSize(1600, 1000), 2.0: QSize(1600, 1000)}
#: A window manager's title bar and a task bar: the main window's height is the screen's less.
DECORATION: Final = 40


@dataclass
class Desk:
    """The window of one scene and what the dialogs are built from."""

    ws: Workstation
    window: MainWindow
    tmp: Path
    theme: str
    scale: float


Scene = Callable[[Desk], QWidget]


@contextmanager
def screen_of(size: QSize) -> Iterator[None]:
    """``resize_within_screen`` everywhere bounded by ``size`` (as if the desk's screen)."""
    original = screen_fit.resize_within_screen

    def fitted(window: QWidget, width: int, height: int) -> None:
        width = min(width, size.width())
        height = min(height, size.height() - screen_fit.TITLE_BAR)
        window.resize(max(width, 1), max(height, 1))

    holders = [
        mod
        for name, mod in list(sys.modules.items())
        if name.startswith("csdesk.") and getattr(mod, "resize_within_screen", None) is original
    ]
    for mod in holders:
        mod.resize_within_screen = fitted  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for mod in holders:
            mod.resize_within_screen = original  # type: ignore[attr-defined]


def settle(window: QWidget, seconds: float = 0.15) -> None:
    """Let the window's background reads land and its layout settle."""
    tasks = getattr(window, "tasks", None)
    pump_until(lambda: tasks is None or tasks.in_flight == 0, 20)
    pump_until(lambda: False, seconds)
    if tasks is not None:
        pump_until(lambda: tasks.in_flight == 0, 20)
    QApplication.processEvents()


def open_window(
    ws: Workstation, theme_name: str, scale: float, tmp: Path, theme: Theme | None = None
) -> Desk:
    """The main window at the scale's screen with the fixture's conversation open (in
    ``theme`` when given: a variant of a shipped one)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # Restyling with a closed but undeleted window about (an earlier test's) can crash in
    # Qt (tests/a11y/conftest.py, no_stale_windows): those go first.
    for stale in app.topLevelWidgets():
        if not stale.isVisible() and stale.parent() is None:
            stale.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    theme = theme or get_theme(theme_name)
    apply_theme(app, theme, scale)
    window = MainWindow(ws, SyncBridge(), theme)
    screen = SCREENS[scale]
    window.resize(screen.width(), screen.height() - DECORATION)
    window.show()
    pump_until(lambda: window.shown_view is not None and window.model.rowCount() > 3, 20)
    # The list opens its first row when it first gets the focus, which comes when it comes
    # (and marks that conversation read, or not yet, as the picture is taken): open it on
    # purpose first, so it is read in every picture, then the fixture's conversation.
    for cid in (window.model.ids()[0], OPEN_CONVERSATION):
        window.inbox.select_id(cid, window.model.ids().index(cid))
        pump_until(lambda: _opened_in(window) == cid, 20)  # noqa: B023  (waited for here)
        pump_until(lambda: window.customer_ctx is not None, 20)
        settle(window)
    window.on_status(SyncStatus(SyncState.ONLINE, last_sync_at=NOW - timedelta(seconds=30)))
    window.inbox.list.setFocus()
    settle(window)
    # The thread went to its last message before the panes' final layout (a list view in
    # Adjust mode lays out on a timer), so where it ended up depends on timing: go again.
    window.conversation.messages.go_to_last()
    window.inbox.list.setFocus()
    settle(window)
    return Desk(ws, window, tmp, theme_name, scale)


def _opened_in(window: MainWindow) -> str | None:
    return window.open_conv.id if window.open_conv is not None else None


def close(desk: Desk) -> None:
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.close()
    desk.window.tasks.shutdown()
    desk.window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def grab(widget: QWidget, tries: int = 20) -> QImage:
    """The widget as drawn once it stopped changing: two grabs a moment apart are the same
    (on a loaded machine a layout timer or a late result can land after ``settle``)."""
    settle(widget.window())
    image = widget.grab().toImage()
    for _ in range(tries):
        pump_until(lambda: False, 0.1)
        again = widget.grab().toImage()
        if again == image:
            return again
        image = again
    raise AssertionError(f"{widget.objectName() or widget} kept changing: no stable picture")


def _top(object_name: str) -> Callable[[], QDialog | None]:
    def find() -> QDialog | None:
        for widget in QApplication.topLevelWidgets():
            named = isinstance(widget, QDialog) and widget.objectName() == object_name
            if named and widget.isVisible():
                return widget  # type: ignore[return-value]
        return None

    return find


def _opened(object_name: str) -> QDialog:
    find = _top(object_name)
    pump_until(lambda: find() is not None, 20)
    dialog = find()
    assert dialog is not None, f"the {object_name} did not open"
    return dialog


def _shown(dialog: QDialog) -> QDialog:
    dialog.show()
    return dialog


# --- the scenes ---------------------------------------------------------------------------


def main_window(desk: Desk) -> QWidget:
    return desk.window


def sign_in(desk: Desk) -> QWidget:
    return _shown(SignInDialog("https://desk.example.com", "ann"))


def settings(desk: Desk) -> QWidget:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # What the desk shows is what the agent chose: this scene's theme and text size.
    values = Settings(desk.tmp / "settings.json", {"theme": desk.theme, "font_scale": desk.scale})
    appearance = Appearance(app, values)
    dialog = SettingsDialog(values, appearance, None, desk.window)
    dialog.finished.connect(lambda _r: appearance.detach())
    return _shown(dialog)


def customer_edit(desk: Desk) -> QWidget:
    ctx = desk.window.customer_ctx
    assert ctx is not None
    return _shown(CustomerEditDialog(ctx, desk.window))


def macro(desk: Desk) -> QWidget:
    desk.window.macro_desk.open_macros(None)
    return _opened("macro_dialog")


def merge(desk: Desk) -> QWidget:
    desk.window.conversation_merge.open_merge()
    return _opened("merge_dialog")


def new_conversation(desk: Desk) -> QWidget:
    desk.window._ask_how("k-01", "Jane Doe")
    return _opened("new_conversation_dialog")


def translate_reply(desk: Desk) -> QWidget:
    reply = (
        "Hello Jane, the courier has found your parcel: it arrives on Wednesday between "
        "10:00 and 14:00. I'm sorry for the wait."
    )
    german = (
        "Hallo Jane, der Paketdienst hat Ihr Paket gefunden: Es kommt am Mittwoch zwischen "
        "10:00 und 14:00 Uhr an. Entschuldigen Sie bitte die Wartezeit."
    )
    return _shown(TranslateReplyDialog(reply, german, "German", "LibreTranslate", desk.window))


def sla_editor(desk: Desk) -> QWidget:
    return _shown(SlaEditor(app_sla.load(desk.ws, "The shop"), desk.window))


def routing_editor(desk: Desk) -> QWidget:
    """Filled as the routing desk fills it (the editor is a supervisor's: built here)."""
    routing = RoutingDesk(desk.ws)
    dialog = RoutingEditor(desk.window)
    dialog.set_rules(routing.rules(), routing.teams())
    dialog.set_agents(routing.agents())
    return _shown(dialog)


def qa_review(desk: Desk) -> QWidget:
    """A new review of the open conversation with the fixture's rubric (a lead's dialog)."""
    qa = QaDesk(desk.ws)
    rubric = qa.active_rubric()
    assert rubric is not None, "the fixture's rubric did not load"
    return _shown(QaReviewDialog(rubric, qa.thread(OPEN_CONVERSATION), None, desk.window))


def dashboard(desk: Desk) -> QWidget:
    """The KPI dashboard as the desk opens it (Ctrl+Alt+K), the agent's own figures: the
    server's KPI code on the fixture's rows (``answers.FixtureApi``)."""
    desk.window.actions_["dashboard"].trigger()
    find = _top_window(DashboardWindow)
    pump_until(lambda: find() is not None, 20)
    dash = find()
    assert isinstance(dash, DashboardWindow), "the dashboard did not open"
    pump_until(lambda: dash.panel.report is not None, 20)
    return dash


def floor(desk: Desk) -> QWidget:
    """The supervisor's floor (the live board first) as it opens for Sue, the fixture's
    supervisor, on the same store: opened the way the desk opens it at sign-in."""
    cache = desk.ws.cache
    sue = Workstation(
        SyncEngine(cache, FixtureApi(cache, "u-sue", "supervisor")),  # never started
        Me("u-sue", "sue", "Sue Supervisor", "supervisor"),
    )
    window = open_for(desk.window, sue, SyncBridge(), get_theme(desk.theme))
    assert window is not None, "a supervisor gets the floor"
    pump_until(lambda: window.board.board is not None, 20)
    return window


def _top_window(kind: type[QWidget]) -> Callable[[], QWidget | None]:
    def find() -> QWidget | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, kind) and widget.isVisible():
                return widget
        return None

    return find


#: Scene name -> how it is made. The main window is in every theme at every scale; the
#: dialogs in the light and the high-contrast theme at 100 and 200 %; the supervisor's
#: windows (their charts and tables drawn in theme colours) in every theme at 100 and 200 %
#: (``groups``).
SCENES: Final[dict[str, Scene]] = {
    "main": main_window,
    "sign-in": sign_in,
    "settings": settings,
    "customer-edit": customer_edit,
    "macro": macro,
    "merge": merge,
    "new-conversation": new_conversation,
    "translate-reply": translate_reply,
    "sla-editor": sla_editor,
    "routing-editor": routing_editor,
    "qa-review": qa_review,
    "dashboard": dashboard,
    "floor": floor,
}
#: Windows of their own (not dialogs): drawn in every theme at the dialog scales.
WINDOW_SCENES: Final = ("dashboard", "floor")
THEMES: Final = ("light", "dark", "high_contrast", "high_contrast_dark")
DIALOG_THEMES: Final = ("light", "high_contrast")
DIALOG_SCALES: Final = (1.0, 2.0)


def groups() -> dict[tuple[str, float], list[str]]:
    """(theme, scale) -> the scenes drawn in it: one window serves them all."""
    out: dict[tuple[str, float], list[str]] = {}
    for theme in THEMES:
        for scale in SCREENS:
            out[(theme, scale)] = ["main"]
            if theme in DIALOG_THEMES and scale in DIALOG_SCALES:
                out[(theme, scale)] += [
                    scene for scene in SCENES if scene != "main" and scene not in WINDOW_SCENES
                ]
            if scale in DIALOG_SCALES:
                out[(theme, scale)] += list(WINDOW_SCENES)
    return out


def image_name(scene: str, theme: str, scale: float) -> str:
    return f"{scene}-{theme.replace('_', '-')}-{round(scale * 100)}.png"
