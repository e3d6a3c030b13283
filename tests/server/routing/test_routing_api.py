"""Routing over a live server on SQLite and PostgreSQL: supervisors and admins save, move and
delete rules and set skills through push (agents and trainees refused); the rules reach every
desk through the change feed; the dry run counts recent conversations; bad input is a clear
rejection, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

from csdesk.domain.enums import Channel
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _rule(rule_id: str, name: str, **kw: Any) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "name": name,
        "conditions": kw.pop("conditions", {}),
        "actions": kw.pop("actions", {"priority": "high"}),
        **kw,
    }


def _rules(client: Raw) -> dict[str, dict[str, Any]]:
    changes, _ = client.pull_all()
    return {c["id"]: c["data"] for c in changes if c["entity"] == Entity.ROUTING_RULE}


def test_only_supervisors_and_admins_edit_rules_and_skills(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    for who in ("ann", "tia"):
        client = Raw.signed_in(live, shared_users[who])
        (res,) = client.push((MutationType.ROUTING_RULE_SAVE, _rule(str(uuid.uuid4()), "x")))
        assert res["status"] == "rejected" and res["reason"]["code"] == "forbidden"
        (res,) = client.push(
            (
                MutationType.AGENT_SKILLS_SET,
                {"user_id": shared_users["ann"].id, "languages": ["de"]},
            )
        )
        assert res["reason"]["code"] == "forbidden"
        r = client.post("/api/v1/routing/dry-run", json={"conditions": {}})
        assert r.status_code == 403
    sue = Raw.signed_in(live, shared_users["sue"])
    (res,) = sue.push(
        (
            MutationType.AGENT_SKILLS_SET,
            {"user_id": shared_users["ann"].id, "languages": ["de", "EN"], "channels": ["chat"]},
        )
    )
    assert res["status"] == "applied", res
    changes, _ = Raw.signed_in(live, shared_users["ann"]).pull_all()
    skills = {c["id"]: c["data"] for c in changes if c["entity"] == Entity.AGENT_SKILLS}
    assert skills[shared_users["ann"].id]["languages"] == ["de", "en"]
    assert skills[shared_users["ann"].id]["channels"] == ["chat"]


def test_save_move_delete_and_the_feed(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    adm = Raw.signed_in(live, shared_users["adm"])
    ids = [str(uuid.uuid4()) for _ in range(3)]
    results = adm.push(
        *[(MutationType.ROUTING_RULE_SAVE, _rule(i, f"rule {n}")) for n, i in enumerate(ids)]
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    (res,) = adm.push((MutationType.ROUTING_RULE_MOVE, {"rule_id": ids[2], "direction": "up"}))
    assert res["status"] == "applied"
    seen = _rules(Raw.signed_in(live, shared_users["bob"]))  # an agent's desk gets them too
    order = sorted((seen[i]["position"], i) for i in ids)
    assert [i for _, i in order] == [ids[0], ids[2], ids[1]]
    (res,) = adm.push(
        (
            MutationType.ROUTING_RULE_SAVE,
            _rule(
                ids[0],
                "German to German speakers",
                conditions={"languages": ["de"], "keywords": ["Rückgabe"]},
                actions={"assign": "round_robin"},
                stop=True,
            ),
        )
    )
    assert res["status"] == "applied"
    (res,) = adm.push((MutationType.ROUTING_RULE_DELETE, {"rule_id": ids[1]}))
    assert res["status"] == "applied"
    seen = _rules(adm)
    assert seen[ids[0]]["name"] == "German to German speakers" and seen[ids[0]]["stop"] is True
    assert seen[ids[0]]["conditions"] == {"languages": ["de"], "keywords": ["Rückgabe"]}
    assert seen[ids[1]] is None  # a deleted rule leaves every desk (a deleted change)
    (res,) = adm.push((MutationType.ROUTING_RULE_MOVE, {"rule_id": ids[1], "direction": "up"}))
    assert res["reason"]["code"] == "not_found"


def test_bad_rules_are_rejected_clearly(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    sue = Raw.signed_in(live, shared_users["sue"])
    bad = [
        _rule(str(uuid.uuid4()), "no action", actions={}),
        _rule(str(uuid.uuid4()), "team", actions={"team_id": str(uuid.uuid4())}),
        _rule(str(uuid.uuid4()), "lang", conditions={"languages": ["not a language"]}),
        _rule(
            str(uuid.uuid4()),
            "zone",
            conditions={"hours": {"start": "09:00", "end": "17:00", "timezone": "Mars/Base"}},
        ),
        _rule(str(uuid.uuid4()), "time", conditions={"hours": {"start": "25:00", "end": "17:00"}}),
        _rule(str(uuid.uuid4()), "ctl", conditions={"keywords": ["a\x07b"]}),
        _rule(str(uuid.uuid4()), "x" * 500),
        _rule(str(uuid.uuid4()), "cents", conditions={"min_order_cents": 10**30}),
    ]
    results = sue.push(*[(MutationType.ROUTING_RULE_SAVE, b) for b in bad])
    assert [r["status"] for r in results] == ["rejected"] * len(bad)
    assert {r["reason"]["code"] for r in results} <= {"invalid", "not_found"}
    r = sue.post("/api/v1/routing/dry-run", json={"conditions": {"keywords": ["a\u0000"]}})
    assert r.status_code == 422
    r = sue.post("/api/v1/routing/dry-run", json={"conditions": {}, "limit": 10**9})
    assert r.status_code == 422


def test_dry_run_counts_recent_conversations(
    backend: str, live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    engine = make_engine(backend)
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as s:
            before = s.query(m.Conversation).count()
        make_conversations(backend, 20, channel=Channel.EMAIL)
        make_conversations(backend, 10, channel=Channel.CHAT)
        with Session(engine) as s:
            total = s.query(m.Conversation).count()
            emails = s.query(m.Conversation).filter(m.Conversation.channel == "email").count()
    finally:
        engine.dispose()
    assert total >= before + 30
    sue = Raw.signed_in(live, shared_users["sue"])
    r = sue.post("/api/v1/routing/dry-run", json={"conditions": {}, "limit": 500})
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == r.json()["considered"] == min(total, 500)
    r = sue.post("/api/v1/routing/dry-run", json={"conditions": {"channels": ["email"]}})
    assert r.json()["matched"] == emails
    r = sue.post("/api/v1/routing/dry-run", json={"conditions": {}, "limit": 5})
    assert r.json() == {"matched": 5, "considered": 5, "limit": 5}


def test_demo_has_rules_and_skills(db_url: str) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from csdesk.server.demo import seed_demo

    engine = make_engine(db_url)
    try:
        seed_demo(engine, seed=7)
        with Session(engine) as s:
            rules = list(s.scalars(select(m.RoutingRule).order_by(m.RoutingRule.position)))
            skills = {
                u: sk.languages
                for u, sk in s.execute(
                    select(m.User.username, m.AgentSkills).join(
                        m.AgentSkills, m.AgentSkills.id == m.User.id
                    )
                )
            }
            vip = s.scalar(select(m.Team.id).where(m.Team.name == "VIP"))
    finally:
        engine.dispose()
    names = [r.name for r in rules]
    assert names[:3] == [
        "German to German speakers",
        "Refunds are high priority",
        "VIP customers to the VIP team",
    ]
    assert rules[2].actions["team_id"] == vip and rules[2].stop
    assert "de" in skills["priya"] and "de" not in skills["demo"]
