"""A low survey score's follow-up on the supervisor's desk: a callback in the callbacks list
(Shift+F4), read as one full sentence with the customer's words, with accessible names."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from csdesk.app.callbacks import CallbackView
from csdesk.ui.panels.callback_list import CallbackListDialog


def test_the_follow_up_reads_as_a_sentence(qtbot: QtBot) -> None:
    follow_up = CallbackView(
        id="cb-1",
        customer_id="c-1",
        customer_name="Kim Berg",
        conversation_id="conv-1",
        phone="",
        due_at=datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
        status="due",
        assignee_id="sue",
        assignee_name="Sue",
        # What ``server.surveys.answer`` writes (the comment is the customer's plain text).
        note="Survey follow-up. Customer rated 2/5: <b>Took ages</b>",
        detail="Low survey score: follow up with the customer.",
        seen_at=None,
    )
    dialog = CallbackListDialog([follow_up], "sue")
    qtbot.addWidget(dialog)
    item = dialog.list.item(0)
    text = item.text()
    assert text.startswith("Due now")
    assert "call back Kim Berg on no phone number, yours." in text
    assert "Customer rated 2/5: <b>Took ages</b>" in text  # shown as typed, never as markup
    assert "Low survey score: follow up with the customer." in text
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == text
    assert dialog.list.accessibleName() == "Callbacks"
    assert dialog.open_button.accessibleName() == "Open conversation"
    assert dialog.chosen() is follow_up
