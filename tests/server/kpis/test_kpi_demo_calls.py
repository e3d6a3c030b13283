"""The demo's calls in the KPI figures (docs/callbacks.md, "In the demo"): a simulated
customer's inbound call (``SIMCA…``) and an agent's call to the demo line (``SIMCO…``) count
as calls and handle time exactly as a real call does; on a demo server they are the demo's
calls. They cannot be taken for real ones: only a server run with ``--simulate-customers``
files them, and every place that shows them says so. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from csdesk.domain.calls import DEMO_LINE_SID, is_demo_line, is_simulated
from csdesk.domain.enums import Channel, Direction, Role
from csdesk.server.kpis import samples
from csdesk.server.kpis.period import Period
from csdesk.storage import models as m
from csdesk.storage.db import make_engine


def _id() -> str:
    return str(uuid.uuid4())


def test_demo_line_calls_count_as_simulated_inbound_calls_do(db_url: str) -> None:
    engine = make_engine(db_url)
    m.Base.metadata.create_all(engine)
    day = datetime(2026, 11, 2, tzinfo=UTC)
    sids = {"real": f"CA{uuid.uuid4().hex}", "inbound": f"SIMCA{uuid.uuid4().hex}",
            "demo_line": f"{DEMO_LINE_SID}{uuid.uuid4().hex}"}  # fmt: skip
    assert is_simulated(sids["inbound"]) and not is_demo_line(sids["inbound"])
    assert is_demo_line(sids["demo_line"]) and not is_simulated(sids["real"])
    with Session(engine) as s:
        agent = m.User(id=_id(), username=f"kip{_id()[:8]}", display_name="Kip",
                       role=Role.AGENT.value, password_hash="x")  # fmt: skip
        cust = m.Customer(id=_id(), name="Cus")
        conv = m.Conversation(id=_id(), customer_id=cust.id, channel=Channel.PHONE.value,
                              subject="call", message_count=3, created_at=day)  # fmt: skip
        s.add_all([agent, cust, conv])
        s.flush()
        for n, sid in enumerate(sids.values()):
            start = day + timedelta(hours=9 + n)
            msg = m.Message(
                id=_id(),
                conversation_id=conv.id,
                channel=Channel.PHONE.value,
                direction=Direction.OUT.value,
                body_text="call",
                created_at=start,
            )
            s.add(msg)
            s.flush()
            s.add(
                m.Call(
                    id=_id(),
                    call_sid=sid,
                    message_id=msg.id,
                    conversation_id=conv.id,
                    direction="out" if n != 1 else "in",
                    provider_status="completed",
                    outcome="answered",
                    started_at=start,
                    agent_id=agent.id,
                    answered_at=start + timedelta(seconds=10),
                    ended_at=start + timedelta(seconds=130),
                    wrapped_up_at=start + timedelta(seconds=190),
                )
            )
        s.commit()
        period = Period("custom", "UTC", day, day + timedelta(days=1), (date(2026, 11, 2),),
                        (day, day + timedelta(days=1)))  # fmt: skip
        ctx = samples.Ctx(period, day + timedelta(days=1), engine.dialect.name)
        rows = s.execute(samples.calls(ctx).where(m.Conversation.id == conv.id)).all()
    engine.dispose()
    # Three calls, each 120 s of talk plus 60 s of wrap-up, whoever was on the other end.
    assert sorted(round(float(r.handle)) for r in rows) == [180, 180, 180]
