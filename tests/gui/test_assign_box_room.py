"""The floor's training tab: a scenario's long title no longer squeezes the note for the
trainee to a sliver (~40 px, outside review)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from csdesk.training import default_dir, load_scenario
from csdesk.ui.panels.training_review_assign import AssignBox


def test_the_note_keeps_room_beside_a_long_scenario_title(qtbot: QtBot) -> None:
    box = AssignBox()
    qtbot.addWidget(box)
    scenarios = [load_scenario(p) for p in sorted(default_dir().glob("*.json"))]
    box.set_scenarios(scenarios)
    box.resize(640, 300)
    box.show()
    qtbot.waitExposed(box)
    chars = box.note.fontMetrics().averageCharWidth()
    assert box.note.width() >= 20 * chars, (box.note.width(), chars)
    assert box.scenario.width() >= 20 * chars, (box.scenario.width(), chars)
