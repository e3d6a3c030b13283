"""What the agent did just before quitting is on disk when the desk quits: ``csdesk`` ends the
process with ``os._exit`` right after the orderly shutdown (ui.app.main), so nothing may still
be running on a worker thread then (the interpreter no longer joins them at exit)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk import settings as opts
from csdesk.settings import Settings
from csdesk.ui.appearance import Appearance
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess


def test_a_settings_change_made_just_before_quitting_is_saved_when_the_window_closes(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = desk_factory(demo_server)
    w = desk.window
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    path = tmp_path / "settings.json"
    settings = Settings(path, {})
    appearance = Appearance(app, settings)
    w.settings, w.appearance = settings, appearance
    real_save = Settings.save

    def slow_save(self: Settings) -> None:
        # A save still under way when the agent quits: it ends only once the window's
        # workers are shutting down, so only a shutdown that waits for it sees it done.
        while not w.tasks.closed:
            time.sleep(0.005)
        real_save(self)

    monkeypatch.setattr(Settings, "save", slow_save)
    try:
        w.show_settings()
        dialog = w.settings_dialog
        assert dialog is not None
        dialog.assign_on_reply.click()  # type: ignore[attr-defined]
        dialog.reject()
        assert w.settings_dialog is None  # closed: the save is queued
        w.close()  # Ctrl+Q
        assert path.exists()
        assert json.loads(path.read_text())[opts.ASSIGN_ON_REPLY.key] is False
    finally:
        appearance.detach()
