"""Click-to-call in the demo (issue 11): a server that simulates customers and has no Twilio
sends ``call.place`` to the simulator's demo line, filed exactly like a real click-to-call and
labelled as the demo; its customer answers after a short ring (or lets it ring out), and the
wrap-up ends it. A server that does not simulate customers refuses the call as before."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.domain.calls import DEMO_LINE_NOTE
from csdesk.domain.enums import Channel, IdentityKind, Role
from csdesk.server.channels import callout
from csdesk.server.channels.config_store import Provider
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.simulator import DEMO_NUMBER, answer_demo_line
from csdesk.server.state import ServerState
from csdesk.server.sync.mutations import Reject, apply
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until

NUMBER = "+447700900123"
ANN = TestUser("ann", "ann-password", Role.AGENT)


@dataclass
class Shop:
    state: ServerState
    customer_id: str
    conversation_id: str


def _build(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    """A customer with a verified phone and an email conversation; Ann has no call phone."""
    add_users(db_url, [ANN])
    state = _build(db_url)
    upgrade(state.engine)
    with state.writes() as s:
        ensure_counter(s)
        cust = m.Customer(id=str(uuid.uuid4()), name="Jane Doe", phone=NUMBER)
        s.add(cust)
        s.flush()
        s.add(
            m.CustomerIdentity(
                id=str(uuid.uuid4()),
                customer_id=cust.id,
                kind=IdentityKind.PHONE.value,
                value=NUMBER,
                verified=True,
            )
        )
        conv = m.Conversation(
            id=str(uuid.uuid4()),
            customer_id=cust.id,
            channel=Channel.EMAIL.value,
            subject="Refund",
            last_message_at=datetime.now(UTC),
        )
        s.add(conv)
        s.commit()
        ids = cust.id, conv.id
    try:
        yield Shop(state, *ids)
    finally:
        state.engine.dispose()


def _ann(s: Any) -> m.User:
    return s.scalars(select(m.User).where(m.User.username == "ann")).one()


def _place(state: ServerState, shop: Shop, **extra: Any) -> str:
    call_id = str(uuid.uuid4())
    args = {"call_id": call_id, "customer_id": shop.customer_id, "number": NUMBER, **extra}
    with state.writes() as s:
        apply(s, _ann(s), "call.place", args)
        s.commit()
    return call_id


def _refusal(state: ServerState, shop: Shop) -> str:
    args = {"call_id": str(uuid.uuid4()), "customer_id": shop.customer_id, "number": NUMBER}
    with state.writes() as s:
        with pytest.raises(Reject) as refused:
            apply(s, _ann(s), "call.place", args)
        s.rollback()
    return refused.value.message


def _demo_state(shop: Shop) -> ServerState:
    """The same database, as a server with ``--simulate-customers`` opens it."""
    state = _build(str(shop.state.engine.url.render_as_string(hide_password=False)))
    callout.install_demo_line(state.writes)
    return state


def _call(state: ServerState, call_id: str) -> tuple[m.Call, str]:
    with state.reads() as s:
        call = s.get_one(m.Call, call_id)
        line = s.get_one(m.Message, call.message_id).body_text
        s.expunge(call)
        return call, line


def test_without_twilio_only_a_server_that_simulates_customers_places_calls(shop: Shop) -> None:
    # A server that does not simulate customers refuses, exactly as before: first the phone
    # to ring, then Twilio.
    assert _refusal(shop.state, shop).startswith("Set the phone to ring first")
    with shop.state.writes() as s:
        _ann(s).call_phone = "+14155550199"
        s.commit()
    assert _refusal(shop.state, shop) == (
        "Calls cannot be placed: Twilio is not connected on the server."
    )
    with shop.state.reads() as s:
        assert s.scalar(select(m.Call.id)) is None

    demo = _demo_state(shop)
    try:
        with demo.writes() as s:
            _ann(s).call_phone = None  # no phone of the agent's rings on the demo line
            s.commit()
        call_id = _place(demo, shop, conversation_id=shop.conversation_id)
        call, line = _call(demo, call_id)
        assert call.call_sid.startswith("SIMCO") and call.direction == "out"
        assert call.provider_status != callout.PENDING  # the Twilio placer never takes it
        assert call.from_number == DEMO_NUMBER and call.to_number == NUMBER
        assert line == f"Calling {NUMBER}\n{DEMO_LINE_NOTE}"
        # The same server with Twilio connected places real calls (the placer's to place).
        with demo.writes() as s:
            s.add(
                m.ChannelConfig(
                    provider=Provider.TWILIO.value,
                    enabled=True,
                    settings={"from_number": "+15005550006"},
                    secrets="",
                )
            )
            _ann(s).call_phone = "+14155550199"
            s.commit()
        real, real_line = _call(demo, _place(demo, shop))
        assert real.provider_status == callout.PENDING and real_line == f"Calling {NUMBER}"
    finally:
        demo.engine.dispose()


def test_a_demo_call_back_is_filed_answered_and_ended_by_its_wrap_up(shop: Shop) -> None:
    demo = _demo_state(shop)
    try:
        cb_id = str(uuid.uuid4())
        with demo.writes() as s:
            ann = _ann(s)
            due = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            args = {
                "callback_id": cb_id,
                "customer_id": shop.customer_id,
                "phone": NUMBER,
                "due_at": due,
                "assignee_id": ann.id,
                "conversation_id": shop.conversation_id,
            }
            apply(s, ann, "callback.schedule", args)
            s.commit()
        call_id = _place(demo, shop, conversation_id=shop.conversation_id, callback_id=cb_id)
        call, line = _call(demo, call_id)
        with demo.reads() as s:
            cb = s.get_one(m.Callback, cb_id)
            assert cb.status == "done" and cb.done_call_id == call_id
            conv = s.get_one(m.Conversation, call.conversation_id)
            # The history line is on the customer's phone conversation, as a real call's.
            assert conv.channel == Channel.PHONE.value and conv.customer_id == shop.customer_id
            assert conv.assignee_id == _ann(s).id and call.agent_id == _ann(s).id
            audit = s.scalars(
                select(m.AuditEntry.after).where(m.AuditEntry.entity_id == call_id)
            ).one()
            assert audit["demo_line"] is True
        assert call.outcome == "ringing" and line.startswith("Calling")

        rng = random.Random(1)
        with demo.writes() as s:  # still ringing
            assert answer_demo_line(s, rng, now=call.started_at + timedelta(seconds=1)) == 0
        with demo.writes() as s:
            settled = answer_demo_line(s, rng, now=call.started_at + timedelta(seconds=5), missed=0)
            s.commit()
        assert settled == 1
        answered, line = _call(demo, call_id)
        assert answered.outcome == "answered" and answered.answered_at is not None
        assert answered.ended_at is None  # the agent ends it
        with demo.reads() as s:
            name = _ann(s).display_name
        assert line == f"Call to {NUMBER}, taken by {name}\n{DEMO_LINE_NOTE}"

        with demo.writes() as s:
            apply(s, _ann(s), "call.wrap_up", {"call_id": call_id, "disposition": "resolved"})
            s.commit()
        ended, line = _call(demo, call_id)
        assert ended.ended_at is not None and ended.duration_seconds is not None
        assert ended.disposition == "resolved" and ended.outcome == "answered"
        assert line.endswith(f"— Resolved\n{DEMO_LINE_NOTE}")
    finally:
        demo.engine.dispose()


def test_a_demo_call_nobody_answers_is_missed_as_a_real_one(shop: Shop) -> None:
    demo = _demo_state(shop)
    try:
        call_id = _place(demo, shop)
        call, _line = _call(demo, call_id)
        with demo.writes() as s:
            later = call.started_at + timedelta(seconds=60)
            assert answer_demo_line(s, random.Random(2), now=later, missed=1.0) == 1
            s.commit()
        missed, line = _call(demo, call_id)
        assert missed.outcome == "missed" and missed.ended_at is not None
        assert line == f"Unanswered call to {NUMBER}\n{DEMO_LINE_NOTE}"
        # Wrapped up as after any call; a settled call is never answered later.
        with demo.writes() as s:
            apply(s, _ann(s), "call.wrap_up", {"call_id": call_id, "disposition": "no_answer"})
            s.commit()
        with demo.writes() as s:
            assert answer_demo_line(s, random.Random(3), now=later, missed=0) == 0

        # Ended on the desk while it still rang: missed too, never "Calling" for ever.
        ringing = _place(demo, shop)
        with demo.writes() as s:
            apply(s, _ann(s), "call.wrap_up", {"call_id": ringing, "disposition": "no_answer"})
            s.commit()
        ended, line = _call(demo, ringing)
        assert ended.outcome == "missed" and line.startswith("Unanswered call to")
        with demo.writes() as s:
            assert answer_demo_line(s, random.Random(4), now=later, missed=0) == 0
    finally:
        demo.engine.dispose()


@dataclass
class SimulatingServer(ServerProcess):
    """``csdesk-server serve --simulate-customers SECONDS``, as ``make run`` starts it."""

    every: float = 3600.0  # no simulated customer writes during the test

    def command(self) -> list[str]:
        return [*super().command(), "--simulate-customers", str(self.every)]


def test_the_demo_server_places_call_backs_on_its_demo_line(
    shop: Shop, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The running demo server: ``call.place`` over the push, answered by its simulator."""
    monkeypatch.setenv("CSDESK_DEMO_LINE_RING_SECONDS", "0.2")
    monkeypatch.setenv("CSDESK_DEMO_LINE_MISSED", "0")
    url = shop.state.engine.url.render_as_string(hide_password=False)
    plain = ServerProcess(url, log_path=tmp_path / "plain.log").start()
    try:
        ann = Raw.signed_in(plain, ANN)
        args = {"call_id": str(uuid.uuid4()), "customer_id": shop.customer_id, "number": NUMBER}
        refused = ann.push(("call.place", args))[0]
        assert refused["status"] == "rejected"
        assert refused["reason"]["message"].startswith("Set the phone to ring first")
    finally:
        plain.stop()
    server = SimulatingServer(url, log_path=tmp_path / "demo.log").start()
    try:
        ann = Raw.signed_in(server, ANN)
        result = ann.push(("call.place", args))[0]
        assert result["status"] == "applied", result

        def settled() -> tuple[m.Call, str] | None:
            call, line = _call(shop.state, args["call_id"])
            return None if call.outcome == "ringing" else (call, line)

        call, line = wait_until(settled, 30.0, "the demo line to answer")
        assert call.outcome == "answered", line
        assert line.endswith(DEMO_LINE_NOTE)
    finally:
        server.stop()
