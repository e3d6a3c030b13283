"""Chat opening hours: the spec operators write, read in their time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csdesk.server.chat.hours import parse

MONDAY_10_UTC = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


def test_no_spec_is_always_open() -> None:
    assert parse(None).is_open(MONDAY_10_UTC)
    assert parse("").is_open(MONDAY_10_UTC)


def test_windows_by_day_and_time() -> None:
    hours = parse("Mon-Fri 09:00-17:30; Sat 10:00-14:00")
    assert hours.is_open(MONDAY_10_UTC)
    assert not hours.is_open(MONDAY_10_UTC.replace(hour=8, minute=59))
    assert not hours.is_open(MONDAY_10_UTC.replace(hour=17, minute=30))
    assert hours.is_open(datetime(2026, 11, 28, 13, 59, tzinfo=UTC))  # Saturday
    assert not hours.is_open(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))  # Sunday


def test_time_zone_and_wrapping_day_ranges() -> None:
    hours = parse("Sat-Mon 09:00-10:00", "America/New_York")
    assert not hours.is_open(MONDAY_10_UTC)  # 05:00 in New York
    assert hours.is_open(MONDAY_10_UTC.replace(hour=14, minute=30))  # 09:30 in New York
    assert parse("Sun 00:00-24:00").is_open(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("spec", "zone"),
    [
        ("Mon 9-17", "UTC"),
        ("Funday 09:00-10:00", "UTC"),
        ("Mon 10:00-09:00", "UTC"),
        ("Mon 09:00-25:00", "UTC"),
        ("Mon 09:00-10:00", "Mars/Olympus"),
    ],
)
def test_bad_specs_say_why(spec: str, zone: str) -> None:
    with pytest.raises(ValueError):
        parse(spec, zone)
