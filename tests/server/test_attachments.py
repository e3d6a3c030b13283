"""Attachment bytes: stored once by content, downloaded by agents of the message's realm."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from csdesk.domain.enums import Channel, IdentityKind, Role
from csdesk.server.attachments.store import AttachmentStore
from csdesk.server.channels.inbound import Attachment, Handle, InboundMessage
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage.types import utcnow
from csdesk.sync import ServerError, SyncApi
from tests.helpers.server import ServerProcess, TestUser, add_users

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def test_store_keeps_each_content_once_and_refuses_odd_names(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path)
    sha = store.put(PDF)
    assert store.put(PDF) == sha and len(list(tmp_path.rglob("*"))) == 2  # one dir, one file
    path = store.path(sha)
    assert path is not None and path.read_bytes() == PDF
    assert store.path("../../etc/passwd") is None and store.path("0" * 64) is None


def test_agent_downloads_what_the_customer_sent(db_url: str, tmp_path: Path) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    tia = TestUser("tia", "tia-password", Role.TRAINEE)
    add_users(db_url, [ann, tia])
    data_dir = tmp_path / "data"
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, data_dir=data_dir))
    msg = InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=f"<{uuid.uuid4()}@example.com>",
        sender_handle=Handle(IdentityKind.EMAIL, "jane@example.com"),
        sender_name="Jane",
        text="Invoice attached",
        sent_at=utcnow(),
        attachments=(
            Attachment("invoice 7.pdf", "application/pdf", len(PDF), data=PDF),
            Attachment("huge.mov", "video/quicktime", 10**9, data=None),
        ),
    )
    with state.writes() as s:
        result = ingest_message(s, msg, store=state.attachments)
        s.commit()
    state.engine.dispose()
    server = ServerProcess(
        db_url, log_path=tmp_path / "s.log", extra_args=["--data-dir", str(data_dir)]
    ).start()
    try:
        api = SyncApi(server.url)
        api.login("ann", "ann-password")
        assert api.attachment(result.message_id, 0) == PDF
        with pytest.raises(ServerError) as not_stored:
            api.attachment(result.message_id, 1)
        assert not_stored.value.code == "not_stored"
        with pytest.raises(ServerError) as missing:
            api.attachment(result.message_id, 5)
        assert missing.value.status == 404
        trainee = SyncApi(server.url)
        trainee.login("tia", "tia-password")
        with pytest.raises(ServerError) as other_realm:
            trainee.attachment(result.message_id, 0)
        assert other_realm.value.status == 404
    finally:
        server.stop()
