"""Inline ``cid:`` images in the formatted email view come from the message's attachments,
fetched off the GUI thread (issue 9, item 22)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QThread
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from csdesk.app.inline_images import cid_urls, resolve
from csdesk.ui.panels.email_view import EmailView
from csdesk.ui.tasks import Tasks

RED = QColor(255, 0, 0)


def _png(colour: QColor, size: int = 40) -> bytes:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(colour)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def _has_red(view: EmailView) -> bool:
    shot = view.browser.viewport().grab().toImage()
    return any(
        shot.pixelColor(x, y) == RED
        for x in range(0, min(shot.width(), 200), 4)
        for y in range(0, min(shot.height(), 200), 4)
    )


ATTACHMENTS: list[dict[str, Any]] = [
    {"filename": "a.pdf", "content_id": None, "sha256": "aa", "size": 10},
    {"filename": "logo.png", "content_id": "Logo@Shop", "sha256": "bb", "size": 300},
    {"filename": "gone.png", "content_id": "gone@shop", "sha256": None, "size": 300},
]
HTML = '<p>Hi</p><img src="cid:logo@shop" width="40" height="40"><img src="cid:gone@shop">'


def test_resolve_maps_cid_urls_to_the_attachment_bytes() -> None:
    asked: list[int] = []

    def fetch(index: int) -> bytes:
        asked.append(index)
        return b"png-bytes"

    assert cid_urls(HTML) == ["cid:logo@shop", "cid:gone@shop"]
    # Content-IDs compare without brackets, case and URL-encoding; a part whose bytes the
    # server did not keep (over the size limit) is not asked for.
    assert resolve(HTML, ATTACHMENTS, fetch) == {"cid:logo@shop": b"png-bytes"}
    assert asked == [1]
    assert resolve('<img src="cid:Logo%40Shop">', ATTACHMENTS, fetch) == {
        "cid:Logo%40Shop": b"png-bytes"
    }

    def broken(index: int) -> bytes:
        raise OSError("offline")

    assert resolve(HTML, ATTACHMENTS, broken) == {}


def test_inline_images_show_once_fetched_on_a_worker(qtbot: QtBot) -> None:
    red = _png(RED)
    threads: list[bool] = []
    tasks = Tasks()

    def fetch(index: int) -> bytes:
        threads.append(threading.current_thread() is threading.main_thread())
        return red

    def load_inline(done: Callable[[dict[str, bytes]], None]) -> None:
        tasks.run(lambda: resolve(HTML, ATTACHMENTS, fetch), done)

    plain = EmailView("Logo", HTML, lambda urls, done: None)
    qtbot.addWidget(plain)
    plain.show()
    assert not _has_red(plain)  # without the attachments the image is broken

    try:
        view = EmailView("Logo", HTML, lambda urls, done: None, load_inline=load_inline)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: _has_red(view), timeout=10_000)
    finally:
        tasks.shutdown()
    assert threads == [False]  # downloaded off the GUI thread
    assert QThread.currentThread() is view.thread()
