"""WhatsApp's 24-hour customer-service window and what may be sent outside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from csdesk.domain.whatsapp import (
    SERVICE_WINDOW,
    SendRefusal,
    ServiceWindow,
    TemplateStatus,
    send_refusal,
    window_state,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_window_is_24_hours() -> None:
    assert timedelta(hours=24) == SERVICE_WINDOW


def test_open_within_24_hours_of_last_inbound() -> None:
    assert window_state(NOW - HOUR, NOW) == ServiceWindow(True, NOW + 23 * HOUR)


@pytest.mark.parametrize(
    ("age", "is_open"),
    [
        (timedelta(0), True),
        (24 * HOUR - timedelta(seconds=1), True),
        (24 * HOUR, False),  # closes at exactly 24 h
        (24 * HOUR + timedelta(seconds=1), False),
        (-HOUR, True),  # a clock a little ahead of ours: still open
    ],
)
def test_boundaries(age: timedelta, is_open: bool) -> None:
    open_, closes_at = window_state(NOW - age, NOW)
    assert open_ is is_open
    assert closes_at == NOW - age + 24 * HOUR


def test_never_written_is_closed_without_closing_time() -> None:
    assert window_state(None, NOW) == ServiceWindow(False, None)


def test_zones_compare_by_instant() -> None:
    plus_five = timezone(timedelta(hours=5))
    last = datetime(2025, 3, 9, 17, 30, tzinfo=plus_five)  # 12:30 UTC the day before
    assert window_state(last, NOW).open is True
    assert window_state(last, NOW + HOUR).open is False


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window_state(datetime(2025, 3, 10, 11, 0), NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        window_state(NOW, datetime(2025, 3, 10, 12, 0))


def test_free_text_only_inside_the_window() -> None:
    assert send_refusal(NOW - HOUR, NOW) is None
    assert send_refusal(NOW - 25 * HOUR, NOW) is SendRefusal.WINDOW_CLOSED
    assert send_refusal(None, NOW) is SendRefusal.WINDOW_CLOSED


@pytest.mark.parametrize("last", [None, NOW - 25 * HOUR, NOW - HOUR])
def test_approved_template_is_allowed_anytime(last: datetime | None) -> None:
    assert send_refusal(last, NOW, template_status=TemplateStatus.APPROVED) is None
    assert send_refusal(last, NOW, template_status="approved") is None


@pytest.mark.parametrize(
    "status",
    [s for s in TemplateStatus if s is not TemplateStatus.APPROVED],
)
@pytest.mark.parametrize("last", [NOW - 25 * HOUR, NOW - HOUR])
def test_unapproved_template_is_never_allowed(status: TemplateStatus, last: datetime) -> None:
    assert send_refusal(last, NOW, template_status=status) is SendRefusal.TEMPLATE_NOT_APPROVED


def test_unknown_template_status_is_refused_loudly() -> None:
    with pytest.raises(ValueError):
        send_refusal(NOW, NOW, template_status="in_review")
