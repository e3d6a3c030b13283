"""A small, hand-computed KPI fixture: conversations, messages, calls, reopens and survey
answers with known times, including ones that must never count (training, spam, filed
auto-replies, deleted, outside the period). The expected figures are worked out by hand in
``EXPECTED`` (docs/kpis.md has the rules)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from csdesk.domain.enums import Channel, ConversationStatus, Direction, Priority, Realm
from csdesk.domain.sla_targets import due_times
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade

D0 = datetime(2026, 11, 1, tzinfo=UTC)
D1, D2, D3, D4 = (D0 + timedelta(days=n) for n in range(1, 5))
#: The period the fixture is computed for: 2026-11-02 .. 2026-11-04 (UTC), three days.
PERIOD = {"period": "custom", "from": "2026-11-02", "to": "2026-11-04"}


def at(day: datetime, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


@dataclass
class Fixture:
    ids: dict[str, str] = field(default_factory=dict)  # "c1" → conversation id
    teams: dict[str, str] = field(default_factory=dict)


def _id() -> str:
    return str(uuid.uuid4())


class _Writer:
    def __init__(self, s: Any, users: dict[str, str], fx: Fixture) -> None:
        self.s, self.users, self.fx = s, users, fx

    def conv(
        self,
        name: str,
        channel: Channel,
        created: datetime,
        *,
        agent: str | None,
        team: str | None,
        status: ConversationStatus = ConversationStatus.OPEN,
        resolved: datetime | None = None,
        first_response: datetime | None = None,
        realm: Realm = Realm.PRODUCTION,
        tags: list[str] | None = None,
        deleted: bool = False,
        sla: bool = True,
    ) -> str:
        cust = m.Customer(id=_id(), realm=realm.value, name=f"Customer {name}")
        first_due, res_due = due_times(channel, Priority.NORMAL, created) if sla else (None, None)
        conv = m.Conversation(
            id=_id(),
            realm=realm.value,
            customer_id=cust.id,
            channel=channel.value,
            status=status.value,
            priority=Priority.NORMAL.value,
            assignee_id=self.users[agent] if agent else None,
            team_id=self.fx.teams[team] if team else None,
            tags=tags or [],
            created_at=created,
            last_message_at=created,
            first_response_at=first_response,
            first_response_due_at=first_due,
            resolution_due_at=res_due,
            resolved_at=resolved,
            deleted_at=created if deleted else None,
        )
        self.s.add_all([cust, conv])
        self.s.flush()
        self.fx.ids[name] = conv.id
        return conv.id

    def msg(
        self,
        conv: str,
        when: datetime,
        direction: Direction,
        *,
        agent: str | None = None,
        note: bool = False,
        auto: bool = False,
        channel: Channel | None = None,
        realm: Realm = Realm.PRODUCTION,
    ) -> str:
        c = self.s.get(m.Conversation, conv)
        msg = m.Message(
            id=_id(),
            realm=realm.value,
            conversation_id=conv,
            channel=(channel or Channel(c.channel)).value,
            direction=direction.value,
            is_note=note,
            is_auto=auto,
            author_user_id=self.users[agent] if agent else None,
            body_text="text",
            delivery_status="received" if direction == Direction.IN else "sent",
            created_at=when,
        )
        self.s.add(msg)
        self.s.flush()
        return msg.id

    def survey(
        self,
        conv: str,
        when: datetime,
        *,
        csat: int | None = None,
        nps: int | None = None,
        ces: int | None = None,
        realm: Realm = Realm.PRODUCTION,
    ) -> None:
        c = self.s.get(m.Conversation, conv)
        self.s.add(
            m.SurveyAnswer(
                id=_id(),
                realm=realm.value,
                conversation_id=conv,
                customer_id=c.customer_id,
                csat=csat,
                nps=nps,
                ces=ces,
                comment="=1+1",
                answered_at=when,
            )
        )


def build(db_url: str, users: dict[str, str]) -> Fixture:
    """Write the fixture; ``users`` maps "ann", "bob", "sue" to user ids. ann and sue are in
    team A, bob in team B."""
    fx = Fixture()
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        upgrade(state.engine)
        with state.writes() as s:
            ensure_counter(s)
            for team in ("A", "B"):
                t = m.Team(id=_id(), name=f"Team {team}")
                s.add(t)
                fx.teams[team] = t.id
            s.flush()
            for user, team in (("ann", "A"), ("sue", "A"), ("bob", "B")):
                s.execute(
                    update(m.User).where(m.User.id == users[user]).values(team_id=fx.teams[team])
                )
            # bob's name is a formula: the CSV must not let a spreadsheet run it.
            s.execute(update(m.User).where(m.User.id == users["bob"]).values(display_name="=bob()"))
            _write(_Writer(s, users, fx))
            s.commit()
    finally:
        state.engine.dispose()
    return fx


def _write(w: _Writer) -> None:
    IN, OUT = Direction.IN, Direction.OUT
    R = ConversationStatus.RESOLVED
    # c1: email, ann, answered in 30 min, resolved after 3 h; one reply: first-contact.
    c1 = w.conv(
        "c1",
        Channel.EMAIL,
        at(D1, 9),
        agent="ann",
        team="A",
        status=R,
        resolved=at(D1, 12),
        first_response=at(D1, 9, 30),
    )
    w.msg(c1, at(D1, 9), IN)
    w.msg(c1, at(D1, 9, 30), OUT, agent="ann")
    w.survey(c1, at(D1, 13), csat=5, nps=10, ces=2)
    w.survey(c1, at(D4, 13), csat=1, nps=0, ces=7)  # after the period
    # c2: chat, ann, two replies; a note before the first reply never counts.
    c2 = w.conv(
        "c2",
        Channel.CHAT,
        at(D1, 10),
        agent="ann",
        team="A",
        status=R,
        resolved=at(D1, 10, 10),
        first_response=at(D1, 10, 2),
    )
    w.msg(c2, at(D1, 10), IN)
    w.msg(c2, at(D1, 10, 1), OUT, agent="ann", note=True)
    w.msg(c2, at(D1, 10, 2), OUT, agent="ann")
    w.msg(c2, at(D1, 10, 5), IN)
    w.msg(c2, at(D1, 10, 6), OUT, agent="ann")
    w.survey(c2, at(D2, 8), csat=2, nps=6, ces=5)
    # c3: email, bob, answered after 10 h (first-response target of 8 h breached), open;
    # our own auto-acknowledgement is not a reply.
    c3 = w.conv("c3", Channel.EMAIL, at(D1, 11), agent="bob", team="B", first_response=at(D1, 21))
    w.msg(c3, at(D1, 11), IN)
    w.msg(c3, at(D1, 11, 0, 5), OUT, auto=True)
    w.msg(c3, at(D1, 21), OUT, agent="bob")
    w.survey(c3, at(D3, 9), nps=9)
    # c4: sms, unassigned, never answered, open.
    c4 = w.conv("c4", Channel.SMS, at(D2, 8), agent=None, team="A")
    w.msg(c4, at(D2, 8), IN)
    # c5: phone, ann: answered after 30 s, 5 min talk, 2 min wrap-up, resolved.
    c5 = w.conv(
        "c5",
        Channel.PHONE,
        at(D2, 9),
        agent="ann",
        team="A",
        status=R,
        resolved=at(D2, 9, 10),
        first_response=at(D2, 9, 0, 30),
    )
    call_msg = w.msg(c5, at(D2, 9), IN)
    w.s.add(
        m.Call(
            id=_id(),
            realm=Realm.PRODUCTION.value,
            call_sid="CA" + uuid.uuid4().hex,
            message_id=call_msg,
            conversation_id=c5,
            direction=IN.value,
            provider_status="completed",
            outcome="answered",
            duration_seconds=330,
            started_at=at(D2, 9),
            answered_at=at(D2, 9, 0, 30),
            ended_at=at(D2, 9, 5, 30),
            wrapped_up_at=at(D2, 9, 7, 30),
            agent_id=w.users["ann"],
        )
    )
    # c6: email, bob: resolved at 11:00, reopened by the customer at 12:00, resolved again.
    c6 = w.conv(
        "c6",
        Channel.EMAIL,
        at(D2, 10),
        agent="bob",
        team="B",
        status=R,
        resolved=at(D2, 13),
        first_response=at(D2, 10, 20),
    )
    w.msg(c6, at(D2, 10), IN)
    w.msg(c6, at(D2, 10, 20), OUT, agent="bob")
    w.msg(c6, at(D2, 12), IN)
    w.msg(c6, at(D2, 12, 5), OUT, agent="bob")
    w.s.add(
        m.ConversationReopen(
            conversation_id=c6,
            realm=Realm.PRODUCTION.value,
            resolved_at=at(D2, 11),
            reopened_at=at(D2, 12),
            cause="customer",
            assignee_id=w.users["bob"],
        )
    )
    # c10: email, ann wrote first (outreach), the customer answered; pending, no targets.
    c10 = w.conv(
        "c10",
        Channel.EMAIL,
        at(D3, 9),
        agent="ann",
        team="A",
        status=ConversationStatus.PENDING,
        first_response=at(D3, 9),
        sla=False,
    )
    w.msg(c10, at(D3, 9), OUT, agent="ann")
    w.msg(c10, at(D3, 10), IN)
    # c11: created the day before the period, resolved in it (22 h); one reply.
    c11 = w.conv(
        "c11",
        Channel.EMAIL,
        at(D0, 10),
        agent="ann",
        team="A",
        status=R,
        resolved=at(D1, 8),
        first_response=at(D0, 11),
    )
    w.msg(c11, at(D0, 10), IN)
    w.msg(c11, at(D0, 11), OUT, agent="ann")
    # c13: after the period.
    c13 = w.conv(
        "c13",
        Channel.EMAIL,
        at(D4, 9),
        agent="ann",
        team="A",
        status=R,
        resolved=at(D4, 10),
        first_response=at(D4, 9, 5),
    )
    w.msg(c13, at(D4, 9), IN)
    w.msg(c13, at(D4, 9, 5), OUT, agent="ann")

    # --- never counted ---------------------------------------------------------------
    # c7: the training sandbox (a trainee's practice), with a reply and a survey.
    c7 = w.conv(
        "c7",
        Channel.EMAIL,
        at(D1, 9),
        agent="ann",
        team="A",
        first_response=at(D1, 9, 1),
        realm=Realm.TRAINING,
    )
    w.msg(c7, at(D1, 9), IN, realm=Realm.TRAINING)
    w.msg(c7, at(D1, 9, 1), OUT, agent="ann", realm=Realm.TRAINING)
    w.survey(c7, at(D1, 10), csat=1, nps=0, ces=7, realm=Realm.TRAINING)
    # c8: spam.
    c8 = w.conv(
        "c8",
        Channel.EMAIL,
        at(D1, 9),
        agent="ann",
        team="A",
        tags=["spam"],
        first_response=at(D1, 9, 2),
    )
    w.msg(c8, at(D1, 9), IN)
    w.msg(c8, at(D1, 9, 2), OUT, agent="ann")
    # c9: an auto-reply filed into a conversation of its own (born resolved, tagged auto).
    c9 = w.conv(
        "c9",
        Channel.EMAIL,
        at(D1, 9),
        agent=None,
        team=None,
        status=R,
        resolved=at(D1, 9),
        tags=["auto"],
    )
    w.msg(c9, at(D1, 9), IN, auto=True)
    # c12: deleted by an admin.
    c12 = w.conv(
        "c12",
        Channel.EMAIL,
        at(D1, 9),
        agent="ann",
        team="A",
        deleted=True,
        first_response=at(D1, 9, 3),
    )
    w.msg(c12, at(D1, 9), IN)
    w.msg(c12, at(D1, 9, 3), OUT, agent="ann")


#: The figures, worked out by hand (seconds; rates are fractions).
TOTAL: dict[str, Any] = {
    "contacts": 7,  # c1 c2 c3 c4 c5 c6 c10
    "created_resolved": 4,  # c1 c2 c5 c6
    "resolution_rate": 0.5714,
    "first_response_count": 5,  # c1 1800, c2 120, c3 36000, c5 30, c6 1200
    "first_response_avg_seconds": 7830.0,
    "resolved": 5,  # c1 10800, c2 600, c5 600, c6 10800, c11 79200
    "resolution_avg_seconds": 20400.0,
    "fcr_eligible": 5,
    "fcr_count": 3,  # c1, c5, c11
    "fcr_rate": 0.6,
    "resolutions": 6,  # the five kept + c6's undone one
    "reopened": 1,
    "reopen_rate": 0.1667,
    "sla_first_response_met": 4,  # c1 c2 c5 c6; c3 late, c4 unanswered past due
    "sla_first_response_total": 6,
    "sla_first_response_rate": 0.6667,
    "sla_resolution_met": 4,  # c1 c2 c5 c6; c3 c4 open past due
    "sla_resolution_total": 6,
    "sla_resolution_rate": 0.6667,
    "backlog": 3,  # c3 c4 c10
    "calls_handled": 1,
    "call_handle_avg_seconds": 420.0,  # 300 talk + 120 wrap-up
    "messaging_handled": 5,  # c1 600, c2 120+60, c3 600, c6 600+300, c10 600
    "messaging_handle_avg_seconds": 576.0,
    "handled": 6,
    "handle_avg_seconds": 550.0,
    "csat_count": 2,
    "csat_satisfied": 1,
    "csat_rate": 0.5,
    "csat_avg": 3.5,
    "nps_count": 3,
    "nps_promoters": 2,
    "nps_detractors": 1,
    "nps": 33.3,
    "ces_count": 2,
    "ces_avg": 3.5,
    "qa_reviews": 0,  # quality reviews: tests/server/qa/test_qa_kpis.py
    "qa_score": None,
}

ANN: dict[str, Any] = {
    "contacts": 4,  # c1 c2 c5 c10
    "created_resolved": 3,
    "resolution_rate": 0.75,
    "first_response_count": 3,  # 1800 120 30
    "first_response_avg_seconds": 650.0,
    "resolved": 4,  # c1 c2 c5 c11
    "resolution_avg_seconds": 22800.0,
    "fcr_eligible": 4,
    "fcr_count": 3,
    "fcr_rate": 0.75,
    "resolutions": 4,
    "reopened": 0,
    "reopen_rate": 0.0,
    "sla_first_response_met": 3,
    "sla_first_response_total": 3,
    "sla_first_response_rate": 1.0,
    "sla_resolution_met": 3,
    "sla_resolution_total": 3,
    "sla_resolution_rate": 1.0,
    "backlog": 1,  # c10
    "calls_handled": 1,
    "call_handle_avg_seconds": 420.0,
    "messaging_handled": 3,  # c1 600, c2 180, c10 600
    "messaging_handle_avg_seconds": 460.0,
    "handled": 4,
    "handle_avg_seconds": 450.0,
    "csat_count": 2,
    "csat_satisfied": 1,
    "csat_rate": 0.5,
    "csat_avg": 3.5,
    "nps_count": 2,
    "nps_promoters": 1,
    "nps_detractors": 1,
    "nps": 0.0,
    "ces_count": 2,
    "ces_avg": 3.5,
    "qa_reviews": 0,  # quality reviews: tests/server/qa/test_qa_kpis.py
    "qa_score": None,
}

BOB: dict[str, Any] = {
    "contacts": 2,  # c3 c6
    "created_resolved": 1,
    "resolution_rate": 0.5,
    "first_response_count": 2,  # 36000 1200
    "first_response_avg_seconds": 18600.0,
    "resolved": 1,
    "resolution_avg_seconds": 10800.0,
    "fcr_eligible": 1,
    "fcr_count": 0,
    "fcr_rate": 0.0,
    "resolutions": 2,
    "reopened": 1,
    "reopen_rate": 0.5,
    "sla_first_response_met": 1,
    "sla_first_response_total": 2,
    "sla_first_response_rate": 0.5,
    "sla_resolution_met": 1,
    "sla_resolution_total": 2,
    "sla_resolution_rate": 0.5,
    "backlog": 1,
    "calls_handled": 0,
    "call_handle_avg_seconds": None,
    "messaging_handled": 2,  # c3 600, c6 900
    "messaging_handle_avg_seconds": 750.0,
    "handled": 2,
    "handle_avg_seconds": 750.0,
    "csat_count": 0,
    "csat_satisfied": 0,
    "csat_rate": None,
    "csat_avg": None,
    "nps_count": 1,
    "nps_promoters": 1,
    "nps_detractors": 0,
    "nps": 100.0,
    "ces_count": 0,
    "ces_avg": None,
    "qa_reviews": 0,  # quality reviews: tests/server/qa/test_qa_kpis.py
    "qa_score": None,
}
