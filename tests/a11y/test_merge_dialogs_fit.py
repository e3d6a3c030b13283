"""The merge, undo and split dialogs (docs/merge-split.md) fit the screens agents have, 1366×768 at
100 % text and 1600×1000 at 200 %, with their buttons in view, even with long sentences."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from csdesk.app.conversation_merge import MergeChoice, UndoState
from csdesk.ui.panels.merge_dialog import MergeDialog, SplitDialog, UndoMergeDialog
from tests.a11y.test_fit_screens import DECORATION, SCREENS, Make, _buttons_shown_whole
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize(("scale", "screen"), SCREENS)
def test_the_merge_and_split_dialogs_fit_with_their_buttons_in_view(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make, scale: float, screen: QSize
) -> None:
    desk = speaking_desk(demo_server, font_scale=scale)
    w = desk.window
    long = "Where is my parcel? " * 30
    choices = [
        MergeChoice(str(n), f'Email conversation "{long}", open, last activity 14:00', long * 3)
        for n in range(12)
    ]
    dialogs: dict[str, QDialog] = {
        "merge": MergeDialog(choices, w),
        "split": SplitDialog(long, 3, w),
        "undo": UndoMergeDialog(
            [
                UndoState(str(n), n % 2 == 0, long * 2, f"Chat conversation {long}, merged 14:0{n}")
                for n in range(8)
            ],
            w,
        ),
    }
    height, width = screen.height() - DECORATION, screen.width()
    for name, dialog in dialogs.items():
        qtbot.addWidget(dialog)
        dialog.show()
        QApplication.processEvents()
        size, hint = dialog.size(), dialog.minimumSizeHint()
        assert size.width() <= width and size.height() <= height, (name, size)
        assert hint.width() <= width and hint.height() <= height, (name, hint)
        assert _buttons_shown_whole(dialog, dialog.rect()) == [], name
        dialog.close()
