"""The GUI thread's collector takes the generation the interpreter itself would take."""

from __future__ import annotations

import gc

import pytest

from csdesk.ui import gc_on_gui_thread


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((10, 0, 0), None),  # below the first threshold: nothing due
        ((700, 0, 0), 0),
        ((700, 10, 0), 1),
        ((700, 10, 10), 2),
        ((5000, 9, 10), 0),  # an older generation is due only through the younger ones
    ],
)
def test_the_due_generation_follows_the_interpreters_rule(
    monkeypatch: pytest.MonkeyPatch, counts: tuple[int, int, int], expected: int | None
) -> None:
    monkeypatch.setattr(gc, "get_threshold", lambda: (700, 10, 10))
    monkeypatch.setattr(gc, "get_count", lambda: counts)
    assert gc_on_gui_thread.due_generation() == expected


def test_a_threshold_of_zero_never_collects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc, "get_threshold", lambda: (0, 10, 10))
    monkeypatch.setattr(gc, "get_count", lambda: (10**6, 99, 99))
    assert gc_on_gui_thread.due_generation() is None
    assert gc_on_gui_thread.collect_due() == 0


def test_a_full_collection_waits_its_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full passes stall the GUI thread: at most one per FULL_EVERY seconds, the middle
    generation meanwhile."""
    monkeypatch.setattr(gc, "get_threshold", lambda: (700, 10, 10))
    monkeypatch.setattr(gc, "get_count", lambda: (700, 10, 10))
    assert gc_on_gui_thread.due_generation(full_allowed=False) == 1
    taken: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: taken.append(generation) or 0)
    monkeypatch.setattr(gc_on_gui_thread, "_last_full", [0.0])
    monkeypatch.setattr(gc_on_gui_thread.time, "monotonic", lambda: 100.0)
    gc_on_gui_thread.collect_due()
    gc_on_gui_thread.collect_due()  # the same moment: not a second full pass
    assert taken == [2, 1]
