""" "On a call" follows the calls themselves, in the transaction that changes them.

``install`` hooks the server's write sessions: each flush notes the agents of calls that were
added or changed (both agents when a call moved from one to another); just before commit —
before the change feed is written, so the status goes out with the call — each noted agent is
on a call exactly when some call of theirs has not ended. Every code path that takes, places,
answers or ends a call (Twilio hooks, ``call.take``, click-to-call, wrap-up) is covered
without knowing about this module.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.floor import status
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

_AGENTS = "csdesk_floor_call_agents"
_MAX_ROUNDS = 3


def collect(session: Session) -> None:
    agents: set[str] = session.info.setdefault(_AGENTS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, m.Call):
            hist = inspect(obj).attrs["agent_id"].history
            agents.update(str(a) for a in [obj.agent_id, *hist.deleted] if a)


def on_a_call(session: Session, user_id: str) -> bool:
    C = m.Call
    found = session.scalar(select(C.id).where(C.agent_id == user_id, C.ended_at.is_(None)).limit(1))
    return found is not None


def refresh(session: Session) -> None:
    for _round in range(_MAX_ROUNDS):
        session.flush()
        agents: set[str] = session.info.pop(_AGENTS, set())
        if not agents:
            return
        now = utcnow()
        for user_id in sorted(agents):  # one lock order for every writer
            if session.get(m.User, user_id) is None:
                continue
            status.change(session, user_id, now, on_call=on_a_call(session, user_id))


def install(factory: sessionmaker[Session]) -> None:
    @event.listens_for(factory, "before_flush")
    def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
        collect(session)

    @event.listens_for(factory, "before_commit", insert=True)
    def _refresh(session: Session) -> None:
        refresh(session)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_AGENTS, None)
