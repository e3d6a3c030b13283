"""A merge closes its source conversation, but that is no resolution (docs/kpis.md): the
merged-away conversation is not a contact of its own, not resolved, not in the resolution
rate, first-contact resolution or resolution time; the conversation it went into counts
once, with the moved messages. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from csdesk.domain.enums import Channel, Direction, Realm
from csdesk.protocol import MutationType
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

KPIS = "/api/v1/kpis"


def _new() -> str:
    return str(uuid.uuid4())


def _seed(db_url: str, agent_id: str, now: datetime) -> tuple[str, str, str]:
    """A team of its own and one customer's email and chat conversations, each with the
    customer's question and one agent reply; (team, email, chat)."""
    team = m.Team(id=_new(), name=f"Merge KPIs {_new()[:8]}")
    cust = m.Customer(id=_new(), realm=Realm.PRODUCTION.value, name="Kip Merge")
    rows: list[Any] = [team, cust]
    ids = []
    for n, channel in enumerate((Channel.EMAIL, Channel.CHAT)):
        start = now - timedelta(minutes=20 - 10 * n)
        conv = m.Conversation(
            id=_new(), customer_id=cust.id, channel=channel.value, subject="Parcel",
            team_id=team.id, assignee_id=agent_id, message_count=2, created_at=start,
            last_message_at=start + timedelta(minutes=2),
            first_response_at=start + timedelta(minutes=2),
        )  # fmt: skip
        rows.append(conv)
        ids.append(conv.id)
        for minutes, direction in ((0, Direction.IN), (2, Direction.OUT)):
            rows.append(
                m.Message(
                    id=_new(),
                    conversation_id=conv.id,
                    channel=channel.value,
                    direction=direction.value,
                    body_text=f"{channel.value} {minutes}",
                    author_name="x",
                    delivery_status="received",
                    author_user_id=agent_id if direction == Direction.OUT else None,
                    created_at=start + timedelta(minutes=minutes),
                )
            )
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            s.add(team)
            s.flush()
            s.add_all(rows[1:])
            s.commit()
    finally:
        state.engine.dispose()
    return team.id, ids[0], ids[1]


def test_a_merged_away_conversation_is_not_a_resolution(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ann, adm = shared_users["ann"], shared_users["adm"]
    team, email, chat = _seed(backend, ann.id, now)
    (res,) = Raw.signed_in(live, ann).push(
        (
            MutationType.CONVERSATION_MERGE.value,
            {"source_conversation_id": chat, "target_conversation_id": email},
        )
    )
    assert res["status"] == "applied", res
    period = {
        "period": "custom",
        "from": (now - timedelta(days=1)).date().isoformat(),
        "to": (now + timedelta(days=1)).date().isoformat(),
        "team": team,
    }
    api = Raw.signed_in(live, adm)
    r = api.get(KPIS, params=period)
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert total["contacts"] == 1  # one customer question, counted once
    assert total["created_resolved"] == 0 and total["resolution_rate"] == 0
    assert total["resolved"] == 0 and total["resolution_avg_seconds"] is None
    assert total["fcr_eligible"] == 0 and total["resolutions"] == 0
    for metric in ("contacts", "created_resolved", "resolved", "fcr_eligible", "resolutions"):
        r = api.get(f"{KPIS}/conversations", params={**period, "metric": metric})
        assert r.status_code == 200, r.text
        assert chat not in r.json()["conversation_ids"], metric
    # The work on both stays counted, in the conversation it is in now.
    r = api.get(f"{KPIS}/conversations", params={**period, "metric": "messaging_handled"})
    assert r.json()["conversation_ids"] == [email]
