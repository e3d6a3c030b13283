"""Routing at ingest, in process on SQLite and PostgreSQL: rules assign Available agents with
the right skills (round-robin and least-load), never an agent who is away, set priority and
tags, escalate, auto-reply once and never to a machine, and record every action."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.domain.enums import Channel, ConversationStatus, IdentityKind, Role
from csdesk.domain.routing import AUTO_REPLY_KIND
from csdesk.server.channels.inbound import Handle, InboundMessage
from csdesk.server.channels.ingest import IngestResult, ingest_message
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.server.channels.support import new_sid, state_for


@pytest.fixture
def state(db_url: str, tmp_path: Path) -> Iterator[ServerState]:
    st = state_for(db_url, tmp_path)
    try:
        yield st
    finally:
        st.engine.dispose()


def team(state: ServerState, name: str) -> str:
    with state.writes() as s:
        t = m.Team(id=str(uuid.uuid4()), name=name)
        s.add(t)
        s.commit()
        return t.id


def agent(
    state: ServerState,
    name: str,
    status: str = "available",
    team_id: str | None = None,
    languages: list[str] | None = None,
    role: Role = Role.AGENT,
) -> str:
    with state.writes() as s:
        u = m.User(
            id=str(uuid.uuid4()), username=name, display_name=name, role=role.value, team_id=team_id
        )
        s.add(u)
        s.flush()
        s.add(m.AgentStatusRow(id=u.id, status=status, chosen=status, online=True))
        if languages is not None:
            s.add(m.AgentSkills(id=u.id, languages=languages, channels=[]))
        s.commit()
        return u.id


def add_rule(
    state: ServerState,
    name: str,
    conditions: dict[str, Any],
    actions: dict[str, Any],
    position: int = 1,
    stop: bool = False,
) -> str:
    with state.writes() as s:
        r = m.RoutingRule(
            id=str(uuid.uuid4()),
            name=name,
            position=position,
            stop=stop,
            conditions=conditions,
            actions=actions,
        )
        s.add(r)
        s.commit()
        return r.id


def inbound(
    state: ServerState,
    text: str = "hello",
    phone: str | None = None,
    channel: Channel = Channel.SMS,
    **extra: Any,
) -> IngestResult:
    msg = InboundMessage(
        channel=channel,
        provider_message_id=new_sid("p-"),
        sender_handle=Handle(
            IdentityKind.PHONE, phone or f"+1415555{uuid.uuid4().int % 10000:04d}"
        ),
        sender_name=None,
        text=text,
        sent_at=datetime.now(UTC),
        **extra,
    )
    with state.writes() as s:
        result = ingest_message(s, msg)
        s.commit()
        return result


def conv(state: ServerState, cid: str) -> m.Conversation:
    with state.reads() as s:
        c = s.get(m.Conversation, cid)
        assert c is not None
        return c


def audit_actions(state: ServerState, cid: str) -> list[str]:
    with state.reads() as s:
        A = m.AuditEntry
        return [
            a.action
            for a in s.scalars(select(A).where(A.entity_id == cid).order_by(A.id))
            if a.action.startswith("routing.")
        ]


def notes(state: ServerState, cid: str) -> list[str]:
    with state.reads() as s:
        M = m.Message
        return list(
            s.scalars(select(M.body_text).where(M.conversation_id == cid, M.is_note.is_(True)))
        )


def test_round_robin_takes_turns_and_skips_agents_who_are_not_available(
    state: ServerState,
) -> None:
    sales = team(state, "Sales")
    a = agent(state, "a", team_id=sales)
    agent(state, "away", status="away", team_id=sales)
    c = agent(state, "c", team_id=sales)
    agent(state, "elsewhere")  # available, another team
    add_rule(state, "Sales by turns", {}, {"team_id": sales, "assign": "round_robin"})
    got = [conv(state, inbound(state).conversation_id).assignee_id for _ in range(4)]
    assert got == sorted([a, c]) + sorted([a, c])
    cid = inbound(state).conversation_id
    assert conv(state, cid).team_id == sales
    assert audit_actions(state, cid) == ["routing.team", "routing.assign"]
    (note,) = notes(state, cid)
    assert "Sales by turns" in note and "round robin" in note
    # Issue 13: a line per step as template and params, for the agent's language.
    with state.reads() as s:
        M = m.Message
        (phrases,) = s.scalars(
            select(M.body_phrases).where(M.conversation_id == cid, M.is_note.is_(True))
        )
    assert [p["template"] for p in phrases] == [
        "Rule “{rule}” put it in the team {team}.",
        "Rule “{rule}” assigned it to {name} (round robin).",
    ]
    assert phrases[0]["params"]["rule"] == "Sales by turns" and phrases[1]["params"]["name"]


def test_least_load_picks_the_agent_with_fewest_open_conversations(state: ServerState) -> None:
    busy = agent(state, "busy")
    free = agent(state, "free")
    agent(state, "on-break", status="on_break")
    add_rule(state, "Least load", {}, {"assign": "least_load"})
    first = inbound(state).conversation_id
    assert conv(state, first).assignee_id in (busy, free)
    # Give "busy" two open conversations: the next ones go to "free" until it catches up.
    with state.writes() as s:
        for cid in (first, inbound(state).conversation_id):
            s.get(m.Conversation, cid).assignee_id = busy  # type: ignore[union-attr]
        s.commit()
    assert conv(state, inbound(state).conversation_id).assignee_id == free
    assert conv(state, inbound(state).conversation_id).assignee_id == free


def test_nobody_available_leaves_it_unassigned_in_the_teams_queue(state: ServerState) -> None:
    vip = team(state, "VIP")
    agent(state, "away", status="away", team_id=vip)
    agent(state, "offline", status="offline", team_id=vip)
    add_rule(state, "VIP", {}, {"team_id": vip, "assign": "round_robin"})
    cid = inbound(state).conversation_id
    c = conv(state, cid)
    assert c.team_id == vip and c.assignee_id is None
    assert audit_actions(state, cid) == ["routing.team", "routing.unassigned"]


def test_language_skill_and_keyword_priority_and_stop(state: ServerState) -> None:
    en = agent(state, "en-agent", languages=["en"])
    de = agent(state, "de-agent", languages=["de"])
    with state.writes() as s:
        # The customer is known to write German (new conversations take their language).
        cust = m.Customer(id=str(uuid.uuid4()), name="Kunde", language="de")
        s.add(cust)
        s.add(
            m.CustomerIdentity(
                id=str(uuid.uuid4()),
                customer_id=cust.id,
                kind=IdentityKind.PHONE.value,
                value="+4930555000",
                verified=True,
            )
        )
        s.commit()
    add_rule(state, "German", {"languages": ["de"]}, {"assign": "round_robin"}, position=1)
    add_rule(
        state,
        "Refunds",
        {"keywords": ["refund"]},
        {"priority": "high", "add_tags": ["refund"]},
        position=2,
        stop=True,
    )
    add_rule(state, "Never", {}, {"add_tags": ["after-stop"]}, position=3)
    cid = inbound(state, "I want a Refund.", phone="+4930555000").conversation_id
    c = conv(state, cid)
    assert c.language == "de" and c.assignee_id == de and c.assignee_id != en
    assert c.priority == "high" and c.tags == ["refund"]
    assert audit_actions(state, cid) == ["routing.assign", "routing.priority", "routing.tags"]


def test_escalation_action_uses_the_escalation_team(state: ServerState) -> None:
    esc = team(state, "Escalations")
    add_rule(state, "Angry", {"keywords": ["lawyer"]}, {"escalate": True})
    cid = inbound(state, "My lawyer will call").conversation_id
    assert conv(state, cid).team_id == esc
    assert audit_actions(state, cid) == ["routing.escalate"]
    other = inbound(state, "hello").conversation_id
    assert conv(state, other).team_id is None and audit_actions(state, other) == []


def test_auto_reply_once_per_conversation_and_never_to_a_machine(state: ServerState) -> None:
    add_rule(state, "Thanks", {}, {"auto_reply": "We got your message."})
    phone = "+14155550999"
    first = inbound(state, "hi", phone=phone)
    assert first.conversation_created
    with state.writes() as s:  # resolved, then the customer writes again: the rules run again
        c = s.get(m.Conversation, first.conversation_id)
        assert c is not None
        c.status, c.resolved_at = ConversationStatus.RESOLVED.value, datetime.now(UTC)
        s.commit()
    again = inbound(state, "me again", phone=phone)
    assert again.conversation_id == first.conversation_id and again.woke
    # A machine's message in the same conversation triggers nothing.
    inbound(state, "Out of office", phone=phone, is_auto=True, auto_kind="auto_reply")
    with state.reads() as s:
        M = m.Message
        replies = list(
            s.scalars(
                select(M).where(
                    M.conversation_id == first.conversation_id, M.auto_kind == AUTO_REPLY_KIND
                )
            )
        )
    assert len(replies) == 1
    assert replies[0].body_text == "We got your message." and replies[0].delivery_status == "queued"
    assert audit_actions(state, first.conversation_id) == ["routing.auto_reply"]


def test_rules_do_not_run_on_a_message_to_an_open_conversation(state: ServerState) -> None:
    add_rule(state, "Tag", {}, {"add_tags": ["routed"]})
    phone = "+14155550888"
    first = inbound(state, "one", phone=phone)
    with state.writes() as s:
        c = s.get(m.Conversation, first.conversation_id)
        assert c is not None
        c.tags = []
        s.commit()
    second = inbound(state, "two", phone=phone)
    assert second.conversation_id == first.conversation_id and not second.woke
    assert conv(state, first.conversation_id).tags == []


def test_a_disabled_or_deleted_rule_does_nothing(state: ServerState) -> None:
    rid = add_rule(state, "Off", {}, {"add_tags": ["x"]})
    with state.writes() as s:
        r = s.get(m.RoutingRule, rid)
        assert r is not None
        r.enabled = False
        s.commit()
    assert conv(state, inbound(state).conversation_id).tags == []


def test_the_demo_simulator_routes_its_new_conversations(
    db_url: str, state: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csdesk.server import simulator
    from tests.helpers.data import make_conversations

    monkeypatch.setattr(simulator, "NEW_SHARE", 1.0)
    (made,) = make_conversations(db_url, 1)
    de = agent(state, "de-speaker", languages=["de"])
    agent(state, "en-speaker", languages=["en"])
    with state.writes() as s:
        s.get_one(m.Customer, made.customer_id).language = "de"
        s.commit()
    add_rule(state, "German", {"languages": ["de"]}, {"assign": "least_load"})
    with state.writes() as s:
        tick = simulator.Simulation(9).step(s, datetime.now(UTC))
        s.commit()
    assert tick is not None and tick.kind == "new"
    c = conv(state, tick.conversation_id)
    assert c.assignee_id == de and c.message_count == 2  # the customer's message and the note
    assert audit_actions(state, c.id) == ["routing.assign"]
