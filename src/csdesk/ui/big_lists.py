"""Large Python containers (a million conversation ids) handled in slices.

Freeing a list of a million strings is one C call that holds the interpreter for tens of
milliseconds, on whichever thread drops the last reference; comparing two such lists is
another. ``Releaser`` lets go of them a slice per turn of the GUI event loop, and
``same_items`` compares in slices (on a worker, so the GUI thread gets the interpreter
between slices).
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from itertools import islice
from typing import Any

from PySide6.QtCore import QObject, QTimer

from csdesk.app.packed_ids import PackedIds

#: Items freed or compared per step: about a millisecond of work.
SLICE = 20_000
#: Event-loop turns a container may stay held elsewhere before it is left to its holder.
WAITS = 50


def same_items(a: Sequence[Any], b: Sequence[Any], size: int = SLICE) -> bool:
    """``a == b``, a slice at a time (each slice is one short C call)."""
    if a is b:
        return True
    if len(a) != len(b):
        return False
    if isinstance(a, PackedIds) and isinstance(b, PackedIds):
        return a.same(b)
    return all(a[n : n + size] == b[n : n + size] for n in range(0, len(a), size))


def position(items: Sequence[Any], item: Any, size: int = SLICE) -> int | None:
    """``items.index(item)`` (None when absent), a slice at a time: one scan of a million
    ids is a C call that holds the interpreter, from any thread, for over ten milliseconds."""
    index = getattr(items, "index", None)
    if index is None:
        return None
    for start in range(0, len(items), size):
        try:
            return int(index(item, start, start + size))
        except ValueError:
            continue
    return None


def shrink(container: list[Any] | set[Any] | dict[Any, Any], size: int = SLICE) -> bool:
    """Drop up to ``size`` items of ``container`` (a list from its end); True when empty."""
    if isinstance(container, list):
        del container[-size:]
    elif isinstance(container, set):  # one C call, not a Python loop of pops
        container.difference_update(list(islice(container, size)))
    else:
        for key in list(islice(container, size)):
            del container[key]
    return not container


class Releaser(QObject):
    """Frees big containers a slice per event-loop turn instead of in one long step.

    ``release(c)`` takes ownership: a container someone else still holds is not touched
    (never emptied under its holder); it waits a few turns for them to let go, then is left
    to them."""

    def __init__(self, parent: QObject | None = None, size: int = SLICE) -> None:
        super().__init__(parent)
        self.size = size
        self._queue: list[list[Any] | set[Any] | dict[Any, Any]] = []
        self._waits = 0
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.step)

    def release(self, container: Collection[Any] | None) -> None:
        if not isinstance(container, list | set | dict) or len(container) <= self.size:
            return  # small, or one object (PackedIds): dropping it costs nothing
        self._queue.append(container)
        if not self._timer.isActive():
            self._timer.start()

    def pending(self) -> int:
        return len(self._queue)

    def step(self) -> None:
        """One slice of the oldest container."""
        if not self._queue:
            self._timer.stop()
            return
        container = self._queue[0]
        # Held by the queue, this local and getrefcount's argument: anyone else is a holder.
        if sys.getrefcount(container) > 3:
            self._waits += 1
            if self._waits < WAITS:
                return
            done = True  # still held: its holder frees it
        else:
            done = shrink(container, self.size)
        if done:
            self._queue.pop(0)
            self._waits = 0
        if not self._queue:
            self._timer.stop()
