"""The SLA policy and team hours against a live server, on SQLite and PostgreSQL: read by
everyone, written by supervisors and admins only (PUT and push), validated, synced, and used
by ingest for new conversations' due times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csdesk.domain.sla_policy import default_policy
from csdesk.protocol import Entity, MutationType
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.sla import store
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.data import new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _team(db_url: str, name: str) -> str:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            team = m.Team(id=new_id(), name=name)
            s.add(team)
            s.commit()
            return team.id
    finally:
        state.engine.dispose()


def _synced(client: Raw, entity: Entity) -> dict[str, dict[str, Any]]:
    changes, _ = client.pull_all()
    return {c["id"]: c["data"] for c in changes if c["entity"] == entity and c["data"]}


def test_everyone_reads_the_defaults_only_leads_write(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    sue = Raw.signed_in(live, shared_users["sue"])
    r = ann.get("/api/v1/sla/policy")
    assert r.status_code == 200, r.text
    policy = r.json()["policy"]
    assert policy["first_response"] == default_policy().to_json()["first_response"]
    policy["first_response"]["email"]["normal"] = 3 * 3600
    assert ann.request("PUT", "/api/v1/sla/policy", json={"policy": policy}).status_code == 403
    r = sue.request("PUT", "/api/v1/sla/policy", json={"policy": policy})
    assert r.status_code == 200, r.text
    assert r.json()["policy"]["first_response"]["email"]["normal"] == 3 * 3600
    assert r.json()["updated_by_id"] == shared_users["sue"].id
    # every desk gets it through the feed
    assert (
        _synced(ann, Entity.SLA_POLICY)["default"]["policy"]["first_response"]["email"]["normal"]
        == 3 * 3600
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"first_response": {"email": {"normal": 0}}},
        {"first_response": {"email": {"normal": 10**9}}},
        {"resolution": {"urgent": "soon"}},
        {"escalation": {"warn_fraction": 7}},
        {"first_response": {"email\x00": {}}},
    ],
)
def test_bad_policies_are_refused_with_a_reason(
    live: ServerProcess, shared_users: dict[str, TestUser], bad: dict[str, Any]
) -> None:
    sue = Raw.signed_in(live, shared_users["sue"])
    before = sue.get("/api/v1/sla/policy").json()["policy"]
    r = sue.request("PUT", "/api/v1/sla/policy", json={"policy": bad})
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]["message"]
    assert sue.get("/api/v1/sla/policy").json()["policy"] == before


def test_policy_through_the_outbox_push(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    adm = Raw.signed_in(live, shared_users["adm"])
    policy = default_policy().to_json()
    policy["escalation"] = {"warn_fraction": 0.5, "warn_minutes": 5, "raise_priority": True}
    [no] = ann.push((MutationType.SLA_POLICY_SAVE, {"policy": policy}))
    assert no["status"] == "rejected" and no["reason"]["code"] == "forbidden"
    [bad] = adm.push((MutationType.SLA_POLICY_SAVE, {"policy": {"resolution": {"low": -1}}}))
    assert bad["status"] == "rejected" and bad["reason"]["code"] == "invalid"
    [ok] = adm.push((MutationType.SLA_POLICY_SAVE, {"policy": policy}))
    assert ok["status"] == "applied", ok
    got = ann.get("/api/v1/sla/policy").json()["policy"]["escalation"]
    assert got == {
        "warn_fraction": 0.5,
        "warn_minutes": 5,
        "raise_priority": True,
        "move_to_queue": False,
    }


def test_team_hours_written_by_leads_and_synced(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    team_id = _team(backend, "Hours " + new_id()[:8])
    ann = Raw.signed_in(live, shared_users["ann"])
    sue = Raw.signed_in(live, shared_users["sue"])
    body = {"hours": "Mon-Fri 09:00-17:00", "timezone": "Europe/Paris", "holidays": ["2026-12-25"]}
    assert ann.request("PUT", f"/api/v1/sla/hours/{team_id}", json=body).status_code == 403
    r = sue.request("PUT", f"/api/v1/sla/hours/{team_id}", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"team_id": team_id, **body}
    assert _synced(ann, Entity.TEAM_HOURS)[team_id]["timezone"] == "Europe/Paris"
    assert sue.request("PUT", "/api/v1/sla/hours/nope", json=body).status_code == 404
    for wrong in (
        {**body, "timezone": "Mars/Olympus"},
        {**body, "hours": "weekdays 9 to 5"},
        {**body, "holidays": ["2026-13-40"]},
        {**body, "hours": "x" * 600},
    ):
        r = sue.request("PUT", f"/api/v1/sla/hours/{team_id}", json=wrong)
        assert r.status_code in (400, 422), (wrong, r.text)
    listed = {t["team_id"]: t for t in ann.get("/api/v1/sla/hours").json()["teams"]}
    assert listed[team_id]["hours"] == "Mon-Fri 09:00-17:00"
    [pushed] = sue.push(
        (MutationType.SLA_HOURS_SAVE, {"team_id": team_id, "hours": "Sat 10:00-12:00"})
    )
    assert pushed["status"] == "applied", pushed
    assert _synced(ann, Entity.TEAM_HOURS)[team_id]["hours"] == "Sat 10:00-12:00"


def test_stored_policy_and_shop_hours_give_due_times(db_url: str) -> None:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        from csdesk.storage.migrate import upgrade

        upgrade(state.engine)
        start = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # a Monday
        with state.writes() as s:
            ensure_counter(s)
            assert store.due_times(s, "email", "normal", start) == (
                start + timedelta(hours=8),
                start + timedelta(days=2),
            )
            policy = default_policy().to_json()
            policy["first_response"]["email"]["normal"] = 7200
            from csdesk.domain.sla_policy import SlaPolicy

            store.save_policy(s, SlaPolicy.from_json(policy), None)
            store.save_hours(s, store.SHOP_HOURS_ID, "Mon-Fri 09:00-17:00", "UTC", [])
            s.commit()
        with state.writes() as s:
            first, _res = store.due_times(s, "email", "normal", start)
        # one business hour on Monday, the second on Tuesday morning
        assert first == datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
    finally:
        state.engine.dispose()


def test_demo_seeds_policy_hours_and_escalation_team(db_url: str) -> None:
    from sqlalchemy import select

    from csdesk.server.demo.load import seed_demo
    from csdesk.storage.db import make_engine

    engine = make_engine(db_url)
    try:
        seed_demo(engine, customers=5, conversations=12, messages=40)
        from sqlalchemy.orm import Session

        with Session(engine) as s:
            assert s.get(m.SlaPolicyRow, store.POLICY_ID) is not None
            assert store.load_policy(s).escalation.raise_priority is True
            names = dict(s.execute(select(m.Team.id, m.Team.name)).all())
            hours = {names.get(h.id, h.id): h.hours for h in s.scalars(select(m.TeamHours))}
            assert hours["Returns"] == "Mon-Fri 09:00-17:30"
            assert store.SHOP_HOURS_ID in hours
            assert "Escalations" in names.values()
    finally:
        engine.dispose()


def test_priority_and_team_changes_move_the_running_clocks(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    """A running clock follows a new priority's targets and a new team's business hours; a
    stopped one (first response given) keeps its due time."""
    from tests.helpers.data import make_conversations

    [made] = make_conversations(backend)
    team_id = _team(backend, "Weekend " + new_id()[:8])
    state = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        with state.writes() as s:
            store.save_hours(s, team_id, "Sat 10:00-12:00", "UTC", [])
            s.commit()

        def clocks() -> tuple[m.Conversation, tuple[datetime, datetime]]:
            with state.writes() as s:
                conv = s.get(m.Conversation, made.conversation_id)
                assert conv is not None
                want = store.due_times(
                    s, conv.channel, conv.priority, conv.created_at, conv.team_id
                )
                s.expunge(conv)
                return conv, want

        sue = Raw.signed_in(live, shared_users["sue"])
        [ok] = sue.push(
            (
                MutationType.CONVERSATION_PRIORITY,
                {"conversation_id": made.conversation_id, "priority": "urgent"},
            )
        )
        assert ok["status"] == "applied", ok
        conv, want = clocks()
        assert conv.priority == "urgent"
        assert (conv.first_response_due_at, conv.resolution_due_at) == want
        urgent_resolution = conv.resolution_due_at

        [ok] = sue.push(
            (
                MutationType.CONVERSATION_ASSIGN,
                {"conversation_id": made.conversation_id, "team_id": team_id},
            )
        )
        assert ok["status"] == "applied", ok
        conv, want = clocks()
        assert (conv.first_response_due_at, conv.resolution_due_at) == want
        # two business hours a week push the resolution far beyond the 24/7 due time
        assert conv.resolution_due_at is not None and urgent_resolution is not None
        assert conv.resolution_due_at > urgent_resolution + timedelta(days=2)

        answered = datetime.now(UTC)
        with state.writes() as s:
            row = s.get(m.Conversation, made.conversation_id)
            assert row is not None
            row.first_response_at = answered
            s.commit()
        stopped = conv.first_response_due_at
        [ok] = sue.push(
            (
                MutationType.CONVERSATION_PRIORITY,
                {"conversation_id": made.conversation_id, "priority": "low"},
            )
        )
        assert ok["status"] == "applied", ok
        conv, want = clocks()
        assert conv.first_response_due_at == stopped  # the stopped clock stays
        assert conv.resolution_due_at == want[1]
    finally:
        state.engine.dispose()


def test_a_clock_overdue_only_under_the_new_priority_is_due_now(tmp_path: Any) -> None:
    """Raising an old conversation's priority must not put its due time days in the past,
    where the escalation scan (one hour back) would never see it."""
    from sqlalchemy.orm import Session

    from csdesk.storage.db import make_engine
    from csdesk.storage.migrate import upgrade
    from csdesk.storage.types import utcnow

    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'clock.db'}")
    try:
        upgrade(engine)
        with Session(engine) as s:
            created = utcnow() - timedelta(days=2)
            conv = m.Conversation(
                id=new_id(),
                realm="production",
                customer_id=new_id(),
                channel="email",
                subject="Old question",
                status="open",
                priority="low",
                created_at=created,
                first_response_due_at=utcnow() + timedelta(hours=5),  # on time
                resolution_due_at=utcnow() - timedelta(hours=3),  # already overdue
            )
            before = utcnow()
            conv.priority = "urgent"
            store.follow_changes(s, conv)
            after = utcnow()
            assert conv.first_response_due_at is not None
            assert before <= conv.first_response_due_at <= after  # due now, not 2 days ago
            _first, resolution = store.due_times(s, "email", "urgent", created)
            assert conv.resolution_due_at == resolution  # was overdue already: stays in the past
    finally:
        engine.dispose()
