"""Python's cyclic garbage collector runs on the GUI thread only.

The collector runs in whichever thread happens to allocate past its threshold: often the
sync engine's pull thread, which allocates most. When the garbage holds a Qt object that
Python owns (a dialog, a bridge, a timer left in a reference cycle), its C++ destructor then
runs in that thread: it takes a Qt lock and waits for the interpreter lock, while the GUI
thread, holding the interpreter lock, waits for the same Qt lock. The process hung for good
(seen in the a11y tests: the pull thread in ``QObject::~QObject`` under ``gc_collect_main``,
the GUI thread in ``QObject::connectImpl``). Qt objects must be destroyed in their own thread
anyway.

``install`` switches the automatic collector off and runs the same generational passes from a
timer on the GUI thread, with the interpreter's own thresholds: the same collections, in the
one thread where Qt objects may die. ``collect_now`` is the same pass for whoever closes
windows (the tests' teardown).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the collector's counts (milliseconds).
INTERVAL_MS = 250


#: The least time between two full collections (seconds). The interpreter holds its own back
#: until a quarter as many objects again as survived the last one are pending, which its API
#: does not tell; a full pass over everything on the GUI thread is the one that stalls it.
FULL_EVERY = 30.0


def due_generation(*, full_allowed: bool = True) -> int | None:
    """The generation a collection would cover now by the interpreter's own rule (its
    thresholds on the counts of allocations and of younger collections), or None; a full
    one (2) only when ``full_allowed``, else the middle one."""
    (c0, c1, c2), (t0, t1, t2) = gc.get_count(), gc.get_threshold()
    if t0 <= 0 or c0 < t0:
        return None
    if c1 < t1:
        return 0
    return 2 if c2 >= t2 and full_allowed else 1


_last_full = [time.monotonic()]


def collect_due() -> int:
    """Run the collection that is due, if any; the objects it found unreachable."""
    now = time.monotonic()
    generation = due_generation(full_allowed=now - _last_full[0] >= FULL_EVERY)
    if generation is None:
        return 0
    if generation == 2:
        _last_full[0] = now
    return gc.collect(generation)


def install(owner: QObject) -> QTimer:
    """Collect on ``owner``'s (the GUI) thread from now on; the automatic collector is off."""
    gc.disable()
    timer = QTimer(owner)
    timer.setObjectName("gc_on_gui_thread")
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(collect_due)
    timer.start()
    return timer
