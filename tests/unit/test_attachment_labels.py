"""What the desk's thread says about a customer's attachment the server did not download."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from csdesk.app.present import attachment_label, message_texts
from csdesk.app.thread import MessageView


def _msg(attachments: tuple[dict[str, Any], ...]) -> MessageView:
    return MessageView(
        id="m1",
        direction="in",
        is_note=False,
        author_name="Jane Doe",
        author_user_id=None,
        channel="messenger",
        subject="",
        body_text="look at this",
        body_html=None,
        attachments=attachments,
        delivery_status="received",
        failure_reason=None,
        created_at=datetime(2026, 11, 22, 10, 42, tzinfo=UTC),
    )


REFUSED = {
    "sha256": None,
    "filename": "meta-data",
    "provider_file_id": "https://127.0.0.1/latest/meta-data/",
    "fetch": "failed",
    "fetch_error": "127.0.0.1 is a loopback address, which the server never fetches from",
}
STORED = {"sha256": "ab" * 32, "filename": "photo.jpg", "fetch": "stored"}


def test_a_refused_fetch_is_shown_with_its_reason() -> None:
    texts = message_texts(_msg((REFUSED, STORED)), "me", datetime.now(UTC))
    expected = (
        "meta-data (not downloaded: 127.0.0.1 is a loopback address, "
        "which the server never fetches from)"
    )
    assert expected in texts.body or expected in texts.sentence
    assert attachment_label(STORED) == "photo.jpg"
    assert attachment_label({"filename": "x.pdf", "fetch": "failed"}).startswith(
        "x.pdf (not downloaded: "
    )
