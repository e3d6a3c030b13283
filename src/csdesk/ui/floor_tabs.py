"""The supervisor's floor holds the supervisor's other panels as tabs: the KPI dashboard and
the training review beside the live board and the refunds to approve (``FloorWindow``); the
SLA policy editor opens from a button beside the tabs or Ctrl+Alt+P.

A conversation the dashboard lists opens on the agent screen, which comes to the front; the
training review refetches once its own queued actions have reached the server. Both stop
their background work when the floor closes (sign-out, quit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from csdesk.app.kpis import KpiDesk
from csdesk.app.training_review import TrainingReview
from csdesk.i18n import _
from csdesk.ui.a11y import name
from csdesk.ui.panels.dashboard import DashboardPanel
from csdesk.ui.panels.training_review import TrainingReviewPanel

if TYPE_CHECKING:
    from csdesk.ui.floor_window import FloorWindow


def add_supervisor_tabs(floor_window: FloorWindow, window: QWidget) -> None:
    ws, theme = floor_window.ws, floor_window.theme
    dashboard = DashboardPanel(KpiDesk(ws.engine.api, ws.rows), floor_window.tasks, theme)
    dashboard.setObjectName("floor_dashboard")

    def open_on_agent_screen(cid: str) -> None:
        opener = getattr(window, "open_from_dashboard", None)
        if opener is not None:
            opener(cid)
        window.show()
        window.raise_()
        window.activateWindow()

    dashboard.open_conversation.connect(open_on_agent_screen)
    appearance = getattr(window, "appearance", None)
    if appearance is not None:
        appearance.theme_changed.connect(dashboard.set_theme)
    floor_window.add_tab(dashboard, _("KPIs"))
    add_sla_entry(floor_window)
    review = TrainingReview(ws)
    if review.reviews:
        panel = TrainingReviewPanel(
            review, lambda text: floor_window.say(text), theme, floor_window
        )
        if appearance is not None:
            appearance.theme_changed.connect(panel.set_theme)
        panel.setObjectName("floor_training_review")
        floor_window.bridge.status.connect(panel.sync_status)
        floor_window.add_tab(panel, _("Training"))
        floor_window.stopping.connect(panel.shutdown)


def add_sla_entry(floor_window: FloorWindow) -> QPushButton:
    """The SLA policy editor from the floor (docs/sla.md): its registry key (Ctrl+Alt+P, as on
    the agent screen) and a button beside the tabs, on the Tab path."""
    from csdesk.ui.panels.sla_editor import open_sla_editor

    action = floor_window.actions_.bind("sla_policy", lambda: open_sla_editor(floor_window))
    button = QPushButton(_("SLA policy…"), floor_window.tabs)
    button.setObjectName("floor_sla_policy")
    name(
        button,
        _("SLA policy"),
        _("Targets per channel and priority, teams' business hours, escalation (Ctrl+Alt+P)"),
    )
    button.clicked.connect(action.trigger)
    floor_window.tabs.setCornerWidget(button, Qt.Corner.TopRightCorner)
    return button
