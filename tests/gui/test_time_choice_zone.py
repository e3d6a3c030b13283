""" "Send later…" and "Remind me…" choose and show times in the agent's time zone setting
(docs/scheduled-send.md), not only the machine's: the quick choices say 9:00 there and the
date-and-time field is in that zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk import settings as opts
from csdesk.app.scheduled import zone_named
from csdesk.domain.scheduled import tomorrow_morning
from csdesk.settings import Settings
from csdesk.ui.appearance import Appearance
from csdesk.ui.panels.settings import SettingsDialog
from csdesk.ui.panels.time_choice import TimeChoiceDialog

TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_time_chooser_is_in_the_agents_zone(qtbot: QtBot) -> None:
    now = datetime.now(UTC)
    dialog = TimeChoiceDialog(
        "Send later",
        "When?",
        [("Tomorrow at 9:00", tomorrow_morning(now, TOKYO))],
        confirm="&Schedule",
        zone=TOKYO,
    )
    qtbot.addWidget(dialog)
    assert dialog.choices.item(0).text().endswith(" 09:00")
    assert dialog.when.timeZone().id().data() == b"Asia/Tokyo"
    dialog.choices.setCurrentRow(1)  # a date and time of my choice
    at = (now + timedelta(days=2)).replace(second=0, microsecond=0)
    local = at.astimezone(TOKYO)
    dialog.when.setDateTime(
        QDateTime.fromSecsSinceEpoch(int(at.timestamp()), dialog.when.timeZone())
    )
    assert dialog.when.text().endswith(local.strftime("%H:%M"))
    assert dialog.chosen_time() == at


def test_the_time_zone_setting_is_named_on_the_tab_path_and_kept(
    qtbot: QtBot, tmp_path: Path
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = Settings(tmp_path / "settings.json")
    dialog = SettingsDialog(settings, Appearance(app, settings), None)
    qtbot.addWidget(dialog)
    box = dialog.time_zone
    assert box.accessibleName() == "Time zone" and box.currentData() is None  # the system's
    assert box.focusPolicy() & Qt.FocusPolicy.TabFocus
    box.setCurrentIndex(box.findData("Asia/Tokyo"))
    assert settings.get(opts.TIME_ZONE) == "Asia/Tokyo"
    assert zone_named(settings.get(opts.TIME_ZONE)) == TOKYO
    box.setCurrentIndex(0)
    assert settings.get(opts.TIME_ZONE) is None
