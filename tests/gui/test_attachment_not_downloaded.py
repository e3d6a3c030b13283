"""A customer's file the server refused to download says why, in the thread and when the
agent tries to open it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels.inbound import Attachment, Handle, InboundMessage
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.server import ServerProcess

REASON = "127.0.0.1 is a loopback address, which the server never fetches from"


def test_a_refused_file_says_not_downloaded_and_why(
    qtbot: QtBot, tmp_path: Path, desk_factory: Callable[..., Desk]
) -> None:
    db = seed_demo_db(tmp_path / "a.db", customers=5)
    data_dir = tmp_path / "server-data"
    state = ServerState.build(ServerConfig(db_url=db, listen_notify=False, data_dir=data_dir))
    msg = InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=f"<{uuid.uuid4()}@example.com>",
        sender_handle=Handle(IdentityKind.EMAIL, "mallory@example.com"),
        sender_name="Mallory",
        text="see the attached",
        sent_at=utcnow(),
        attachments=(Attachment("meta-data", "text/plain", None, data=None),),
    )
    with state.writes() as s:
        result = ingest_message(s, msg, store=state.attachments)
        row = s.get(m.Message, result.message_id)
        assert row is not None
        # As the media fetch leaves an entry it refused (see server.channels.media_fetch).
        row.attachments = [
            {**row.attachments[0], "sha256": None, "fetch": "failed", "fetch_error": REASON}
        ]
        s.commit()
    state.engine.dispose()
    server = ServerProcess(
        db, log_path=tmp_path / "s.log", extra_args=["--data-dir", str(data_dir)]
    ).start()
    try:
        desk = desk_factory(server, "demo")
        w = desk.window
        said: list[str] = []
        w.announced.connect(said.append)
        w.open_conversation(result.conversation_id)
        qtbot.waitUntil(
            lambda: (
                w.conversation.current is not None
                and w.conversation.current.id == result.conversation_id
            ),
            timeout=10_000,
        )
        w.conversation.messages.go_to_last()
        model = w.conversation.model
        shown = str(model.data(model.index(model.rowCount() - 1, 0), Qt.ItemDataRole.DisplayRole))
        assert f"meta-data (not downloaded: {REASON})" in shown
        w.actions_["attachment"].trigger()
        qtbot.waitUntil(lambda: any(REASON in text for text in said), timeout=5_000)
        assert any(text.startswith("meta-data was not downloaded: ") for text in said), said
    finally:
        server.stop()
