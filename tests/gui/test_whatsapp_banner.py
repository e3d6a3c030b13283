"""The composer's WhatsApp banner gives the day when the window closes on another day
(issue 9, item 31): "open until tomorrow 14:00", never a bare "14:00" about tomorrow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot

from csdesk.ui.panels import composer as composer_module
from csdesk.ui.panels.composer import Composer

NOW = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


@pytest.fixture
def utc_desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The desk's clock at NOW and its local time zone UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(composer_module, "utcnow", lambda: NOW)
    yield
    monkeypatch.undo()
    time.tzset()


def _banner(qtbot: QtBot, last_inbound: datetime) -> str:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.set_conversation("whatsapp", last_inbound_at=last_inbound)
    text: str = composer.notice.text()
    return text


def test_a_window_closing_tomorrow_says_tomorrow(qtbot: QtBot, utc_desk: None) -> None:
    # The customer wrote at 14:00 today: the window closes at 14:00 tomorrow.
    text = _banner(qtbot, NOW - timedelta(hours=2))
    assert text == "WhatsApp window open until tomorrow 14:00."


def test_a_window_closing_today_gives_the_time(qtbot: QtBot, utc_desk: None) -> None:
    text = _banner(qtbot, NOW - timedelta(hours=23))  # wrote yesterday 17:00
    assert text == "WhatsApp window open until 17:00."


def test_a_closed_window_says_templates_only(qtbot: QtBot, utc_desk: None) -> None:
    text = _banner(qtbot, NOW - timedelta(days=335))
    assert "closed" in text and "template" in text
