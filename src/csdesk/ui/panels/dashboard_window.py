"""The KPI dashboard in a window of its own, opened from the desk (Ctrl+Alt+K).

A small wrapper: the ``DashboardPanel`` is the widget (a supervisor's floor window embeds it as
a tab); this window gives it a title, its own ``Tasks`` (results die with the window), and
Escape or Ctrl+W to close. A conversation chosen in it opens in the main window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QWidget

from csdesk.app.kpis import KpiDesk
from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.panels.dashboard import DashboardPanel
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.tasks import Tasks

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["DashboardWindow", "open_dashboard"]


class DashboardWindow(QMainWindow):
    """Signals: ``open_conversation(str)`` (the panel's: open it in the main window)."""

    open_conversation = Signal(str)

    def __init__(
        self, kpis: KpiDesk, theme: Theme, *, tz: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setObjectName("dashboard_window")
        self.setWindowTitle(_("KPI dashboard — csdesk"))
        self.setAccessibleName(_("KPI dashboard"))
        self.tasks = Tasks(self)
        self.panel = DashboardPanel(kpis, self.tasks, theme, tz=tz, parent=self)
        self.panel.open_conversation.connect(self.open_conversation)
        self.setCentralWidget(self.panel)
        close = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self)
        close.setContext(Qt.ShortcutContext.WindowShortcut)
        close.activated.connect(self.close)
        resize_within_screen(self, 1400, 900)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Escape that no control used (a combo's open list, a dialog) closes the window.
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.shutdown()
        super().closeEvent(event)


class _FollowMain(QObject):
    """Closes the dashboard when the main window closes or is hidden by the desk (sign-out):
    it shows that user's figures, and a window left open would keep the app from quitting.
    (Minimising is a spontaneous hide and leaves it open.)"""

    def __init__(self, dash: DashboardWindow) -> None:
        super().__init__(dash)
        self.dash = dash

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Close or (kind == QEvent.Type.Hide and not event.spontaneous()):
            self.dash.close()
        return False


def open_dashboard(window: MainWindow) -> DashboardWindow:
    """Open the dashboard (or bring the open one forward); a conversation chosen in it
    opens in ``window``."""
    existing = window.findChild(DashboardWindow)
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    if existing is not None:
        existing.deleteLater()
    dash = DashboardWindow(
        KpiDesk(window.ws.engine.api, window.ws.rows), window.theme, parent=window
    )
    dash.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def open_in_window(cid: str) -> None:
        window.open_from_dashboard(cid)
        window.raise_()
        window.activateWindow()

    dash.open_conversation.connect(open_in_window)
    window.installEventFilter(_FollowMain(dash))
    if window.appearance is not None:
        window.appearance.theme_changed.connect(dash.panel.set_theme)
    dash.show()
    dash.panel.period.setFocus(Qt.FocusReason.OtherFocusReason)
    return dash
