"""Show csdesk as an agent sees it (signed in, a conversation open, the shortcuts sheet, the
settings, sign-in and canned-response dialogs up) and have ``atspi_check.py`` walk it over
AT-SPI from another process.

    dbus-run-session -- xvfb-run -a -s "-screen 0 1920x1200x24" \\
        env QT_QPA_PLATFORM=xcb QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 \\
        .venv/bin/python -m tests.a11y.atspi_launcher [--plant]

``--plant`` adds an unnamed button and text field, to prove the walk catches them.

Prints the checker's JSON report as its last line and exits with the checker's status. A real
server with the demo store, a real signed-in window; only the speech engine is a stand-in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

APP_NAME = "csdesk-atspi-walk"
CHECKER = Path(__file__).with_name("atspi_check.py")
SYSTEM_PYTHON = "/usr/bin/python3"
SYSTEM_SITE = "/usr/lib/python3/dist-packages"


def pump_until(app: object, predicate: Callable[[], bool], timeout: float) -> None:
    """Run the event loop (answering AT-SPI calls at once) until ``predicate`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(
        lambda: loop.quit() if predicate() or time.monotonic() > deadline else None
    )
    timer.start(20)
    loop.exec()
    timer.stop()
    if not predicate():
        raise TimeoutError("the window did not get ready in time")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="csdesk-atspi-"))
    os.environ["CSDESK_DATA_DIR"] = str(tmp / "data")
    os.environ["CSDESK_CONFIG_DIR"] = str(tmp / "config")

    from PySide6.QtWidgets import QApplication

    from csdesk.app.inbox import ALL_VIEWS, View
    from csdesk.app.workstation import Me, Workstation
    from csdesk.settings import Settings
    from csdesk.speech import SpeechService
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.ui.appearance import Appearance
    from csdesk.ui.bridge import SyncBridge
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.panels.canned import CannedDialog
    from csdesk.ui.panels.email_view import EmailView
    from csdesk.ui.panels.settings import SettingsDialog
    from csdesk.ui.panels.shortcuts import ShortcutsDialog
    from csdesk.ui.panels.signin import SignInDialog
    from csdesk.ui.speech_bridge import Speaker, SpeechOptions
    from tests.a11y.conftest import FakeEngine
    from tests.gui.conftest import PASSWORD, seed_demo_db
    from tests.helpers.server import ServerProcess

    app = QApplication([APP_NAME])
    app.setApplicationName(APP_NAME)
    server = ServerProcess(
        seed_demo_db(tmp / "demo.db", customers=12), log_path=tmp / "server.log"
    ).start()
    sync: SyncEngine | None = None
    syncs: list[SyncEngine] = []
    try:
        settings = Settings(tmp / "settings.json", {"theme": "light"})
        speaker = Speaker(SpeechService(FakeEngine), SpeechOptions.from_settings(settings))
        speaker.start(lambda fn: fn())
        appearance = Appearance(app, settings)
        cache = LocalCache(tmp / "cache.sqlite")
        sync = SyncEngine(cache, SyncApi(server.url))
        user = sync.login("demo", PASSWORD).user
        ws = Workstation(sync, Me(str(user["id"]), "demo", str(user["display_name"]), "agent"))
        bridge = SyncBridge()
        sync.add_listener(bridge.on_sync_event)
        sync.start()
        pump_until(app, lambda: cache.cursor() >= cache.head() > 0, 60)
        window = MainWindow(
            ws,
            bridge,
            appearance.apply(),
            speaker=speaker,
            appearance=appearance,
            settings=settings,
        )
        window.resize(1600, 1000)
        window.show()
        window.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
        pump_until(app, lambda: window.shown_view == View.ALL_OPEN, 20)
        pump_until(app, lambda: window.model.rowCount() > 0, 20)
        window.inbox.step(1)
        pump_until(app, lambda: window.conversation.current is not None, 20)
        sheet = ShortcutsDialog(list(window.actions_), window)
        sheet.show()
        dialog = SettingsDialog(settings, appearance, speaker, window)
        dialog.show()
        signin = SignInDialog(server.url, "demo")
        signin.show()
        canned = CannedDialog([(r.title, r.body) for r in ws.canned_responses()], window)
        canned.show()
        formatted = EmailView(
            "Order question",
            '<p>Hello</p><img data-blocked-src="https://shop.example/logo.png" alt="Shop logo">',
            lambda _urls, _done: None,
            window,
        )
        formatted.show()  # with its blocked-images notice and "Load remote images" button
        from csdesk.ui.panels.training import TrainingDialog

        training = TrainingDialog(lambda text, speak: window.say(text, speak=speak), speaker)
        training.show()
        pump_until(app, lambda: training.scenario_list.count() > 0, 20)
        training.start()  # mid-session: transcript, customer card, reply box, actions
        from csdesk.ui.panels.wrapup import WrapUpDialog

        window.call_desk.open_script()  # the call-script panel docked beside the conversation
        pump_until(app, lambda: window.call_desk.panel.script is not None, 20)
        assert window.call_desk.dock.isVisible()  # so the walk below reaches its controls
        wrapup = WrapUpDialog("Jane Doe, +447700900123", ["greet", "identify (found)"], window)
        wrapup.show()
        from csdesk.app.wa_templates import TemplateList
        from csdesk.domain.wa_template import Template
        from csdesk.ui.panels.template_dialog import TemplateDialog

        approved = Template(
            "order_update", "en", "UTILITY", "Hello {{1}}, order {{2}} ships today.",
            examples=("Jane", "FH-1000038"),
        )  # fmt: skip
        templates = TemplateDialog(
            window.tasks, lambda _refresh: TemplateList((approved,), None), window
        )
        templates.show()
        templates.reload()
        pump_until(app, lambda: templates.list.count() > 0, 20)
        templates.list.setCurrentRow(0)  # its parameter fields and preview appear
        # The KPI dashboard (issue 12) and the conversations behind a figure.
        from csdesk.ui.panels.dashboard_window import DashboardWindow

        window.actions_["dashboard"].trigger()
        dash = window.findChild(DashboardWindow)
        assert dash is not None
        pump_until(app, lambda: dash.panel.report is not None, 30)
        figures = dash.panel.figures
        figures.activated.emit(figures.model().index(0, 1))
        pump_until(
            app, lambda: dash.panel.drill is not None and dash.panel.drill.page is not None, 30
        )
        # The supervisor's floor (issue 12): sam's live board of queues and agents, as a
        # supervisor opens it after signing in.
        from csdesk.ui.floor_window import FloorWindow

        boss_cache = LocalCache(tmp / "cache-sam.sqlite")
        boss_sync = SyncEngine(boss_cache, SyncApi(server.url))
        syncs.append(boss_sync)
        boss = boss_sync.login("sam", PASSWORD).user
        boss_ws = Workstation(
            boss_sync, Me(str(boss["id"]), "sam", str(boss["display_name"]), str(boss["role"]))
        )
        boss_bridge = SyncBridge()
        boss_sync.add_listener(boss_bridge.on_sync_event)
        boss_sync.start()
        pump_until(app, lambda: boss_cache.cursor() >= boss_cache.head() > 0, 60)
        floor_window = FloorWindow(boss_ws, boss_bridge, appearance.apply())
        floor_window.resize(1400, 900)
        floor_window.show()
        pump_until(app, lambda: floor_window.board.board is not None, 30)
        # --- pop-out conversations (docs/pop-out.md): the open conversation in its own window.
        window.actions_["pop_out"].trigger()
        pop = next(iter(window.pop_outs.windows.values()))
        pump_until(app, lambda: pop.open_conv is not None, 30)
        if "--plant" in sys.argv:  # the negative control: the checker must catch these
            from PySide6.QtWidgets import QLineEdit, QPushButton

            layout = dialog.layout()
            assert layout is not None
            layout.addWidget(QPushButton(dialog))
            layout.addWidget(QLineEdit(dialog))
        settle = time.monotonic() + 1.0
        pump_until(app, lambda: time.monotonic() > settle, 5)

        result: dict[str, subprocess.CompletedProcess[str]] = {}

        def check() -> None:
            env = {**os.environ, "PYTHONPATH": SYSTEM_SITE}
            result["run"] = subprocess.run(
                [SYSTEM_PYTHON, str(CHECKER), APP_NAME],
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )

        worker = threading.Thread(target=check, daemon=True)
        worker.start()
        pump_until(app, lambda: not worker.is_alive(), 200)
        run = result["run"]
        sys.stderr.write(run.stderr)
        print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "{}")
        window.close()
        floor_window.close()
        floor_window.tasks.shutdown()
        speaker.close()
        return run.returncode
    finally:
        for other in syncs:
            other.stop()
        if sync is not None:
            sync.stop()
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
