"""The "QA score" KPI (issue 12) against a hand-computed fixture, over HTTP on SQLite and
PostgreSQL: per agent, team, channel and day; reviews outside the period, with no score (every
criterion N/A) or of training conversations never count; an agent sees their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from csdesk.domain import qa
from csdesk.domain.enums import Channel, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.kpis.fixture import D0, D1, D2, PERIOD, at
from tests.server.qa.helpers import CRITERIA

KPIS = "/api/v1/kpis"


@dataclass
class Fx:
    teams: dict[str, str] = field(default_factory=dict)
    convs: dict[str, str] = field(default_factory=dict)


def _id() -> str:
    return str(uuid.uuid4())


#: name → (channel, agent, team, realm, reviewed at, scores). Scores by hand (weights 1, 3, 2;
#: greeting pass/fail, solution of 4, policy of 5):
#: r1: 1 + 3·2/4 = 2.5 of 4 (policy N/A) → 62.5
#: r2: 0 + 3·4/4 + 2·5/5 = 5 of 6 → 83.3
#: r3: all N/A → no score (not counted)
#: r4: 1 + 0 + 0 = 1 of 6 → 16.7
#: r5: before the period → not counted; r6: a training conversation → not counted.
REVIEWS: dict[str, tuple[Channel, str, str, Realm, datetime, dict[str, int | None]]] = {
    "r1": (Channel.EMAIL, "ann", "A", Realm.PRODUCTION, at(D1, 10), {"greeting": 1, "solution": 2}),
    "r2": (Channel.CHAT, "ann", "A", Realm.PRODUCTION, at(D1, 23, 59),
           {"greeting": 0, "solution": 4, "policy": 5}),
    "r3": (Channel.EMAIL, "bob", "B", Realm.PRODUCTION, at(D2, 9), {}),
    "r4": (Channel.CHAT, "bob", "B", Realm.PRODUCTION, at(D2, 12),
           {"greeting": 1, "solution": 0, "policy": 0}),
    "r5": (Channel.EMAIL, "ann", "A", Realm.PRODUCTION, at(D0, 23, 59, 59),
           {"greeting": 1, "solution": 4, "policy": 5}),
    "r6": (Channel.CHAT, "ann", "A", Realm.TRAINING, at(D1, 11), {"greeting": 1}),
}  # fmt: skip
HAND = {"r1": 62.5, "r2": 83.3, "r3": None, "r4": 16.7, "r5": 100.0, "r6": 100.0}


def build(db_url: str, users: dict[str, str]) -> Fx:
    fx = Fx()
    criteria = qa.criteria_from(CRITERIA)
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        upgrade(state.engine)
        with state.writes() as s:
            ensure_counter(s)
            for team in ("A", "B"):
                t = m.Team(id=_id(), name=f"QA team {team} {uuid.uuid4().hex[:6]}")
                s.add(t)
                fx.teams[team] = t.id
            s.flush()
            for user, team in (("ann", "A"), ("bob", "B")):
                s.execute(
                    update(m.User).where(m.User.id == users[user]).values(team_id=fx.teams[team])
                )
            rubric = m.QaRubric(
                id=_id(), family=_id(), version=1, name="R", criteria=CRITERIA, active=True
            )
            rubric.family = rubric.id
            s.add(rubric)
            for name, (channel, agent, team, realm, when, scores) in REVIEWS.items():
                cust = m.Customer(id=_id(), realm=realm.value, name=f"Customer {name}")
                conv = m.Conversation(
                    id=_id(), realm=realm.value, customer_id=cust.id, channel=channel.value,
                    assignee_id=users[agent], team_id=fx.teams[team],
                    created_at=when - timedelta(days=1), last_message_at=when,
                )  # fmt: skip
                fx.convs[name] = conv.id
                score = qa.weighted_score(criteria, scores)
                assert score == HAND[name], name  # the formula agrees with the hand
                s.add_all([cust, conv])
                s.flush()
                s.add(
                    m.QaReview(
                        id=_id(), realm=realm.value, conversation_id=conv.id,
                        agent_id=users[agent], reviewer_id=users["sue"], rubric_id=rubric.id,
                        scores=scores, score=score, reviewed_at=when,
                    )
                )  # fmt: skip
            s.commit()
    finally:
        state.engine.dispose()
    return fx


@pytest.fixture(scope="module")
def fx(live: ServerProcess, shared_users: dict[str, TestUser]) -> Iterator[Fx]:
    yield build(live.db_url, {n: str(u.id) for n, u in shared_users.items()})


def get(server: ServerProcess, user: TestUser, path: str = KPIS, **params: Any) -> Any:
    r = Raw.signed_in(server, user).get(path, params={**PERIOD, **params})
    assert r.status_code == 200, r.text
    return r.json()


def qa_of(row: dict[str, Any]) -> tuple[int, float | None]:
    return row["qa_reviews"], row["qa_score"]


def test_qa_score_by_hand(live: ServerProcess, shared_users: dict[str, TestUser], fx: Fx) -> None:
    adm, ann, bob = shared_users["adm"], shared_users["ann"], shared_users["bob"]
    body = get(live, adm)
    # (62.5 + 83.3 + 16.7) / 3 = 54.17
    assert qa_of(body["total"]) == (3, 54.2)
    by_agent = {r["key"]: qa_of(r) for r in get(live, adm, group="agent")["rows"]}
    assert by_agent[ann.id] == (2, 72.9)  # (62.5 + 83.3) / 2
    assert by_agent[bob.id] == (1, 16.7)
    by_team = {r["key"]: qa_of(r) for r in get(live, adm, group="team")["rows"]}
    assert by_team[fx.teams["A"]] == (2, 72.9) and by_team[fx.teams["B"]] == (1, 16.7)
    by_channel = {r["key"]: qa_of(r) for r in get(live, adm, group="channel")["rows"]}
    assert by_channel["email"] == (1, 62.5)  # r3 has no score
    assert by_channel["chat"] == (2, 50.0)  # (83.3 + 16.7) / 2
    days = {d["day"]: qa_of(d) for d in body["series"]}
    assert days == {"2026-11-02": (2, 72.9), "2026-11-03": (1, 16.7), "2026-11-04": (0, None)}
    # An agent sees their own figure only.
    assert qa_of(get(live, ann)["total"]) == (2, 72.9)
    assert qa_of(get(live, bob)["total"]) == (1, 16.7)
    # The drill-down lists the reviewed conversations behind the figure.
    drill = get(live, adm, f"{KPIS}/conversations", metric="qa_reviews")
    assert set(drill["conversation_ids"]) == {fx.convs[n] for n in ("r1", "r2", "r4")}
    definitions = Raw.signed_in(live, ann).get(f"{KPIS}/definitions").json()
    assert "QA score" in definitions["qa_score"]
