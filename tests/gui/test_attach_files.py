"""Attaching files to a reply from the keyboard: chosen, listed with remove buttons, checked
against the channel's limit at once, sent with the reply, and opened again from the thread."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QToolButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.storage import models as m
from csdesk.ui.panels import attachments_strip
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess

PDF = b"%PDF-1.4 quote " + uuid.uuid4().bytes * 64


def _email_conversation(desk: Desk) -> str:
    with desk.engine.cache.session() as s:
        cid = s.scalars(
            select(m.Conversation.id)
            .where(m.Conversation.channel == "email", m.Conversation.status == "open")
            .order_by(m.Conversation.id)
        ).first()
    assert cid is not None, "the demo store has open email conversations"
    return str(cid)


def test_attach_by_keyboard_check_the_limit_send_and_open_again(
    qtbot: QtBot,
    tmp_path: Path,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quote = tmp_path / "quote 12.pdf"
    quote.write_bytes(PDF)
    notes = tmp_path / "notes.txt"
    notes.write_text("call back on Monday\n")
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as f:  # sparse: 19 MB on paper, over email's 18 MB
        f.truncate(19 * 1024 * 1024)
    choices = [[str(huge), str(quote), str(notes)]]
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *_a, **_k: (choices.pop(), ""))
    )
    spoken: list[str] = []
    monkeypatch.setattr(attachments_strip, "announce", lambda _w, text, **_k: spoken.append(text))
    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(QUrl(url).toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))

    desk = desk_factory(demo_server, "demo")
    w = desk.window
    cid = _email_conversation(desk)
    w.open_conversation(cid)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == cid,
        timeout=10_000,
    )
    composer = w.conversation.composer
    composer.start(note=False)
    qtbot.keyClicks(composer.text, "The quote is attached.")

    # Ctrl+Shift+F: the registry's "Attach file…"; the dialog answers three files.
    qtbot.keyClick(
        composer.text,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    strip = composer.attachments
    qtbot.waitUntil(lambda: len(strip.files()) == 2, timeout=10_000)
    assert [f.name for f in strip.files()] == ["quote 12.pdf", "notes.txt"]
    assert strip.problem.isVisible()
    assert "scan.pdf was not attached" in strip.problem.text() and "18 MB" in strip.problem.text()
    assert "2 files attached" in spoken and any("scan.pdf" in s for s in spoken)
    assert composer.text.hasFocus()  # back to writing
    assert composer.attach.accessibleName() == "Attach file"

    # Remove "notes.txt" from the keyboard: its button has a name saying which file.
    buttons = strip.findChildren(QToolButton)
    remove_notes = next(b for b in buttons if b.accessibleName() == "Remove notes.txt")
    assert remove_notes.focusPolicy() & Qt.FocusPolicy.TabFocus
    remove_notes.setFocus()
    qtbot.keyClick(remove_notes, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(strip.files()) == 1, timeout=5_000)
    assert spoken[-1] == "1 file attached"
    assert composer.send.isEnabled()

    composer.text.setFocus()
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: composer.text.toPlainText() == "", timeout=5_000)
    assert strip.files() == [] and not strip.isVisible()

    def sent() -> Any:
        with desk.engine.cache.session() as s:
            return s.scalars(
                select(m.Message).where(
                    m.Message.conversation_id == cid,
                    m.Message.body_text == "The quote is attached.",
                    m.Message.attachments != [],
                )
            ).first()

    qtbot.waitUntil(lambda: desk.engine.status.pending == 0 and sent() is not None, timeout=30_000)
    msg = sent()
    assert [a["filename"] for a in msg.attachments] == ["quote 12.pdf"]

    # The thread lists it like any other attachment and opens it through the download route.
    model = w.conversation.model
    qtbot.waitUntil(
        lambda: any(
            (v := model.message(n)) is not None and v.id == msg.id and v.attachments
            for n in range(model.rowCount())
        ),
        timeout=10_000,
    )
    row = next(n for n in range(model.rowCount()) if model.message(n).id == msg.id)  # type: ignore[union-attr]
    w.conversation.messages.setCurrentIndex(model.index(row))
    w.actions_["attachment"].trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    assert Path(opened[0]).name == "quote 12.pdf"
    assert Path(opened[0]).read_bytes() == PDF
