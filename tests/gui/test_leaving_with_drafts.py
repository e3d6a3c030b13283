"""Signing out or quitting with replies written and not sent asks first: drafts live in memory
only, and Ctrl+Shift+Q or Ctrl+Q dropped them without a word (outside review)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from csdesk.ui import main_window
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_sign_out_and_quit_ask_while_replies_are_unsent(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    answer = [False]

    def confirm(_parent: object, _title: str, question: str) -> bool:
        asked.append(question)
        return answer[0]

    monkeypatch.setattr(main_window, "confirm", confirm)
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    signed_out: list[bool] = []
    w.sign_out_requested.connect(lambda: signed_out.append(True))
    qtbot.waitUntil(lambda: w.model.rowCount() > 1, timeout=20_000)
    first, second = w.model.ids()[:2]

    w.actions_["sign_out"].trigger()  # nothing written: no question
    assert asked == [] and signed_out == [True]
    signed_out.clear()

    w.open_conversation(first)
    qtbot.waitUntil(lambda: w.open_id == first and w.open_conv is not None, timeout=10_000)
    w.conversation.composer.text.setPlainText("Hi Emily, your parcel")
    w.open_conversation(second)  # the first reply is put aside, not lost
    composer = w.conversation.composer
    qtbot.waitUntil(lambda: w.open_id == second and not composer.text.toPlainText(), timeout=10_000)
    w.conversation.composer.text.setPlainText("A note in progress")
    assert w.unsent_drafts() == 2

    w.actions_["sign_out"].trigger()
    assert asked[-1] == "2 replies or notes are not sent yet and will be lost. Sign out anyway?"
    assert signed_out == []  # "No": still here, drafts kept
    w.actions_["quit"].trigger()
    assert asked[-1] == "2 replies or notes are not sent yet and will be lost. Quit anyway?"
    assert w.isVisible()
    answer[0] = True
    w.actions_["sign_out"].trigger()
    assert signed_out == [True]
