"""Pop a conversation out and close it again with real key presses on a real X server (Xvfb, no
window manager: PLATFORM-NOTES' trap, where Qt lost its active window when a dialog closed and
the main window's shortcuts stopped firing), then go on in the main window by keyboard.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python -m tests.a11y.pop_out_x11

Keys are typed with ``xdotool`` (XTEST: the X server delivers them to the window with the input
focus, as a keyboard's). Prints one JSON line of what happened; exit status 0 when every step
did what the agent expects.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from tests.a11y.atspi_launcher import pump_until


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="csdesk-pop-out-"))
    os.environ["CSDESK_DATA_DIR"] = str(tmp / "data")
    os.environ["CSDESK_CONFIG_DIR"] = str(tmp / "config")

    from PySide6.QtWidgets import QApplication

    from csdesk.app.inbox import ALL_VIEWS, View
    from csdesk.app.workstation import Me, Workstation
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.bridge import SyncBridge
    from csdesk.ui.main_window import MainWindow
    from tests.gui.conftest import PASSWORD, seed_demo_db
    from tests.helpers.server import ServerProcess

    app = QApplication(["csdesk-pop-out"])
    server = ServerProcess(
        seed_demo_db(tmp / "demo.db", customers=12), log_path=tmp / "server.log"
    ).start()
    sync: SyncEngine | None = None
    report: dict[str, object] = {}
    try:
        cache = LocalCache(tmp / "cache.sqlite")
        sync = SyncEngine(cache, SyncApi(server.url))
        user = sync.login("demo", PASSWORD).user
        ws = Workstation(sync, Me(str(user["id"]), "demo", str(user["display_name"]), "agent"))
        bridge = SyncBridge()
        sync.add_listener(bridge.on_sync_event)
        sync.start()
        pump_until(app, lambda: cache.cursor() >= cache.head() > 0, 60)
        window = MainWindow(ws, bridge, get_theme("light"))
        window.resize(1200, 800)
        window.show()
        window.activateWindow()
        window.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
        pump_until(app, lambda: window.shown_view == View.ALL_OPEN, 20)
        pump_until(app, lambda: window.model.rowCount() > 2, 20)
        window.inbox.step(1)
        pump_until(app, lambda: window.conversation.current is not None, 20)
        window.inbox.list.setFocus()
        pump_until(app, lambda: QApplication.activeWindow() is window, 10)

        def key(*keys: str) -> None:
            subprocess.run(["xdotool", "key", "--delay", "50", *keys], check=True, timeout=30)

        first = window.open_id
        key("ctrl+alt+shift+o")  # Pop out conversation
        pump_until(app, lambda: first in window.pop_outs.windows, 10)
        pop = window.pop_outs.windows[first]
        pump_until(app, lambda: QApplication.activeWindow() is pop, 10)
        pump_until(app, lambda: pop.open_conv is not None, 20)
        report["popped_out"] = True
        key("r")  # Reply: in the pop-out, the focus goes to its reply box
        pump_until(app, lambda: pop.conversation.composer.text.hasFocus(), 10)
        key("H", "i")
        pump_until(app, lambda: pop.conversation.composer.text.toPlainText() == "Hi", 10)
        report["typed_in_pop_out"] = True
        # The main window's desks in the pop-out (docs/pop-out.md): their dialogs open over
        # it, and Escape gives the keyboard back to the reply box, where typing goes on.
        composer = pop.conversation.composer.text
        for name, keys, desk in (
            ("macro", "ctrl+alt+a", pop.macro_desk),
            ("reminder", "ctrl+alt+shift+r", pop.scheduled_desk),
        ):
            key(keys)
            pump_until(app, lambda d=desk: d.dialog is not None, 20)
            pump_until(app, lambda d=desk: QApplication.activeWindow() is d.dialog, 10)
            key("Escape")
            pump_until(app, lambda d=desk: d.dialog is None, 10)
            pump_until(app, lambda: QApplication.activeWindow() is pop, 10)
            before = composer.toPlainText()
            key("exclam")
            pump_until(app, lambda b=before: composer.toPlainText() == b + "!", 10)
            report[f"{name}_dialog_gave_keys_back"] = first in window.pop_outs.windows
        key("Escape")
        pump_until(app, lambda: first not in window.pop_outs.windows, 10)
        pump_until(app, lambda: QApplication.activeWindow() is window, 10)
        report["focus_back"] = window.inbox.list.hasFocus()
        # The main window shows that conversation with nothing written: the draft is there.
        report["draft_back"] = window.conversation.composer.text.toPlainText() == "Hi!!"
        key("j")  # the main window's shortcuts work again: the next conversation opens
        pump_until(app, lambda: window.open_id not in (None, first), 10)
        report["next_after_close"] = True
        window.close()
    except TimeoutError as exc:
        report["error"] = str(exc)
    finally:
        if sync is not None:
            sync.stop()
        server.stop()
    print(json.dumps(report))
    good = "error" not in report and report.get("focus_back") and report.get("draft_back")
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
