"""Escape in the quality-review dialog with scores already set threw them away without asking
(outside review); an untouched review still closes at once."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from csdesk.app.qa import MessageLine, Rubric
from csdesk.domain import qa
from csdesk.ui.panels import qa_review_dialog
from csdesk.ui.panels.qa_review_dialog import QaReviewDialog


def _dialog(qtbot: QtBot) -> QaReviewDialog:
    criteria = qa.criteria_from(
        [{"key": "greet", "name": "Greeting", "description": "Greets the customer",
          "weight": 10, "scale": "points", "max_points": 4}]
    )  # fmt: skip
    dialog = QaReviewDialog(
        Rubric("r", "r", 1, "Default rubric", tuple(criteria)),
        [MessageLine("m1", "Ana wrote by email: where is my parcel?")],
    )
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_escape_asks_before_dropping_a_scored_review(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    answer = [False]

    def ask(_parent: object, title: str, _question: str) -> bool:
        asked.append(title)
        return answer[0]

    monkeypatch.setattr(qa_review_dialog, "ask_first", ask)
    untouched = _dialog(qtbot)
    untouched.reject()  # nothing given: no question
    assert asked == [] and not untouched.isVisible()

    dialog = _dialog(qtbot)
    dialog.controls["greet"].setCurrentIndex(3)
    dialog.reject()
    assert asked == ["Discard this review?"] and dialog.isVisible()  # "No": still editing
    answer[0] = True
    dialog.reject()
    assert not dialog.isVisible()
