"""The tests' side of ``csdesk.ui.gc_on_gui_thread``: while a Qt test runs, the cyclic
collector runs on the GUI thread only, and what the test left (closed windows, dialogs,
bridges in reference cycles) is collected there when it ends. Left to the automatic collector,
the sync engine's pull thread of a later test collected it: a Qt destructor in that thread
waited for the interpreter lock the GUI thread held while it waited for the same Qt lock, and
the worker hung past its timeout (whose thread needs that lock too)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

from PySide6.QtWidgets import QApplication

from csdesk.ui import gc_on_gui_thread


def collected_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    gc.collect()
    timer = gc_on_gui_thread.install(qapp)
    try:
        yield
    finally:
        timer.stop()
        timer.deleteLater()
        gc.collect()  # the test's garbage, Qt objects and all, here
        gc.enable()
