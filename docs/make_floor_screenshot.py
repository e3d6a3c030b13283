"""A screenshot of the supervisor's floor (the live board) with the demo store.

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python docs/make_floor_screenshot.py

Runs a real server (SQLite, demo data, the customer simulator so the demo colleagues stay
connected), signs in as the demo supervisor and writes docs/screenshots/floor-light-100.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots" / "floor-light-100.png"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    os.environ["CSDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="csdesk-floor-")

    from PySide6.QtWidgets import QApplication, QWidget
    from tests.helpers.qtwait import pump_until
    from tests.helpers.server import ServerProcess

    from csdesk.app.workstation import Me, Workstation
    from csdesk.server.demo import seed_demo
    from csdesk.storage.db import make_engine
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.app import apply_theme
    from csdesk.ui.bridge import SyncBridge
    from csdesk.ui.floor_tabs import add_supervisor_tabs
    from csdesk.ui.floor_window import FloorWindow
    from csdesk.ui.panels.dashboard import DashboardPanel

    app = QApplication([])
    tmp = Path(os.environ["CSDESK_DATA_DIR"])
    db = f"sqlite+pysqlite:///{tmp / 'floor.db'}"
    engine = make_engine(db)
    seed_demo(engine)
    engine.dispose()
    server = ServerProcess(
        db, log_path=tmp / "server.log", extra_args=["--simulate-customers", "3"]
    ).start()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        cache = LocalCache(tmp / "cache.sqlite")
        sync = SyncEngine(cache, SyncApi(server.url))
        user = sync.login("sam", "demo-password").user
        ws = Workstation(
            sync, Me(str(user["id"]), "sam", str(user["display_name"]), str(user["role"]))
        )
        bridge = SyncBridge()
        sync.add_listener(bridge.on_sync_event)
        sync.start()
        theme = get_theme("light")
        apply_theme(app, theme, 1.0)
        pump_until(lambda: cache.cursor() >= cache.head() > 0, 60)
        window = FloorWindow(ws, bridge, theme)
        add_supervisor_tabs(window, QWidget())
        window.resize(1400, 900)
        window.show()
        pump_until(lambda: window.board.board is not None, 20)
        pump_until(lambda: False, 1.5)  # let the layout settle
        window.grab().save(str(args.out))
        print(args.out)
        dashboard = window.findChild(DashboardPanel, "floor_dashboard")
        assert dashboard is not None
        window.tabs.setCurrentWidget(dashboard)
        pump_until(lambda: dashboard.report is not None, 30)
        pump_until(lambda: False, 1.5)
        kpis = args.out.with_name(args.out.name.replace("floor-", "floor-kpis-"))
        window.grab().save(str(kpis))
        print(kpis)
        window.close()
        sync.stop(5)
        cache.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
