"""Replies with files, offline first: queued with durable copies, uploaded when the server is
back, pushed only after their uploads succeeded, and sent once."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from csdesk.protocol import MutationType
from csdesk.sync import Offline, Rejection, SyncApi, SyncState, SyncStatus
from csdesk.sync.outbox import AttachmentError
from tests.helpers.server import ServerProcess
from tests.sync.conftest import ClientFactory, server_messages, wait_for

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 50


class WatchedApi(SyncApi):
    """Records uploads and pushes in order; the first ``fail_uploads`` uploads fail offline."""

    def __init__(self, *args: Any, fail_uploads: int = 0, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.events: list[str] = []
        self.fail_uploads = fail_uploads

    def upload_attachment(
        self, path: Path, filename: str, content_type: str, sha256: str | None = None
    ) -> dict[str, Any]:
        if self.fail_uploads:
            self.fail_uploads -= 1
            self.events.append("upload failed")
            raise Offline("Cannot reach the server (connection reset).")
        answer = super().upload_attachment(path, filename, content_type, sha256)
        self.events.append(f"upload {filename}")
        return answer

    def push(self, mutations: list[Any]) -> list[Any]:
        results = super().push(mutations)
        self.events.append(f"push {len(mutations)}")
        return results


def _chat_conversation(server: ServerProcess, client: Any) -> str:
    """A live-chat conversation (files may go on chat; the seeded ones are phone calls)."""
    token = requests.post(f"{server.url}/chat/api/session", json={}, timeout=10).json()["token"]
    sent = requests.post(
        f"{server.url}/chat/api/messages",
        json={"text": "Invoice?", "client_id": uuid.uuid4().hex},
        headers={"X-Chat-Token": token},
        timeout=10,
    ).json()
    client.engine.sync_now()
    with client.cache.session() as s:
        from csdesk.storage import models as m

        msg = s.get(m.Message, sent["id"])
        assert msg is not None
        return str(msg.conversation_id)


def test_a_reply_with_a_file_written_offline_is_uploaded_then_sent_once(
    server: ServerProcess, make_client: ClientFactory, server_session: Any, tmp_path: Path
) -> None:
    api = WatchedApi(server.url, timeout=5.0, fail_uploads=1)
    ann = make_client("ann", api=api)
    conv = _chat_conversation(server, ann)
    errors: list[str] = []
    ann.engine.add_listener(
        lambda e: errors.append(e.last_error or "") if isinstance(e, SyncStatus) else None
    )
    ann.engine.start()
    wait_for(lambda: ann.engine.status.state == SyncState.ONLINE, "ann online")
    server.kill()
    wait_for(lambda: ann.engine.status.state == SyncState.OFFLINE, "ann to notice")

    original = tmp_path / "Rechnung 7.pdf"
    original.write_bytes(PDF)
    refs = ann.engine.outbox.stage([original])
    original.unlink()  # the queued copy, not the agent's file, is what goes out
    (ref,) = refs
    assert Path(ref["local"]).read_bytes() == PDF
    assert Path(ref["local"]).parent == ann.engine.outbox.files_dir
    assert ref["content_type"] == "application/pdf" and ref["size"] == len(PDF)
    message_id = str(uuid.uuid4())
    ann.engine.enqueue(
        MutationType.MESSAGE_SEND,
        {"conversation_id": conv, "message_id": message_id, "body_text": "Attached.",
         "attachments": refs},
    )  # fmt: skip
    assert ann.engine.status.pending == 1
    assert api.events == []  # nothing can go while the server is down
    with ann.cache.session() as s:  # the queued reply lists its file at once, by name only
        from csdesk.storage import models as m

        queued = s.get(m.Message, message_id)
        assert queued is not None and queued.delivery_status == "pending"
        assert [a["filename"] for a in queued.attachments] == ["Rechnung 7.pdf"]
        assert all("local" not in a for a in queued.attachments)

    server.start()
    wait_for(lambda: ann.engine.status.pending == 0, "the queue to drain", timeout=60)
    # The upload that failed kept the reply queued; the push came only after an upload worked.
    first_push = next(i for i, e in enumerate(api.events) if e.startswith("push"))
    assert "upload failed" in api.events[:first_push]
    assert api.events[:first_push][-1] == "upload Rechnung 7.pdf"
    assert api.events.count("upload Rechnung 7.pdf") == 1
    assert any(e.startswith("Uploading 'Rechnung 7.pdf' failed") for e in errors)  # shown why

    (sent,) = [msg for msg in server_messages(server_session, conv) if msg.id == message_id]
    (meta,) = sent.attachments
    assert meta["filename"] == "Rechnung 7.pdf" and meta["size"] == len(PDF)
    assert "local" not in meta  # the desk's own path stays on the desk
    wait_for(lambda: ann.engine.outbox.counts().pending == 0, "outbox empty")
    assert api.attachment(message_id, 0) == PDF  # opens through the existing download route
    assert not Path(ref["local"]).exists()  # the queued copy is gone once the server has it


def test_a_reply_whose_file_vanished_is_rejected_with_its_text_kept(
    server: ServerProcess, make_client: ClientFactory, tmp_path: Path
) -> None:
    ann = make_client("ann")
    conv = _chat_conversation(server, ann)
    rejections: list[Rejection] = []
    ann.engine.add_listener(lambda e: rejections.append(e) if isinstance(e, Rejection) else None)
    original = tmp_path / "photo.png"
    original.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    refs = ann.engine.outbox.stage([original])

    Path(refs[0]["local"]).unlink()
    with pytest.raises(AttachmentError, match="attach it again"):
        ann.engine.enqueue(
            MutationType.MESSAGE_SEND,
            {"conversation_id": conv, "body_text": "Look", "attachments": refs},
        )

    refs = ann.engine.outbox.stage([original])
    mid = ann.engine.enqueue(
        MutationType.MESSAGE_SEND,
        {"conversation_id": conv, "body_text": "Look", "attachments": refs},
    )
    Path(refs[0]["local"]).unlink()  # lost between queueing and sending
    ann.engine.sync_now()
    (rejection,) = rejections
    assert rejection.mutation_id == mid and "photo.png" in rejection.message
    (kept,) = ann.engine.outbox.rejected()
    assert kept.args["body_text"] == "Look"
