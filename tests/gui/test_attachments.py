"""Opening a customer's attachment from the thread: downloaded on a worker, handed to the
desktop's viewer, byte for byte what the customer sent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels.inbound import Attachment, Handle, InboundMessage
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage.types import utcnow
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.server import ServerProcess

PDF = b"%PDF-1.4 invoice " + uuid.uuid4().bytes * 64


def test_open_attachment_downloads_and_hands_it_to_the_desktop(
    qtbot: QtBot, tmp_path: Path, desk_factory: Callable[..., Desk], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = seed_demo_db(tmp_path / "a.db", customers=5)
    data_dir = tmp_path / "server-data"
    state = ServerState.build(ServerConfig(db_url=db, listen_notify=False, data_dir=data_dir))
    msg = InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=f"<{uuid.uuid4()}@example.com>",
        sender_handle=Handle(IdentityKind.EMAIL, "lena@example.com"),
        sender_name="Lena",
        text="My invoice is attached",
        sent_at=utcnow(),
        attachments=(Attachment("invoice.pdf", "application/pdf", len(PDF), data=PDF),),
    )
    with state.writes() as s:
        result = ingest_message(s, msg, store=state.attachments)
        s.commit()
    state.engine.dispose()
    server = ServerProcess(
        db, log_path=tmp_path / "s.log", extra_args=["--data-dir", str(data_dir)]
    ).start()
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices,
        "openUrl",
        staticmethod(lambda url: opened.append(QUrl(url).toLocalFile()) or True),
    )
    try:
        desk = desk_factory(server, "demo")
        w = desk.window
        w.open_conversation(result.conversation_id)
        qtbot.waitUntil(
            lambda: (
                w.conversation.current is not None
                and w.conversation.current.id == result.conversation_id
            ),
            timeout=10_000,
        )
        w.conversation.messages.go_to_last()
        w.actions_["attachment"].trigger()
        qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
        assert Path(opened[0]).name == "invoice.pdf"
        assert Path(opened[0]).read_bytes() == PDF
    finally:
        server.stop()
