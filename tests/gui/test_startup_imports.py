"""What the first paint does not need is not imported before it (issue 10 item 6): a fresh
interpreter builds and shows a workstation window the way the desk does at start-up, then
lists what is loaded. Dialogs, training, the keyring, speech's pyttsx3, the server, the
PostgreSQL dialect and the HTTP transport (requests) load later, when used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NOT_AT_FIRST_PAINT = (
    "keyring",
    "csdesk.credentials",
    "pyttsx3",
    "csdesk.training",
    "csdesk.server",
    "fastapi",
    "uvicorn",
    "argon2",
    "sqlalchemy.dialects.postgresql",
    "requests",
    "urllib3",
    "csdesk.sync.http",
    "csdesk.ui.panels.signin",
    "csdesk.ui.panels.template_dialog",
    "csdesk.ui.panels.shortcuts",
    "csdesk.ui.panels.settings",
    "csdesk.ui.panels.canned",
    "csdesk.ui.panels.email_view",
    "csdesk.ui.panels.training",
)

FIRST_PAINT = """
import json, sys
from pathlib import Path
import csdesk.__main__  # the entry point's own imports
from PySide6.QtWidgets import QApplication
from csdesk.ui.app import Controller, SPEECH_DELAY_MS
from csdesk.app.workstation import Me, Workstation
from csdesk.settings import Settings
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.ui.main_window import MainWindow

app = QApplication([])
settings, notice = Settings.load()
controller = Controller(app, settings, notice, None)
engine = SyncEngine(
    LocalCache(Path(sys.argv[1]) / "cache.sqlite"), SyncApi("http://127.0.0.1:9"),
    connecting=True,
)
ws = Workstation(engine, Me("u1", "demo", "Demo", "agent"))
window = MainWindow(
    ws, controller.bridge, controller.appearance.theme, None, speaker=controller.speaker,
    appearance=controller.appearance, settings=settings,
)
window.resize(1600, 1000)
window.show()
for _ in range(20):
    app.processEvents()
print(json.dumps(sorted(sys.modules)))
window.close()
controller.shutdown()
engine.cache.close()
"""


def _under(name: str, top: str) -> bool:
    return name == top or name.startswith(top + ".")


def test_first_paint_leaves_heavy_modules_unimported(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CSDESK_DATA_DIR": str(tmp_path / "data"),
        "CSDESK_CONFIG_DIR": str(tmp_path / "config"),
    }
    run = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    loaded = json.loads(run.stdout.strip().splitlines()[-1])
    early = [m for m in loaded if any(_under(m, top) for top in NOT_AT_FIRST_PAINT)]
    assert early == []
    assert "csdesk.ui.main_window" in loaded  # the check ran where it should
