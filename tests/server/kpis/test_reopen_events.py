"""A resolution that is undone is recorded where the server sees it happen: an agent sets a
resolved conversation back to open (over the real push API), the customer writes into it
(``record_inbound``, what every channel's ingestion calls); never for an auto-reply, and
never when the conversation was not resolved. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus
from csdesk.server.channels import conversations as threads
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _reopens(db_url: str, conversation_id: str) -> list[m.ConversationReopen]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return list(
                s.scalars(
                    select(m.ConversationReopen).where(
                        m.ConversationReopen.conversation_id == conversation_id
                    )
                )
            )
    finally:
        engine.dispose()


def test_an_agent_reopening_a_resolved_conversation_is_recorded(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    cid = made.conversation_id
    results = ann.push(
        ("conversation.claim", {"conversation_id": cid}),
        ("conversation.set_status", {"conversation_id": cid, "status": "pending"}),
        ("conversation.set_status", {"conversation_id": cid, "status": "resolved"}),
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    assert _reopens(backend, cid) == []  # pending → resolved undoes nothing
    (reopen,) = ann.push(("conversation.set_status", {"conversation_id": cid, "status": "open"}))
    assert reopen["status"] == "applied"
    (row,) = _reopens(backend, cid)
    assert row.cause == "agent"
    assert row.by_user_id == shared_users["ann"].id
    assert row.assignee_id == shared_users["ann"].id
    assert row.reopened_at >= row.resolved_at


def test_a_customer_message_into_a_resolved_conversation_is_recorded(db_url: str) -> None:
    (made,) = make_conversations(db_url, 1)
    resolved_at = datetime(2026, 11, 2, 12, tzinfo=UTC)
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            conv = s.get(m.Conversation, made.conversation_id)
            assert conv is not None
            conv.status, conv.resolved_at = ConversationStatus.RESOLVED.value, resolved_at
            s.flush()
            later = resolved_at + timedelta(hours=1)
            assert not threads.record_inbound(conv, later, "auto", is_auto=True)
            assert s.scalars(select(m.ConversationReopen)).all() == []
            assert threads.record_inbound(conv, later, "thanks, but", is_auto=False)
            assert conv.status == ConversationStatus.OPEN.value and conv.resolved_at is None
            assert not threads.record_inbound(conv, later, "again", is_auto=False)  # open now
            s.commit()
    finally:
        engine.dispose()
    (row,) = _reopens(db_url, made.conversation_id)
    assert (row.cause, row.resolved_at, row.by_user_id) == ("customer", resolved_at, None)
    assert row.reopened_at == resolved_at + timedelta(hours=1)
