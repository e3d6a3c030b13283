"""Big containers compared and freed in slices (ui/big_lists.py): the same answers as the
one-shot operations, and nothing emptied while someone else still holds it."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from csdesk.ui.big_lists import Releaser, position, same_items, shrink


def test_same_items_agrees_with_equality_across_slices() -> None:
    a = [str(n) for n in range(1_000)]
    assert same_items(a, list(a), size=7)
    assert same_items(a, a, size=7)
    assert not same_items(a, a[:-1], size=7)
    changed = list(a)
    changed[993] = "x"  # in the last, partial slice
    assert not same_items(a, changed, size=7)
    changed = list(a)
    changed[0], changed[1] = changed[1], changed[0]  # same items, another order
    assert not same_items(a, changed, size=7)
    assert same_items([], [], size=7)


class _Scans(list[str]):
    """A list that notes the span of every ``index`` scan made of it."""

    spans: list[int]

    def index(self, value: str, start: Any = 0, stop: Any = None) -> int:
        stop = len(self) if stop is None else min(stop, len(self))
        self.spans.append(stop - start)
        return super().index(value, start, stop)


def test_position_finds_an_item_a_slice_at_a_time() -> None:
    items = _Scans(str(n) for n in range(1_000))
    items.spans = []
    assert position(items, "0", size=7) == 0
    assert position(items, "500", size=7) == 500
    assert position(items, "999", size=7) == 999  # in the last, partial slice
    assert position(items, "gone", size=7) is None
    assert max(items.spans) <= 7  # never one long scan
    assert position([], "x", size=7) is None
    assert position(("a", "b"), "b", size=1) == 1


def test_shrink_empties_lists_sets_and_dicts_a_slice_at_a_time() -> None:
    containers: list[Any] = [list(range(25)), set(range(25)), {n: n for n in range(25)}]
    for c in containers:
        assert not shrink(c, 10) and len(c) == 15
        assert not shrink(c, 10) and len(c) == 5
        assert shrink(c, 10) and len(c) == 0


def test_releaser_frees_an_owned_list_over_several_steps(qtbot: QtBot) -> None:
    releaser = Releaser(size=100)
    big = list(range(1_000))
    probe = [big]  # see the list shrink without holding a second reference at each step
    releaser.release(big)
    del big
    probe_list = probe.pop()
    lengths = []
    while releaser.pending():
        releaser.step()
        lengths.append(len(probe_list))
        if len(lengths) > 100:
            break
    # held here too (probe_list): never emptied under its holder
    assert lengths and all(n == 1_000 for n in lengths)

    releaser.release(list(range(1_000)))  # owned by the releaser alone
    steps = 0
    while releaser.pending() and steps < 100:
        releaser.step()
        steps += 1
    assert steps == 10  # 1,000 items, 100 a step
    assert releaser.pending() == 0


def test_small_containers_are_simply_dropped(qtbot: QtBot) -> None:
    releaser = Releaser(size=100)
    releaser.release(list(range(50)))
    releaser.release(None)
    assert releaser.pending() == 0
