"""The ``csdesk`` command holds the cyclic collector back while it imports the desk (issue 10:
its passes over the ~100 k objects the import leaves cost ~10% of it), then freezes those
objects and turns the collector back on before the window runs: a desk left without a
collector would never free a cycle."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, sys, types
seen = {}

def main(server, **kw):
    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count())
    return 0

stub = types.ModuleType("csdesk.ui.app")
stub.main = main
sys.modules["csdesk.ui.app"] = stub  # the window's module, replaced: only the entry runs
from csdesk.__main__ import main as entry

assert gc.isenabled()
frozen_before = gc.get_freeze_count()
entry(["--server", "http://127.0.0.1:9"])
print(seen["enabled"], seen["frozen"] > frozen_before)
"""


def test_the_collector_is_back_on_when_the_window_runs() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "True"]
