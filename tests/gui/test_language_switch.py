"""The language applies live (issue 13): chosen in the settings dialog, the window is rebuilt in
German with the open conversation kept, Arabic mirrors the whole application, English comes
back; figures follow the language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from csdesk import i18n
from csdesk import settings as opts
from csdesk.app import formats
from csdesk.embedded import EmbeddedServer
from csdesk.settings import Settings
from csdesk.ui.app import Controller
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.attachments_strip import read_files
from csdesk.ui.panels.dashboard_window import DashboardWindow
from csdesk.ui.panels.settings import SettingsDialog
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def controller(qtbot: QtBot, tmp_path: Path) -> Iterator[Controller]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = Settings(tmp_path / "settings.json", {"locale": "en"})
    c = Controller(app, settings, None, None)
    yield c
    c.embedded = None  # the module's server is not the controller's to stop
    if c.session is not None:
        c.session.window.close()
    c.shutdown()
    assert i18n.current_language() == "en"  # nothing leaks into the next test
    assert app.layoutDirection() == Qt.LayoutDirection.LeftToRight


def _window(c: Controller) -> MainWindow:
    assert c.session is not None
    return c.session.window


def _settings_dialog(qtbot: QtBot, w: MainWindow) -> SettingsDialog:
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(w.settings_dialog, SettingsDialog), timeout=5_000)
    dialog = w.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitExposed(dialog)
    return dialog


def _choose(qtbot: QtBot, c: Controller, name: str) -> MainWindow:
    """Pick ``name`` in the open settings dialog's language list with the keyboard; returns
    the rebuilt window once it is in charge."""
    old = _window(c)
    dialog = old.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    combo = dialog.language
    target = combo.findText(name)
    assert target >= 0, name
    combo.setFocus()
    key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, key)
    qtbot.waitUntil(lambda: c.session is not None and c.session.window is not old, timeout=10_000)
    new = _window(c)
    qtbot.waitUntil(lambda: isinstance(new.settings_dialog, SettingsDialog), timeout=5_000)
    reopened = new.settings_dialog
    assert isinstance(reopened, SettingsDialog)
    qtbot.waitUntil(reopened.language.hasFocus, timeout=5_000)  # the keyboard stays there
    assert reopened.language.currentText() == name
    return new


def test_language_switches_live_and_mirrors_for_arabic(
    qtbot: QtBot, demo_server: ServerProcess, controller: Controller, tmp_path: Path
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    c = controller
    assert demo_server.proc is not None
    c._embedded_ready(
        EmbeddedServer(demo_server.url, demo_server.db_url, demo_server.proc, Path("x"))
    )
    qtbot.waitUntil(lambda: c.session is not None and _window(c).isVisible(), timeout=30_000)
    w = _window(c)
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=30_000)
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: w.open_conv is not None, timeout=10_000)
    opened = w.open_id
    w.conversation.composer.text.setPlainText("Draft kept across the switch")
    receipt = tmp_path / "receipt.txt"
    receipt.write_text("order 1042", encoding="utf-8")
    w.conversation.composer.attachments.add(read_files([receipt]))
    assert w.actions_["settings"].text() == "Settings…"
    w.actions_["dashboard"].trigger()  # open while the language changes: it follows
    qtbot.waitUntil(lambda: w.findChild(DashboardWindow) is not None, timeout=10_000)

    dialog = _settings_dialog(qtbot, w)
    names = [dialog.language.itemText(i) for i in range(dialog.language.count())]
    assert names == [
        "System default", "English", "Deutsch", "Français", "Español", "Nederlands", "العربية"
    ]  # fmt: skip
    assert dialog.language.accessibleName() == "Language"

    w = _choose(qtbot, c, "Deutsch")
    assert c.settings.get(opts.LOCALE) == "de"
    assert i18n.current_language() == "de"
    german = i18n._("Settings…")
    assert german != "Settings…", "the German catalogue has no 'Settings…' yet"
    assert w.actions_["settings"].text() == german
    assert w.open_id == opened  # the open conversation and the draft survived
    assert w.conversation.composer.text.toPlainText() == "Draft kept across the switch"
    assert [f.name for f in w.conversation.composer.attachments.files()] == ["receipt.txt"]
    reopened = w.settings_dialog
    assert isinstance(reopened, SettingsDialog)
    # Qt's own strings: the standard Close button speaks German too.
    close = reopened.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    assert close.text().replace("&", "") == "Schließen"
    assert formats.money(123450, "EUR") == "1.234,50\u00a0€"  # no break before the sign
    dash = w.findChild(DashboardWindow)
    assert dash is not None and dash.isVisible()  # opened again, in German
    assert dash.accessibleName() == i18n._("KPI dashboard") != "KPI dashboard"

    w = _choose(qtbot, c, "العربية")
    assert app.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert w.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert w.isRightToLeft()

    w = _choose(qtbot, c, "English")
    assert app.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert w.actions_["settings"].text() == "Settings…"
    assert w.open_id == opened
    assert formats.money(123450, "EUR") == "€1,234.50"


def test_start_up_applies_the_saved_language(qtbot: QtBot, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = Settings(tmp_path / "settings.json", {"locale": "ar"})
    c = Controller(app, settings, None, None)
    try:
        assert i18n.current_language() == "ar"
        assert app.layoutDirection() == Qt.LayoutDirection.RightToLeft
        day = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
        assert formats.date_text(day, year=False) == "5 ديسمبر"
    finally:
        c.shutdown()
    assert i18n.current_language() == "en"
