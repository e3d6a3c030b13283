"""The wrap-up dialog asks when to call back for "Callback scheduled": a date-time editor
with an accessible name, reached by keyboard, refused in the past (issue 9, item 34)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk.domain.calls import Disposition
from csdesk.ui.panels.wrapup import WrapUpDialog


def _dialog(qtbot: QtBot) -> WrapUpDialog:
    dialog = WrapUpDialog("Jane Doe, +14155550100", ["greet (where)"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_callback_time_is_asked_only_for_a_callback(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    assert not dialog.callback.isVisible() and dialog.callback_time() is None
    assert dialog.callback.accessibleName() == "Callback date and time"
    dialog.disposition.setFocus()
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Down)  # follow-up
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Down)  # callback scheduled
    assert dialog.chosen() == Disposition.CALLBACK_SCHEDULED
    assert dialog.callback.isVisible()
    # Tab goes from the disposition straight to the time.
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.callback, timeout=2_000)
    when = dialog.callback_time()
    assert when is not None and when.tzinfo is not None and when > datetime.now(UTC)


def test_a_callback_in_the_past_is_refused_and_a_future_one_kept(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.disposition.setCurrentIndex(list(Disposition).index(Disposition.CALLBACK_SCHEDULED))
    past = datetime.now(UTC) - timedelta(hours=1)
    dialog.callback.setDateTime(QDateTime.fromSecsSinceEpoch(int(past.timestamp())))
    dialog.accept()
    assert dialog.isVisible() and dialog.result() == 0
    assert "past" in dialog.error.text() and dialog.error.isVisible()
    target = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    dialog.callback.setDateTime(QDateTime.fromSecsSinceEpoch(int(target.timestamp())))
    with qtbot.waitSignal(dialog.accepted, timeout=2_000):
        dialog.accept()
    assert dialog.callback_time() == target
