"""Every KPI figure against the hand-computed fixture, over HTTP, on SQLite and PostgreSQL;
who sees what; the drill-down and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.kpis import fixture as F

KPIS = "/api/v1/kpis"


@pytest.fixture(scope="module")
def fx(live: ServerProcess, shared_users: dict[str, TestUser]) -> Iterator[F.Fixture]:
    ids = {name: str(u.id) for name, u in shared_users.items()}
    yield F.build(live.db_url, ids)


def get(server: ServerProcess, user: TestUser, path: str = KPIS, **params: Any) -> Any:
    r = Raw.signed_in(server, user).get(path, params={**F.PERIOD, **params})
    assert r.status_code == 200, r.text
    return r.json()


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("key", "label")}


def test_totals_match_the_hand_computed_figures(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    body = get(live, shared_users["adm"])
    assert body["scope"] == {"kind": "all", "team_id": None}
    assert body["period"]["from"] == "2026-11-02T00:00:00+00:00"
    assert body["period"]["to"] == "2026-11-05T00:00:00+00:00"
    assert body["period"]["days"] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert body["total"] == F.TOTAL
    assert figures(body["rows"][0]) == F.TOTAL


def test_per_agent_rows(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    body = get(live, shared_users["adm"], group="agent")
    rows = {r["key"]: r for r in body["rows"]}
    assert figures(rows[shared_users["ann"].id]) == F.ANN
    assert figures(rows[shared_users["bob"].id]) == F.BOB
    assert rows[shared_users["bob"].id]["label"] == "=bob()"
    unassigned = rows[None]
    assert unassigned["label"] == "Unassigned"
    assert (unassigned["contacts"], unassigned["backlog"]) == (1, 1)  # c4
    assert (unassigned["sla_first_response_met"], unassigned["sla_first_response_total"]) == (0, 1)
    assert set(rows) == {shared_users["ann"].id, shared_users["bob"].id, None}
    assert body["total"] == F.TOTAL


def test_per_channel_team_and_queue(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    channels = {r["key"]: r for r in get(live, shared_users["adm"], group="channel")["rows"]}
    assert {k: r["contacts"] for k, r in channels.items()} == {
        "chat": 1,
        "email": 4,  # c1 c3 c6 c10 (c11 is before the period, but resolved in it)
        "phone": 1,
        "sms": 1,
    }
    assert channels["email"]["resolved"] == 3  # c1 c6 c11
    assert channels["phone"]["call_handle_avg_seconds"] == 420.0
    teams = {r["label"]: r for r in get(live, shared_users["adm"], group="team")["rows"]}
    assert teams["Team A"]["contacts"] == 5 and teams["Team B"]["contacts"] == 2
    assert teams["Team B"]["reopened"] == 1
    queues = {r["label"]: r for r in get(live, shared_users["adm"], group="queue")["rows"]}
    assert queues["Team A · email"]["contacts"] == 2  # c1 c10
    assert queues["Team B · email"]["contacts"] == 2  # c3 c6
    assert queues["Team A · sms"]["backlog"] == 1
    by_channel = get(live, shared_users["adm"], channel="email")["total"]
    assert by_channel["contacts"] == 4 and by_channel["first_response_count"] == 3


def test_daily_series_and_first_response_distribution(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    body = get(live, shared_users["adm"])
    series = body["series"]
    assert [d["day"] for d in series] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert [d["contacts"] for d in series] == [3, 3, 1]
    assert [d["resolved"] for d in series] == [3, 2, 0]  # c1 c2 c11 | c5 c6
    assert [d["first_response_count"] for d in series] == [3, 2, 0]
    assert series[0]["first_response_avg_seconds"] == 12640.0  # (1800 + 120 + 36000) / 3
    assert [d["nps_count"] for d in series] == [1, 1, 1]
    assert all(d["backlog"] is None for d in series)
    histogram = {b["label"]: b["count"] for b in body["first_response_histogram"]}
    assert histogram == {
        "under 1 min": 1,  # 30
        "1–5 min": 1,  # 120
        "5–15 min": 0,
        "15–30 min": 1,  # 1200
        "30–60 min": 1,  # 1800
        "1–4 h": 0,
        "4–8 h": 0,
        "8–24 h": 1,  # 36000
        "24 h or more": 0,
    }


def test_an_agent_sees_only_their_own_numbers(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    ann = get(live, shared_users["ann"], group="agent")
    assert ann["scope"]["kind"] == "own"
    assert [r["key"] for r in ann["rows"]] == [shared_users["ann"].id]
    assert ann["total"] == F.ANN
    bob = get(live, shared_users["bob"])
    assert bob["total"] == F.BOB
    other = Raw.signed_in(live, shared_users["ann"]).get(
        KPIS, params={**F.PERIOD, "agent": shared_users["bob"].id}
    )
    assert other.status_code == 403, other.text
    drill = get(live, shared_users["ann"], f"{KPIS}/conversations", metric="contacts")
    assert set(drill["conversation_ids"]) == {fx.ids[c] for c in ("c1", "c2", "c5", "c10")}


def test_a_supervisor_sees_their_team(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    body = get(live, shared_users["sue"], group="agent")
    assert body["scope"] == {"kind": "team", "team_id": fx.teams["A"]}
    keys = {r["key"] for r in body["rows"]}
    assert keys == {shared_users["ann"].id, None}  # bob is in team B
    assert body["total"]["contacts"] == 5  # c1 c2 c4 c5 c10
    assert body["total"]["reopened"] == 0


def test_a_trainee_has_no_kpis(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    r = Raw.signed_in(live, shared_users["tia"]).get(KPIS, params=F.PERIOD)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert Raw(live.url).get(KPIS).status_code == 401


def test_drill_down_lists_the_conversations_behind_a_figure(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    adm = shared_users["adm"]
    path = f"{KPIS}/conversations"
    frt = get(live, adm, path, metric="first_response")
    assert frt["total"] == 5
    assert set(frt["conversation_ids"]) == {fx.ids[c] for c in ("c1", "c2", "c3", "c5", "c6")}
    first = get(live, adm, path, metric="first_response", page_size="2")
    last = get(live, adm, path, metric="first_response", page_size="2", page="3")
    assert len(first["conversation_ids"]) == 2 and len(last["conversation_ids"]) == 1
    assert first["conversation_ids"][0] == fx.ids["c6"]  # most recent first
    reopened = get(live, adm, path, metric="reopened", group="agent", key=shared_users["bob"].id)
    assert reopened["conversation_ids"] == [fx.ids["c6"]]
    unassigned = get(live, adm, path, metric="backlog", group="agent", key="")
    assert unassigned["conversation_ids"] == [fx.ids["c4"]]
    breached = get(live, adm, path, metric="sla_first_response_breached")
    assert set(breached["conversation_ids"]) == {fx.ids["c3"], fx.ids["c4"]}
    on_day = get(live, adm, path, metric="resolved", day="2026-11-03")
    assert set(on_day["conversation_ids"]) == {fx.ids["c5"], fx.ids["c6"]}
    fcr = get(live, adm, path, metric="fcr")
    assert set(fcr["conversation_ids"]) == {fx.ids[c] for c in ("c1", "c5", "c11")}


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def test_csv_export_is_injection_safe(
    live: ServerProcess, shared_users: dict[str, TestUser], fx: F.Fixture
) -> None:
    client = Raw.signed_in(live, shared_users["adm"])
    rows = _csv(client.get(KPIS, params={**F.PERIOD, "group": "agent", "format": "csv"}))
    header = rows[0]
    assert header[:4] == ["key", "label", "contacts", "created_resolved"]
    by_label = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert "'=bob()" in by_label and "=bob()" not in by_label
    assert by_label["'=bob()"]["first_response_avg_seconds"] == "18600.0"
    assert by_label["Total"]["contacts"] == "7"
    assert by_label["Total"]["nps"] == "33.3"
    accepted = _csv(
        client.get(KPIS, params={**F.PERIOD, "table": "series"}, headers={"Accept": "text/csv"})
    )
    assert [r[0] for r in accepted[1:]] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    histogram = _csv(client.get(KPIS, params={**F.PERIOD, "table": "histogram", "format": "csv"}))
    assert histogram[1] == ["under 1 min", "0", "60", "1"]
    ids = _csv(
        client.get(f"{KPIS}/conversations", params={**F.PERIOD, "metric": "fcr", "format": "csv"})
    )
    assert ids[0] == ["conversation_id"] and len(ids) == 4


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"period": "week"}, "period must be one of"),
        ({"period": "custom"}, "needs both from and to"),
        ({"period": "custom", "from": "2026-13-01", "to": "2026-12-01"}, "YYYY-MM-DD"),
        ({"period": "custom", "from": "2026-12-02", "to": "2026-12-01"}, "before from"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-12-01"}, "at most 366"),
        ({"period": "custom", "from": "99999999-01-01", "to": "2026-12-01"}, "YYYY-MM-DD"),
        ({"period": "7d", "from": "2026-12-01"}, "period=custom only"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"tz": "../../etc/passwd"}, "IANA"),
        ({"group": "planet"}, "group must be one of"),
        ({"channel": "fax"}, "channel must be one of"),
        ({"agent": "x" * 300}, "agent must be an id"),
        ({"format": "xml"}, "format must be json or csv"),
        ({"table": "pie"}, "table must be one of"),
    ],
)
def test_bad_parameters_are_a_400(
    live: ServerProcess, shared_users: dict[str, TestUser], params: dict[str, str], says: str
) -> None:
    r = Raw.signed_in(live, shared_users["adm"]).get(KPIS, params=params)
    assert r.status_code == 400, r.text
    assert says in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "metric must be one of"),
        ({"metric": "vibes"}, "metric must be one of"),
        ({"metric": "fcr", "page": "0"}, "page must be a whole number"),
        ({"metric": "fcr", "page": "1e9"}, "page must be a whole number"),
        ({"metric": "fcr", "page": "9" * 40}, "page must be a whole number"),
        ({"metric": "fcr", "page_size": "501"}, "page_size must be a whole number"),
        ({"metric": "fcr", "page": "-1"}, "page must be a whole number"),
        ({"metric": "fcr", "key": "x"}, "give group too"),
        ({"metric": "fcr", "group": "agent", "key": "\u2028"}, "printable"),
        ({"metric": "fcr", **F.PERIOD, "day": "2026-11-09"}, "period's days"),
        ({"metric": "fcr", "day": "yesterday"}, "YYYY-MM-DD"),
    ],
)
def test_bad_drill_down_parameters_are_a_400(
    live: ServerProcess, shared_users: dict[str, TestUser], params: dict[str, str], says: str
) -> None:
    r = Raw.signed_in(live, shared_users["adm"]).get(f"{KPIS}/conversations", params=params)
    assert r.status_code == 400, r.text
    assert says in r.json()["error"]["message"]


def test_definitions_cover_the_published_rates(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    r = Raw.signed_in(live, shared_users["ann"]).get(f"{KPIS}/definitions")
    assert r.status_code == 200
    assert {"first_response_avg_seconds", "fcr_rate", "nps", "ces_avg"} <= set(r.json())
