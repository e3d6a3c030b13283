"""The escalation scan on SQLite and PostgreSQL: about-to-breach and breached clocks notify the
assignee and the team's supervisors, raise the priority / move to the escalation team when the
policy says so, leave a note on the conversation, and happen once per level even with two
scanners at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from csdesk.domain.sla_policy import SlaPolicy, default_policy
from csdesk.server.config import ServerConfig
from csdesk.server.sla import store
from csdesk.server.sla.escalation import EscalationScanner
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.data import make_conversations, new_id
from tests.helpers.server import TestUser, add_users

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def state(db_url: str, users: dict[str, TestUser]) -> Iterator[ServerState]:
    add_users(db_url, list(users.values()))
    st = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        yield st
    finally:
        st.engine.dispose()


def _setup(
    state: ServerState,
    db_url: str,
    users: dict[str, TestUser],
    *,
    opened: timedelta,
    due: timedelta,
) -> tuple[str, str]:
    """A conversation of team Billing assigned to ann, opened ``opened`` ago and due ``due``
    from now; sue supervises Billing. Returns (conversation id, team id)."""
    [made] = make_conversations(db_url, 1)
    with state.writes() as s:
        team = m.Team(id=new_id(), name="Billing " + new_id()[:6])
        s.add(team)
        s.flush()
        for who in ("sue", "ann"):
            u = s.get(m.User, users[who].id)
            assert u is not None
            u.team_id = team.id
        conv = s.get(m.Conversation, made.conversation_id)
        assert conv is not None
        conv.team_id = team.id
        conv.assignee_id = users["ann"].id
        conv.created_at = NOW - opened
        conv.first_response_due_at = NOW + due
        conv.resolution_due_at = NOW + timedelta(days=2)
        s.commit()
        return conv.id, team.id


def _messages(state: ServerState, user_id: str) -> list[str]:
    with state.reads() as s:
        F = m.FloorMessage
        return list(s.scalars(select(F.body).where(F.to_user_id == user_id)))


def _notes(state: ServerState, conv_id: str) -> list[str]:
    with state.reads() as s:
        M = m.Message
        q = select(M.body_text).where(M.conversation_id == conv_id, M.auto_kind == "sla")
        return list(s.scalars(q))


def test_warning_then_breach_once_each(
    state: ServerState, db_url: str, users: dict[str, TestUser]
) -> None:
    conv_id, _team = _setup(
        state, db_url, users, opened=timedelta(minutes=50), due=timedelta(minutes=10)
    )
    scanner = EscalationScanner(state, interval=0)
    [warned] = scanner.run_once(NOW)  # 50 of 60 minutes gone: past 80 %
    assert (warned.clock, warned.level) == ("first_response", "warning")
    assert set(warned.notified) == {users["ann"].id, users["sue"].id}
    assert scanner.run_once(NOW + timedelta(minutes=1)) == []  # the same level: nothing new
    assert any("at risk" in b for b in _messages(state, users["ann"].id))
    assert _messages(state, users["bob"].id) == []  # not his conversation, not a supervisor
    [breached] = scanner.run_once(NOW + timedelta(minutes=11))
    assert breached.level == "breach"
    assert scanner.run_once(NOW + timedelta(minutes=30)) == []
    notes = _notes(state, conv_id)
    assert len(notes) == 2 and "breached" in notes[1]
    with state.reads() as s:
        conv = s.get(m.Conversation, conv_id)
        assert conv is not None and conv.priority == "normal"  # the policy did not ask to raise
        actions = list(
            s.scalars(select(m.AuditEntry.action).where(m.AuditEntry.entity_id == conv_id))
        )
        assert actions.count("sla.escalate") == 2


def test_breach_raises_priority_and_moves_to_escalation_team(
    state: ServerState, db_url: str, users: dict[str, TestUser]
) -> None:
    conv_id, team_id = _setup(
        state, db_url, users, opened=timedelta(hours=3), due=-timedelta(minutes=5)
    )
    with state.writes() as s:
        s.add(m.Team(id=new_id(), name="Escalations"))
        data = default_policy().to_json()
        data["escalation"] = {"raise_priority": True, "move_to_queue": True}
        store.save_policy(s, SlaPolicy.from_json(data), None)
        s.commit()
    [done] = EscalationScanner(state, interval=0).run_once(NOW)
    assert done.level == "breach"
    with state.reads() as s:
        conv = s.get(m.Conversation, conv_id)
        assert conv is not None
        assert conv.priority == "high"
        esc = s.scalar(select(m.Team.id).where(m.Team.name == "Escalations"))
        assert conv.team_id == esc != team_id
    [note] = _notes(state, conv_id)
    assert "Priority raised to high" in note and "escalation queue" in note


def test_paused_and_answered_clocks_do_not_escalate(
    state: ServerState, db_url: str, users: dict[str, TestUser]
) -> None:
    conv_id, _ = _setup(state, db_url, users, opened=timedelta(hours=3), due=-timedelta(minutes=5))
    with state.writes() as s:
        conv = s.get(m.Conversation, conv_id)
        assert conv is not None
        conv.status = "snoozed"
        s.commit()
    assert EscalationScanner(state, interval=0).run_once(NOW) == []


def test_two_scanners_at_once_escalate_once(
    state: ServerState, db_url: str, users: dict[str, TestUser]
) -> None:
    conv_id, _ = _setup(state, db_url, users, opened=timedelta(hours=3), due=-timedelta(minutes=5))
    other = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    results: list[int] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(2)

    def run(st: ServerState) -> None:
        try:
            gate.wait()
            results.append(len(EscalationScanner(st, interval=0).run_once(NOW)))
        except BaseException as exc:  # a lost race surfacing at commit counts as nothing done
            errors.append(exc)

    try:
        threads = [threading.Thread(target=run, args=(st,)) for st in (state, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        other.engine.dispose()
    assert sum(results) == 1, (results, errors)
    assert len(_notes(state, conv_id)) == 1
    with state.reads() as s:
        rows = s.scalars(select(m.SlaEscalation).where(m.SlaEscalation.conversation_id == conv_id))
        assert [(r.clock, r.level) for r in rows] == [("first_response", "breach")]


def test_the_note_carries_its_phrases_for_the_desk(
    state: ServerState, db_url: str, users: dict[str, TestUser]
) -> None:
    """Issue 13: the note's sentences as templates and params (the desk shows them in the
    agent's language), the English text kept beside them for older desks."""
    from csdesk.storage.wire import to_wire
    from csdesk.sync.reasons import phrases_text

    conv_id, _team = _setup(
        state, db_url, users, opened=timedelta(hours=3), due=-timedelta(minutes=5)
    )
    with state.writes() as s:
        s.add(m.Team(id=new_id(), name="Escalations"))
        data = default_policy().to_json()
        data["escalation"] = {"raise_priority": True, "move_to_queue": True}
        store.save_policy(s, SlaPolicy.from_json(data), None)
        s.commit()
    EscalationScanner(state, interval=0).run_once(NOW)
    with state.reads() as s:
        note = s.scalars(
            select(m.Message).where(m.Message.conversation_id == conv_id, m.Message.is_note)
        ).one()
        wire = to_wire(note)
    phrases = wire["body_phrases"]
    assert [p["template"] for p in phrases] == [
        "SLA breached: the first response of “{what}” was due {at}.",
        "Priority raised to high.",
        "Moved to the escalation queue.",
        "Notified: {names}.",
    ]
    assert set(phrases[0]["params"]) == {"what", "at"} and phrases[1]["params"] == {}
    names = phrases[3]["params"]["names"]
    with state.reads() as s:
        ann = s.get_one(m.User, users["ann"].id).display_name
    assert names == ann  # the assignee (Billing's supervisor no longer: it left Billing)
    # The English note is what it always was; the phrases say the same, a line each.
    sentence = phrases[0]["template"].format(**phrases[0]["params"])
    assert wire["body_text"] == (
        f"{sentence} Priority raised to high; moved to the escalation queue. Notified: {names}."
    )
    # The notice to each desk: the first sentence, as a phrase (server-only: not in the feed).
    with state.reads() as s:
        told = s.scalars(
            select(m.FloorMessage).where(
                m.FloorMessage.to_user_id == users["ann"].id, m.FloorMessage.body == sentence
            )
        ).all()
    assert [t.body_phrases for t in told] == [[phrases[0]]]
    assert "body_phrases" not in to_wire(told[0])
    assert phrases_text(phrases, wire["body_text"]) == "\n".join(
        [
            sentence,
            "Priority raised to high.",
            "Moved to the escalation queue.",
            f"Notified: {names}.",
        ]
    )
