"""A custom KPI period at the very ends of the calendar is a 400, never a 500."""

from __future__ import annotations

import pytest

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

KPIS = "/api/v1/kpis"


@pytest.mark.parametrize(
    ("start", "end", "tz"),
    [
        ("9999-12-31", "9999-12-31", "UTC"),
        ("0001-01-01", "0001-01-01", "Asia/Tokyo"),
        # In UTC year 1 has a midnight; the figures reach back a day before it (a re-review).
        ("0001-01-01", "0001-01-01", "UTC"),
        ("1970-01-01", "1970-01-01", "UTC"),
    ],
)
@pytest.mark.parametrize("path", [KPIS, f"{KPIS}/conversations"])
def test_dates_at_the_ends_of_the_calendar_are_a_400(
    live: ServerProcess,
    shared_users: dict[str, TestUser],
    start: str,
    end: str,
    tz: str,
    path: str,
) -> None:
    for fmt in ("json", "csv"):
        params = {"period": "custom", "from": start, "to": end, "tz": tz, "metric": "fcr"}
        r = Raw.signed_in(live, shared_users["adm"]).get(path, params={**params, "format": fmt})
        assert r.status_code == 400, r.text
        assert "out of range" in r.json()["error"]["message"]
