"""The accessibility settings page: reachable and named, applied at once, saved, and the theme
following the operating system while it is set to "system"."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk import settings as opts
from csdesk.ui.panels.settings import SettingsDialog
from tests.a11y.conftest import SpeakingDesk
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
Make = Callable[..., SpeakingDesk]


def _open(qtbot: QtBot, desk: SpeakingDesk) -> SettingsDialog:
    w = desk.window
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(w.settings_dialog, SettingsDialog), timeout=5_000)
    dialog = w.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitExposed(dialog)
    return dialog


def test_settings_open_by_keyboard_apply_at_once_and_save(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    desk = speaking_desk(demo_server, theme="light")
    w = desk.window
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    dialog = _open(qtbot, desk)
    assert unnamed_focusables(dialog) == []
    qtbot.waitUntil(dialog.theme.hasFocus, timeout=3_000)

    # Every control is on the Tab path.
    seen: list[QWidget] = []
    for _ in range(24):
        focus = QApplication.focusWidget()
        if focus is not None and focus not in seen:
            seen.append(focus)
        qtbot.keyClick(focus or dialog, Qt.Key.Key_Tab)
    controls = [
        dialog.theme,
        dialog.text_size,
        dialog.enabled,
        dialog.voice,
        dialog.rate,
        dialog.volume,
        dialog.inbound,
        dialog.sla,
        dialog.on_demand_only,
        dialog.verbosity,
        dialog.time_zone,
    ]
    for control in controls:
        assert control in seen or control.focusProxy() in seen, control.objectName()

    # Theme: Down in the closed combo picks the next one (Light -> Dark), applied at once.
    dialog.theme.setFocus()
    qtbot.keyClick(dialog.theme, Qt.Key.Key_Down)
    assert dialog.theme.currentData() == "dark"
    assert w.theme.name == "dark"
    assert w.theme.window_bg.lower() in app.styleSheet().lower()

    # Text size: two steps up is 150 %, and the application font follows.
    dialog.text_size.setFocus()
    qtbot.keyClick(dialog.text_size, Qt.Key.Key_Up)
    qtbot.keyClick(dialog.text_size, Qt.Key.Key_Up)
    assert dialog.text_size.value() == 150
    assert app.font().pointSizeF() == pytest.approx(15.0)

    # Speech parameters reach the service before the next utterance.
    dialog.rate.setFocus()
    qtbot.keyClick(dialog.rate, Qt.Key.Key_Up)
    assert desk.speaker.service.rate == 190
    dialog.volume.setFocus()
    qtbot.keyClick(dialog.volume, Qt.Key.Key_PageDown)
    assert desk.speaker.service.volume == pytest.approx(0.9)
    dialog.inbound.setFocus()
    qtbot.keyClick(dialog.inbound, Qt.Key.Key_Up)  # mine -> all
    assert desk.speaker.options.prefs.speak_inbound == "all"

    # The time zone for scheduled replies and reminders: the system's until one is chosen.
    assert dialog.time_zone.currentData() is None and dialog.time_zone.accessibleName()
    dialog.time_zone.setFocus()
    dialog.time_zone.setCurrentIndex(dialog.time_zone.findData("Asia/Tokyo"))
    assert desk.settings.get(opts.TIME_ZONE) == "Asia/Tokyo"

    # Escape closes; the focus is back where the agent was; the file holds the choices.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.settings_dialog is None, timeout=5_000)
    assert w.focusWidget() is w.inbox.list
    qtbot.waitUntil(desk.settings.path.exists, timeout=5_000)
    saved = json.loads(desk.settings.path.read_text())
    assert saved["theme"] == "dark"
    assert saved["font_scale"] == 1.5
    assert saved["speech_rate"] == 190
    assert saved["speak_inbound"] == "all"
    assert saved["time_zone"] == "Asia/Tokyo"


def test_voice_list_and_engine_status_are_shown(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    desk = speaking_desk(demo_server)
    qtbot.waitUntil(lambda: desk.speaker.status.available, timeout=10_000)
    dialog = _open(qtbot, desk)
    names = [dialog.voice.itemText(i) for i in range(dialog.voice.count())]
    assert names == ["Default voice", "English (en)", "French (fr)"]
    assert "available" in dialog.engine_status.text()
    dialog.voice.setCurrentIndex(2)
    assert desk.speaker.service.voice_id == "fr"
    dialog.reject()


def test_system_theme_follows_the_os_scheme_and_contrast(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    desk = speaking_desk(demo_server, theme="system")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    os_now = {"dark": False, "high": False}
    desk.appearance.os_scheme = lambda: (os_now["dark"], os_now["high"])
    hints = app.styleHints()
    access = hints.accessibility()

    os_now["dark"] = True
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert desk.window.theme.name == "dark"
    os_now["high"] = True
    access.contrastPreferenceChanged.emit(Qt.ContrastPreference.HighContrast)
    assert desk.window.theme.name == "high_contrast_dark"

    # A theme chosen by name stays put whatever the OS does.
    desk.settings.set_key("theme", "light")
    desk.appearance.apply()
    os_now["high"] = False
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert desk.window.theme.name == "light"
