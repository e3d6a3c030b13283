"""Screenshots of the workstation with the demo store, for the README and the text-scaling check.

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python docs/make_screenshots.py

Renders the main window at 1600x1000 with a conversation open, at 100%, 150% and 200% text
size and in each theme, into docs/screenshots/. Runs a real server (SQLite, demo data) and a
real, signed-in window; nothing is mocked. ``--language de`` (or ar, fr, es, nl) renders the
window in that language instead (``main-<lang>-<theme>-<size>.png``; Arabic right to left).

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python docs/make_screenshots.py \
        --language de --themes light --scales 1.0
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
#: The reply being written in the shot, in the window's language.
DRAFTS = {
    "en": "Hello! I have checked with the courier: your parcel arrives tomorrow.",
    "de": "Hallo! Ich habe beim Paketdienst nachgefragt: Ihr Paket kommt morgen an.",
    "fr": "Bonjour ! J'ai vérifié auprès du transporteur : votre colis arrive demain.",
    "es": "¡Hola! He consultado con la empresa de mensajería: tu paquete llega mañana.",
    "nl": "Hallo! Ik heb het nagevraagd bij de vervoerder: je pakket komt morgen aan.",
    "ar": "مرحبًا! لقد تحققت من شركة الشحن: سيصل طردك غدًا.",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--scales", default="1.0,1.5,2.0")
    parser.add_argument("--themes", default="light,dark,high_contrast,high_contrast_dark")
    parser.add_argument("--language", default="", help="de, fr, es, nl or ar (default English)")
    parser.add_argument("--size", default="1600x1000", help="window size, e.g. 1366x768")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    os.environ["CSDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="csdesk-shots-")

    from PySide6.QtWidgets import QApplication
    from tests.helpers.qtwait import pump_until
    from tests.helpers.server import ServerProcess

    from csdesk.app.inbox import ALL_VIEWS, View
    from csdesk.app.workstation import Me, Workstation
    from csdesk.server.demo import seed_demo
    from csdesk.storage.db import make_engine
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.app import apply_theme
    from csdesk.ui.bridge import SyncBridge
    from csdesk.ui.main_window import MainWindow

    app = QApplication([])
    lang = args.language
    if lang:
        from PySide6.QtCore import Qt

        from csdesk import i18n

        lang = i18n.set_language(lang)
        if i18n.is_right_to_left(lang):
            app.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    tmp = Path(os.environ["CSDESK_DATA_DIR"])
    db = f"sqlite+pysqlite:///{tmp / 'shots.db'}"
    engine = make_engine(db)
    seed_demo(engine)
    engine.dispose()
    server = ServerProcess(db, log_path=tmp / "server.log").start()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        cache = LocalCache(tmp / "cache.sqlite")
        sync = SyncEngine(cache, SyncApi(server.url))
        user = sync.login("demo", "demo-password").user
        ws = Workstation(sync, Me(str(user["id"]), "demo", str(user["display_name"]), "agent"))
        bridge = SyncBridge()
        sync.add_listener(bridge.on_sync_event)
        sync.start()
        pump_until(lambda: cache.cursor() >= cache.head() > 0, 60)
        for theme_name in args.themes.split(","):
            theme = get_theme(theme_name)
            for scale in (float(x) for x in args.scales.split(",")):
                if theme_name != "light" and scale != 1.0:
                    continue  # every theme at 100%, every size in the light theme
                apply_theme(app, theme, scale)
                window = MainWindow(ws, bridge, theme)
                window.resize(*(int(n) for n in args.size.split("x")))
                window.show()
                window.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
                pump_until(
                    lambda w=window: w.shown_view == View.ALL_OPEN and w.model.rowCount() > 3,
                    20,
                )
                window.inbox.list.setFocus()
                window.inbox.step(1)
                window.inbox.step(1)
                pump_until(lambda w=window: w.conversation.current is not None, 20)
                window.conversation.composer.text.setPlainText(DRAFTS.get(lang, DRAFTS["en"]))
                pump_until(lambda: False, 1.0)
                prefix = f"main-{lang}" if lang else "main"
                if args.size != "1600x1000":
                    prefix += f"-{args.size}"
                name = f"{prefix}-{theme_name}-{int(scale * 100)}.png"
                window.grab().save(str(args.out / name))
                composer = window.conversation.composer
                size = int(scale * 100)
                if not lang:
                    composer.grab().save(str(args.out / f"composer-{theme_name}-{size}.png"))
                print("wrote", args.out / name)
                if theme_name == "light" and scale == 1.0 and not lang:
                    _extra_shots(window, args.out)
                window.close()
                window.deleteLater()
                pump_until(lambda: False, 0.3)
        sync.stop()
    finally:
        server.stop()
    return 0


def _extra_shots(window: MainWindow, out: Path) -> None:
    """The call script beside the open conversation, and a training session under way."""
    from tests.helpers.qtwait import pump_until

    from csdesk.ui.panels.training import TrainingDialog, open_training

    desk = window.call_desk
    desk.open_script()
    pump_until(lambda: desk.panel.script is not None, 20)
    desk.panel.choose(0)
    pump_until(lambda: False, 0.5)
    window.grab().save(str(out / "call-script-light-100.png"))
    print("wrote", out / "call-script-light-100.png")

    open_training(window)
    dialog = window.findChild(TrainingDialog)
    assert dialog is not None
    pump_until(lambda: dialog.scenario_list.count() > 0, 20)
    dialog.scenario_list.setCurrentRow(0)
    dialog.start()
    pump_until(lambda: dialog.session is not None, 10)
    dialog.reply_box.setPlainText("I'm sorry for the wait! Could you give me your order number?")
    dialog.send()
    pump_until(lambda: False, 0.8)
    dialog.grab().save(str(out / "training-light-100.png"))
    print("wrote", out / "training-light-100.png")
    dialog.close()
    pump_until(lambda: False, 0.3)


if __name__ == "__main__":
    raise SystemExit(main())
