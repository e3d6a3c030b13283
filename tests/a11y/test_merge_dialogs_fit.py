"""The merge, undo and split dialogs (docs/merge-split.md) fit the screens agents have, 1366×768 at
100 % text and 1600×1000 at 200 %, with their buttons in view, even with long sentences."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from csdesk.app.conversation_merge import MergeChoice, UndoState
from csdesk.theme.themes import get_theme
from csdesk.ui.appearance import apply_theme
from csdesk.ui.panels.merge_dialog import MergeDialog, SplitDialog, UndoMergeDialog
from tests.a11y.test_fit_screens import DECORATION, SCREENS, Make, _buttons_shown_whole
from tests.helpers.server import ServerProcess
from tests.visual.scenes import screen_of

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


def test_the_merge_sentences_wrap_at_200_percent_text(qtbot: QtBot) -> None:
    """Each conversation's sentence wraps in its row; before, at 200 % text it ran off the
    list behind a sideways scroll bar, in a dialog that kept its 100 % size (680×480)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()
    apply_theme(app, get_theme("light"), 2.0)
    try:
        sentence = 'Chat conversation "Size of the rain jacket", resolved, last activity 21 Nov'
        choices = [MergeChoice(str(n), sentence, "The 4 messages move. " * 8) for n in range(3)]
        with screen_of(QSize(1600, 1000)):
            dialog = MergeDialog(choices)
        qtbot.addWidget(dialog)
        assert dialog.width() > 680 and dialog.height() > 480, dialog.size()
        dialog.show()
        qtbot.waitExposed(dialog)
        line = dialog.fontMetrics().height()
        item = dialog.list.item(0)
        assert item is not None
        qtbot.waitUntil(
            lambda: dialog.list.visualItemRect(item).height() >= 2 * line, timeout=5_000
        )
        assert not dialog.list.horizontalScrollBar().isVisible()
        assert dialog.preview.height() >= 4 * line
    finally:
        app.setStyleSheet(sheet)
        app.setFont(font)
