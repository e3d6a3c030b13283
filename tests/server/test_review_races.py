"""Races an outside review found in issue 9's new code, each pinned down without timing.

The second party is parked on a PostgreSQL row lock (seen in ``pg_stat_activity``), then the
first commits: whatever the second does next is what a real overlap would do.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from csdesk.server.channels import claims
from csdesk.server.chat import service, visitors
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade


def _state(db_url: str) -> ServerState:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    upgrade(state.engine)
    with state.writes() as s:
        ensure_counter(s)
        s.commit()
    return state


def _await(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll ``cond`` (a database condition, no event to wait on) until true."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def _lock_waiters(state: ServerState) -> int:
    with state.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def test_a_transcript_link_opened_twice_at_once_sends_one_transcript(pg_url: str) -> None:
    """Two opens of one single-use link that overlap (a mail scanner and the visitor) both
    read the token before either committed; each queued a transcript (READ COMMITTED)."""
    state = _state(pg_url)
    try:
        with state.writes() as s:
            _token, visitor = visitors.start(s, "Kim")
            service.send(s, visitor, "where is my order?", "c1", None)
            service.leave_email(s, visitor, "kim@example.org")
            plan = service.plan_transcript(s, visitor)
            _id, sent = service.email_transcript(s, plan, "https://shop.example/c?token=")
            proof = s.scalars(select_out(plan.conversation_id)).one()
            s.commit()
        assert not sent
        found = re.search(r"token=([A-Za-z0-9_-]+)", proof)
        assert found is not None
        token = found.group(1)

        first = state.writes()
        assert service.confirm_transcript(first, token) is not None
        first.flush()  # holds the claim's row lock until it commits
        second: list[str | None] = []

        def other_open() -> None:
            with state.writes() as s2:
                second.append(service.confirm_transcript(s2, token))
                s2.commit()

        t = threading.Thread(target=other_open)
        t.start()
        _await(lambda: _lock_waiters(state) >= 1, "the second open to wait on the claim")
        first.commit()
        first.close()
        t.join(30)
        assert not t.is_alive()
        assert second == [None]
        with state.reads() as s:
            transcripts = s.scalar(
                sa.select(sa.func.count())
                .select_from(m.Message)
                .where(m.Message.subject == service.TRANSCRIPT_SUBJECT)
            )
        assert transcripts == 1
    finally:
        state.engine.dispose()


def select_out(conversation_id: str) -> sa.Select[tuple[str]]:
    return sa.select(m.Message.body_text).where(
        m.Message.conversation_id == conversation_id,
        m.Message.subject == service.PROOF_SUBJECT,
    )


def test_overlapping_requests_cannot_mail_an_address_past_its_hourly_share(pg_url: str) -> None:
    """Several visitor sessions asking at once for mail to one address each counted the mails
    already sent before any of them committed, so together they went past the share."""
    state = _state(pg_url)
    address = "lee@example.org"
    try:
        sessions = []
        with state.writes() as s:
            for n in range(claims.ADDRESS_LIMIT + 1):
                _token, visitor = visitors.start(s, f"Visitor {n}")
                service.send(s, visitor, f"spam {n}", "c1", None)
                service.leave_email(s, visitor, address)
                sessions.append(visitor)
            s.commit()
        with state.writes() as s:  # all but one of the share used already
            for visitor in sessions[: claims.ADDRESS_LIMIT - 1]:
                service.email_transcript(s, service.plan_transcript(s, visitor), "https://x/?t=")
            s.commit()

        first = state.writes()
        last_but_one, last = sessions[-2], sessions[-1]
        service.email_transcript(first, service.plan_transcript(first, last_but_one), "u")
        first.flush()
        outcome: list[str] = []

        def other_request() -> None:
            with state.writes() as s2:
                try:
                    service.email_transcript(s2, service.plan_transcript(s2, last), "u")
                    s2.commit()
                    outcome.append("mailed")
                except service.TranscriptRefused:
                    outcome.append("refused")

        t = threading.Thread(target=other_request)
        t.start()
        # Fixed, the second request waits for the first; unfixed it is done (and mailed).
        _await(lambda: _lock_waiters(state) >= 1 or bool(outcome), "the second request to wait")
        first.commit()
        first.close()
        t.join(30)
        assert not t.is_alive()
        assert outcome == ["refused"]
        with state.reads() as s:
            assert claims.mails_to(s, address) == claims.ADDRESS_LIMIT
    finally:
        state.engine.dispose()
