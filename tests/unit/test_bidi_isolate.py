"""Outside text with directional controls (a customer named "\u202eAna") never reorders the
sentence it is put in: the score after the name still reads left to right, as Qt draws it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextLayout, QTextOption
from pytestqt.qtbot import QtBot

from csdesk.app.qa import Review, Rubric
from csdesk.app.sentences import message_sentence
from csdesk.domain import qa
from csdesk.domain.bidi import FSI, PDI, isolate

RLO = "\u202e"


def _left_to_right(qtbot: QtBot, text: str, word: str) -> bool:
    """Whether Qt draws ``word`` (found in ``text``) with its first letter left of its last."""
    layout = QTextLayout(text, QFont())
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.LeftToRight)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(100_000)
    layout.endLayout()
    at = text.rindex(word)
    return _x(line.cursorToX(at)) < _x(line.cursorToX(at + len(word) - 1))


def _x(answer: object) -> float:
    """PySide6's ``cursorToX`` answers (x, position)."""
    assert isinstance(answer, tuple)
    return float(answer[0])


def _review(customer: str, subject: str = "Where is my parcel?") -> Review:
    crit = qa.criteria_from([{"key": "g", "name": "Greeting", "weight": 1, "scale": "pass_fail"}])
    return Review(
        id="r", conversation_id="c", subject=subject, customer_name=customer, agent_name="Ana",
        reviewer_name="Sam Okafor", rubric=Rubric("x", "x", 1, "Default", tuple(crit)),
        scores={"g": 1}, message_comments=(), comment="", score=91.7,
        reviewed_at=datetime(2026, 12, 5, 12, tzinfo=UTC),
    )  # fmt: skip


def test_plain_text_is_unchanged() -> None:
    assert isolate("Ana Costa") == "Ana Costa"
    assert isolate("محمد") == "محمد"  # right-to-left letters alone need no isolate
    assert isolate("") == ""


@pytest.mark.parametrize(
    ("raw", "wrapped"),
    [
        (f"{RLO}Ana", f"{FSI}{RLO}Ana{PDI}"),
        (f"x{PDI}{PDI}y", f"{FSI}xy{PDI}"),  # a stray PDI would close ours early: dropped
        ("a\u2067b", f"{FSI}a\u2067b{PDI}{PDI}"),  # an isolate left open is closed first
    ],
)
def test_controls_are_isolated_and_balanced(raw: str, wrapped: str) -> None:
    assert isolate(raw) == wrapped


def test_a_review_sentence_keeps_its_score_readable(qtbot: QtBot) -> None:
    sentence = _review(f"{RLO}Ana Costa", subject=f"{RLO}refund").sentence()
    assert f"{FSI}{RLO}Ana Costa{PDI}" in sentence and f"“{FSI}{RLO}refund{PDI}”" in sentence
    assert _left_to_right(qtbot, sentence, "scored")
    assert not _left_to_right(qtbot, sentence.replace(FSI, "").replace(PDI, ""), "scored")


def test_a_message_sentence_keeps_its_time_and_body_readable(qtbot: QtBot) -> None:
    sentence = message_sentence("in", False, f"{RLO}Evil", "email", "10:42", "Where is it?")
    assert sentence.startswith(f"{FSI}{RLO}Evil{PDI}")
    assert _left_to_right(qtbot, sentence, "Where")


def test_a_drill_down_sentence_keeps_its_status_readable(qtbot: QtBot) -> None:
    from csdesk.app.inbox import InboxRow
    from csdesk.app.kpi_words import drill_sentence
    from csdesk.app.kpis import DrillItem

    row = InboxRow(
        id="c", channel="email", customer_name=f"{RLO}Evil", subject=f"{RLO}refund",
        preview="", status="resolved", priority="normal", assignee_id=None,
        assignee_name=None, waiting_since=None, first_response_due_at=None,
        resolution_due_at=None, first_response_at=None,
        last_message_at=datetime(2026, 12, 5, tzinfo=UTC), unread=False, tags=(),
    )  # fmt: skip
    sentence = drill_sentence(DrillItem("c", row))
    assert f"{FSI}{RLO}Evil{PDI}" in sentence and f"{FSI}{RLO}refund{PDI}" in sentence
    assert _left_to_right(qtbot, sentence, "resolved")
