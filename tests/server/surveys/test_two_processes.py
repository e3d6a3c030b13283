"""Two server processes on one PostgreSQL, resolving the same conversations and the same
customer's conversations at once: each resolution is surveyed once, each customer once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from csdesk.domain.enums import Role
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.surveys.support import make_reachable, rows, session


def test_two_processes_never_survey_twice(pg_url: str, tmp_path: Path, secret_key: str) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    bob = TestUser("bob", "bob-password", Role.AGENT)
    add_users(pg_url, [ann, bob])
    made = make_reachable(pg_url, 6)
    # Conversations 3-5 belong to one customer: only one of them may be surveyed.
    with session(pg_url) as s:
        for x in made[4:]:
            conv = s.get(m.Conversation, x.conversation_id)
            assert conv is not None
            conv.customer_id = made[3].customer_id
        s.commit()
    one = ServerProcess(pg_url, log_path=tmp_path / "one.log").start()
    two = ServerProcess(pg_url, log_path=tmp_path / "two.log").start()
    try:
        agents = [Raw.signed_in(one, ann), Raw.signed_in(two, bob)]

        def resolve(job: tuple[int, str]) -> str:
            n, conversation_id = job
            (result,) = agents[n % 2].push(
                (
                    "conversation.set_status",
                    {"conversation_id": conversation_id, "status": "resolved"},
                )
            )
            return str(result["status"])

        jobs = [(n, x.conversation_id) for x in made for n in range(4)]
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(resolve, jobs)) == {"applied"}
    finally:
        one.stop()
        two.stop()
    sent = rows(pg_url, m.SurveyRequest)
    by_conversation = [s.conversation_id for s in sent]
    assert sorted(by_conversation) == sorted(set(by_conversation))  # once per resolution
    assert {s.conversation_id for s in sent} >= {x.conversation_id for x in made[:3]}
    assert len([s for s in sent if s.customer_id == made[3].customer_id]) == 1
    assert len(sent) == 4
    for log in ("one.log", "two.log"):
        assert "Traceback" not in (tmp_path / log).read_text(errors="replace")
