"""Guards against a Qt binding that crashes when signals cross threads (PySide6 6.12.0 did:
"deallocating True/False" after some thousands of queued emissions). The sync engine and the
task runner deliver every result that way, so such a release would crash the workstation."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import os, threading
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QObject, QTimer, Signal, Slot
    from PySide6.QtWidgets import QApplication

    app = QApplication([])

    class Sender(QObject):
        sig = Signal(object)

    class Receiver(QObject):
        count = 0

        @Slot(object)
        def got(self, _value):
            Receiver.count += 1

    sender, receiver = Sender(), Receiver()
    sender.sig.connect(receiver.got)

    def work():
        for i in range(60000):
            sender.sig.emit((i, None, True))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()

    def check():
        if not any(t.is_alive() for t in threads):
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    app.exec()
    app.processEvents()
    print("delivered", Receiver.count)
""")


def test_signals_from_worker_threads_do_not_crash_the_binding() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "delivered 180000" in done.stdout
