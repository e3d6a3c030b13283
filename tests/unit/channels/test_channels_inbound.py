"""Invariants of the shared shapes and of outbound request objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from csdesk.domain.enums import Channel, DeliveryStatus
from csdesk.server.channels.inbound import InboundMessage, StatusUpdate
from csdesk.server.channels.outbound import OutboundRequest, http_failure

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_inbound_message_requires_utc() -> None:
    with pytest.raises(ValueError, match="UTC"):
        InboundMessage(Channel.SMS, "SM1", None, None, "hi", datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="UTC"):
        InboundMessage(
            Channel.SMS,
            "SM1",
            None,
            None,
            "hi",
            datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=2))),
        )
    msg = InboundMessage(Channel.SMS, "SM1", None, None, "hi", NOW)
    with pytest.raises(AttributeError):
        msg.text = "changed"  # type: ignore[misc]


def test_status_update_needs_an_id_or_watermark() -> None:
    with pytest.raises(ValueError, match="watermark"):
        StatusUpdate(Channel.MESSENGER, "", DeliveryStatus.READ, NOW)
    ok = StatusUpdate(Channel.MESSENGER, "", DeliveryStatus.READ, NOW, watermark=NOW)
    assert ok.watermark == NOW


def test_outbound_request_repr_redacts_credentials() -> None:
    req = OutboundRequest(
        "POST",
        "https://api.telegram.org/bot123:SECRET/sendMessage",
        (("Authorization", "Bearer SECRET"), ("Content-Type", "x")),
        b"{}",
    )
    text = repr(req)
    assert "SECRET" not in text
    assert "/bot<redacted>/sendMessage" in text
    assert req.header("authorization") == "Bearer SECRET"
    assert req.header("missing") is None


def test_http_failure_is_retryable_only_for_server_side_errors() -> None:
    assert http_failure(503, b"down").retryable
    assert http_failure(429, b"slow").retryable
    assert not http_failure(404, "<html>").retryable
