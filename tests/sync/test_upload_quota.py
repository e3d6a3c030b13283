"""A reply whose file does not fit the agent's upload allowance is rejected with the server's
words, its text kept, instead of being retried forever."""

from __future__ import annotations

from pathlib import Path

import pytest

from csdesk.protocol import MutationType
from csdesk.sync import Rejection
from tests.helpers.server import ServerProcess
from tests.sync.conftest import ClientFactory
from tests.sync.test_outbox_files import _chat_conversation


@pytest.fixture
def small_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    """For servers started after this: 1000 bytes of unsent uploads per agent."""
    monkeypatch.setenv("CSDESK_UPLOAD_QUOTA_BYTES", "1000")


def test_a_reply_over_the_upload_quota_is_rejected_with_its_text_kept(
    small_quota: None, server: ServerProcess, make_client: ClientFactory, tmp_path: Path
) -> None:
    ann = make_client("ann")
    conv = _chat_conversation(server, ann)
    rejections: list[Rejection] = []
    ann.engine.add_listener(lambda e: rejections.append(e) if isinstance(e, Rejection) else None)
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"\1" * 2000)
    refs = ann.engine.outbox.stage([big])
    mid = ann.engine.enqueue(
        MutationType.MESSAGE_SEND,
        {"conversation_id": conv, "body_text": "The scan", "attachments": refs},
    )
    ann.engine.sync_now()
    (rejection,) = rejections
    assert rejection.mutation_id == mid
    assert "upload allowance" in rejection.message
    (kept,) = ann.engine.outbox.rejected()
    assert kept.args["body_text"] == "The scan"
