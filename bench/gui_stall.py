"""The GUI thread's longest stall while N changes sync into an open workstation window.

    python bench/gui_stall.py [--changes 10000] [--rounds 3]

A real server (subprocess, SQLite, demo store), a real window (offscreen), a timer on the GUI
thread that should tick every 5 ms; the longest gap between ticks is the longest freeze.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    from tests.helpers.bulk import add_inbound_messages
    from tests.helpers.http import Raw
    from tests.helpers.qtwait import pump_until
    from tests.helpers.server import ServerProcess, TestUser
    from tests.helpers.stall import StallMeter

    from csdesk.app.workstation import Me, Workstation
    from csdesk.domain.enums import Role
    from csdesk.server.demo import seed_demo
    from csdesk.storage.db import make_engine
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.bridge import SyncBridge
    from csdesk.ui.main_window import MainWindow

    app = QApplication([])  # noqa: F841 - must outlive the window
    tmp = Path(tempfile.mkdtemp(prefix="csdesk-bench-"))
    db = f"sqlite+pysqlite:///{tmp / 'bench.db'}"
    engine = make_engine(db)
    seed_demo(engine)
    engine.dispose()
    server = ServerProcess(db, log_path=tmp / "server.log").start()
    rows: list[tuple[int, float, int, float]] = []
    try:
        cache = LocalCache(tmp / "cache.sqlite")
        sync = SyncEngine(cache, SyncApi(server.url))
        user = sync.login("demo", "demo-password").user
        ws = Workstation(sync, Me(str(user["id"]), "demo", str(user["display_name"]), "agent"))
        bridge = SyncBridge()
        sync.add_listener(bridge.on_sync_event)
        sync.start()
        window = MainWindow(ws, bridge, get_theme("light"))
        window.resize(1600, 1000)
        window.show() if not os.environ.get("BENCH_NOSHOW") else None
        pump_until(lambda: cache.cursor() >= cache.head() > 0, 60)
        alex = Raw.signed_in(server, TestUser("alex", "demo-password", Role.AGENT))
        wake = ws.ordered_ids("all_open", window.sort)[0]
        for _round in range(args.rounds):
            head = add_inbound_messages(db, args.changes)
            meter = StallMeter()
            meter.start()
            started = time.perf_counter()
            # Another agent's push wakes the desk's long-poll (the bulk write could not).
            alex.push(("conversation.set_tags", {"conversation_id": wake, "add": ["bench"]}))
            pump_until(lambda h=head: cache.cursor() >= h, 300)
            pump_until(lambda: False, 0.5)
            meter.stop()
            rows.append(
                (args.changes, meter.longest_ms, meter.ticks, time.perf_counter() - started)
            )
        window.close()
        sync.stop()
    finally:
        server.stop()
    print(f"{'changes':>8} | {'longest GUI stall (ms)':>22} | {'ticks':>6} | {'sync (s)':>8}")
    print(f"{'-' * 8}-+-{'-' * 22}-+-{'-' * 6}-+-{'-' * 8}")
    for changes, longest, ticks, seconds in rows:
        print(f"{changes:>8} | {longest:>22.1f} | {ticks:>6} | {seconds:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
