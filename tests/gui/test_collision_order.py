"""The collision notice follows the newest heartbeat's answer, whatever order answers come in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from csdesk.sync.api import Viewer
from csdesk.ui.collision import CollisionWatch

MATEO = Viewer("u-mateo", "Mateo Ruiz", True)


class _Composer(QObject):
    typing = Signal(bool)


class _Panel:
    def __init__(self) -> None:
        self.composer = _Composer()
        self.shown: list[str | None] = []

    def show_collision(self, text: str | None) -> None:
        self.shown.append(text)


class _HeldTasks:
    """Keeps each heartbeat's callback until the test answers it, in the order it chooses."""

    def __init__(self) -> None:
        self.pending: list[Callable[[list[Viewer]], None]] = []

    def run(self, fn: Callable[[], Any], on_done: Callable[[list[Viewer]], None]) -> None:
        self.pending.append(on_done)


def _watch(qtbot: QtBot) -> tuple[CollisionWatch, _HeldTasks, _Panel, list[str]]:
    tasks, panel, said = _HeldTasks(), _Panel(), list[str]()
    watch = CollisionWatch(None, tasks, panel, said.append)  # type: ignore[arg-type]
    watch.stop()
    watch.follow("c1")
    return watch, tasks, panel, said


def test_an_older_answer_arriving_late_does_not_hide_a_newer_notice(qtbot: QtBot) -> None:
    watch, tasks, panel, said = _watch(qtbot)
    watch.heartbeat()
    older, newer = tasks.pending  # the beat of follow(), then ours
    newer([MATEO])  # asked after Mateo started typing, answered first
    older([])  # asked before, answered late: stale
    assert panel.shown[-1] == "Mateo Ruiz is typing a reply"
    assert watch.notice == "Mateo Ruiz is typing a reply"
    assert said == ["Mateo Ruiz is typing a reply"]


def test_answers_in_order_still_clear_the_notice(qtbot: QtBot) -> None:
    watch, tasks, panel, _said = _watch(qtbot)
    watch.heartbeat()
    tasks.pending[0]([MATEO])
    tasks.pending[1]([])  # Mateo left: the newer answer clears it
    assert panel.shown[-1] is None and watch.notice == ""
