"""A low survey score's follow-up on the supervisor's desk: a callback task of its own kind in
the callbacks list (Shift+F4), read as one full sentence that says it is a follow-up, with the
customer's words, distinct from a promised call, with accessible names."""

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
        note="Customer rated 2/5: <b>Took ages</b>",
        detail="Low survey score: follow up with the customer.",
        seen_at=None,
        kind="survey_follow_up",
    )
    promised = CallbackView(
        id="cb-2",
        customer_id="c-2",
        customer_name="Ola Nordmann",
        conversation_id=None,
        phone="+4722334455",
        due_at=datetime(2026, 12, 6, 9, 45, tzinfo=UTC),
        status="due",
        assignee_id="sue",
        assignee_name="Sue",
        note="Wants the invoice explained",
        detail="",
        seen_at=None,
    )
    dialog = CallbackListDialog([follow_up, promised], "sue")
    qtbot.addWidget(dialog)
    item = dialog.list.item(0)
    text = item.text()
    assert text.startswith("Due now")
    assert ": low survey score follow-up with Kim Berg, yours." in text
    assert "call back" not in text and "no phone number" not in text
    assert text.endswith("Customer rated 2/5: <b>Took ages</b>")  # as typed, never as markup
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == text
    other = dialog.list.item(1).text()
    assert "call back Ola Nordmann on +4722334455, yours." in other
    assert "follow-up" not in other
    assert follow_up.due_text() == (
        "Low survey score follow-up due: Kim Berg. Customer rated 2/5: <b>Took ages</b> "
        "Shift+F4 lists your callbacks."
    )
    assert promised.due_text().startswith("Callback due: Ola Nordmann on +4722334455.")
    assert dialog.list.accessibleName() == "Callbacks"
    assert dialog.open_button.accessibleName() == "Open conversation"
    assert dialog.chosen() is follow_up
