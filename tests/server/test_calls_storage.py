"""Calls in storage: migration 0004 keeps calls recorded before it; the demo's simulated
calls ring, feed the desks, and ring out into callback tasks unless someone takes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, IdentityKind, Realm, Role
from csdesk.protocol import Entity
from csdesk.server.channels import call_mutations, calls
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.simulator import RING_SECONDS, Simulation, call_tick, expire_calls
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import current, downgrade, upgrade
from tests.helpers.server import TestUser, add_users

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _customer_with_conversation(s: Session) -> tuple[str, str]:
    # Written as 0003 knew customers: the model has columns later migrations add.
    cust_id = str(uuid.uuid4())
    s.execute(
        text(
            "INSERT INTO customers (id, realm, created_at, updated_at, name, phone, language,"
            " timezone, tags, loyalty_tier, loyalty_points, notes) VALUES (:id, 'production',"
            " :at, :at, 'Jane Doe', '+447700900123', 'en', 'UTC', '[]', 'none', 0, '')"
        ),
        {"id": cust_id, "at": T0.isoformat()},
    )
    # Written with the columns given (and their defaults) only: the model has columns later
    # migrations add (a merged conversation's pointer).
    conv_id = str(uuid.uuid4())
    s.execute(
        insert(m.Conversation.__table__).values(
            id=conv_id, customer_id=cust_id, channel=Channel.PHONE.value, last_message_at=T0
        )
    )
    # Written as 0003 knew messages: the model has columns later migrations add.
    msg_id = str(uuid.uuid4())
    s.execute(
        text(
            "INSERT INTO messages (id, realm, created_at, updated_at, conversation_id, channel,"
            " direction, is_note, author_name, subject, body_text, attachments, delivery_status)"
            " VALUES (:id, 'production', :at, :at, :cid, 'phone', 'in', false, '', '',"
            " 'Missed call from +447700900123', '[]', 'queued')"
        ),
        {"id": msg_id, "at": T0.isoformat(), "cid": conv_id},
    )
    return conv_id, msg_id


def test_calls_recorded_before_0004_keep_their_history(blank_db_url: str) -> None:
    engine = make_engine(blank_db_url)
    try:
        upgrade(engine, "0003")
        with Session(engine) as s:
            conv_id, msg_id = _customer_with_conversation(s)
            s.execute(
                text(
                    "INSERT INTO calls (call_sid, message_id, conversation_id, direction, "
                    "from_number, to_number, provider_status, outcome, started_at) VALUES "
                    "('CAold', :mid, :cid, 'in', '+447700900123', '+442071234567', "
                    "'no-answer', 'missed', :at)"
                ),
                {"mid": msg_id, "cid": conv_id, "at": T0.isoformat()},
            )
            s.commit()
        upgrade(engine, "0004")
        assert current(engine) == "0004"
        with Session(engine) as s:
            # The columns 0004 has (the model may have more by now: read them by name).
            C = m.Call
            call = s.execute(
                select(
                    C.id, C.realm, C.outcome, C.agent_id, C.script_trail, C.wrapup_notes,
                    C.created_at, C.started_at,
                ).where(C.call_sid == "CAold")
            ).one()  # fmt: skip
            assert len(call.id) == 36 and call.realm == Realm.PRODUCTION.value
            assert call.outcome == "missed" and call.agent_id is None
            assert call.script_trail == [] and call.wrapup_notes == ""
            assert call.created_at == call.started_at
        downgrade(engine, "0003")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT call_sid, outcome FROM calls")).all()
        assert [tuple(r) for r in rows] == [("CAold", "missed")]
    finally:
        engine.dispose()


@pytest.fixture
def state(db_url: str) -> Iterator[ServerState]:
    add_users(db_url, [TestUser("ann", "ann-password", Role.AGENT)])
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    upgrade(state.engine)
    with state.writes() as s:
        ensure_counter(s)
        cust = m.Customer(id=str(uuid.uuid4()), name="Jane Doe", phone="+447700900123")
        s.add(cust)
        s.flush()
        s.add(
            m.CustomerIdentity(
                id=str(uuid.uuid4()),
                customer_id=cust.id,
                kind=IdentityKind.PHONE.value,
                value="+447700900123",
                verified=True,  # the simulator calls only from numbers a provider proved
            )
        )
        s.commit()
    try:
        yield state
    finally:
        state.engine.dispose()


def _ringing(state: ServerState, sid: str) -> m.Call:
    with state.reads() as s:
        call = calls.find(s, sid)
        assert call is not None
        s.expunge(call)
        return call


def test_simulated_calls_ring_then_become_callback_tasks(state: ServerState) -> None:
    sim = Simulation(seed=3)
    sid = call_tick(state.writes, sim, place=True)
    assert sid is not None and sid.startswith("SIMCA")
    call = _ringing(state, sid)
    assert call.outcome == "ringing" and call.agent_id is None and call.ended_at is None
    with state.reads() as s:
        fed = s.scalar(
            select(m.SyncChange.payload).where(
                m.SyncChange.entity == Entity.CALL.value, m.SyncChange.entity_id == call.id
            )
        )
        assert fed is not None and sid in fed  # the desks see it ringing
        line = s.get_one(m.Message, call.message_id).body_text
        assert line == "Incoming call from +447700900123"

    with state.writes() as s:  # still within its ringing time
        assert expire_calls(s, now=call.started_at + timedelta(seconds=5)) == 0
    later = call.started_at + timedelta(seconds=RING_SECONDS + 1)
    with state.writes() as s:
        assert expire_calls(s, now=later) == 1
        s.commit()
    with state.reads() as s:
        rung_out = s.get_one(m.Call, call.id)
        assert rung_out.outcome == "missed" and rung_out.ended_at is not None
        conv = s.get_one(m.Conversation, rung_out.conversation_id)
        assert "callback" in conv.tags
        assert s.get_one(m.Message, call.message_id).body_text.startswith("Missed call from")


def test_a_taken_simulated_call_does_not_ring_out(state: ServerState) -> None:
    sid = call_tick(state.writes, Simulation(seed=4), place=True)
    assert sid is not None
    call = _ringing(state, sid)
    with state.writes() as s:
        ann = s.scalars(select(m.User).where(m.User.username == "ann")).one()
        call_mutations.take(s, ann, call_mutations.TakeArgs(call_id=call.id))
        s.commit()
    with state.writes() as s:
        later = call.started_at + timedelta(seconds=RING_SECONDS * 10)
        assert expire_calls(s, now=later) == 0
    taken = _ringing(state, sid)
    assert taken.outcome == "answered" and taken.agent_id is not None
