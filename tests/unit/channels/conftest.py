"""Shared helpers for the channel tests: the email corpus lives next to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csdesk.server.channels.email_parse import parse_email
from csdesk.server.channels.inbound import InboundMessage

CORPUS = Path(__file__).parent / "corpus"
RECEIVED = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)
LIMIT = 1024  # small on purpose: the corpus has a 4 KiB attachment that must be refused


@pytest.fixture
def eml() -> Callable[[str], InboundMessage]:
    """Parse a corpus message with a fixed receive time and a 1 KiB attachment limit."""

    def load(name: str) -> InboundMessage:
        return parse_email(
            (CORPUS / name).read_bytes(), max_attachment_bytes=LIMIT, received_at=RECEIVED
        )

    return load
