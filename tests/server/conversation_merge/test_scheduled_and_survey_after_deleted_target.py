"""A merged conversation whose merge target an administrator deleted since is a hidden shell:
a scheduled reply, a reminder and a web survey answer for it follow ``follow.live`` as inbound
mail does (review r6), never the shell. The scheduled reply is a reply to a deleted
conversation (failed, nothing left in the shell); the reminder comes due; the customer's
survey answer goes where their mail would (their live conversation on the survey's channel,
else a new one born resolved)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, Direction, Role
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.server.conversation_merge import service as merging
from csdesk.server.scheduled import due
from csdesk.server.surveys import answer
from csdesk.server.surveys.rules import SurveyRules
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.types import utcnow


def _id() -> str:
    return str(uuid.uuid4())


class World:
    def __init__(self, s: Session) -> None:
        now = utcnow()
        self.s = s
        self.agent = m.User(id=_id(), username="ann", display_name="Ann",
                            role=Role.AGENT.value, password_hash="x")  # fmt: skip
        self.cust = m.Customer(id=_id(), name="Cus")
        s.add_all([self.agent, self.cust])
        self.src = m.Conversation(id=_id(), customer_id=self.cust.id,
                                  channel=Channel.EMAIL.value, subject="where is it",
                                  message_count=1, created_at=now - timedelta(hours=2),
                                  status=ConversationStatus.RESOLVED.value,
                                  resolved_at=now - timedelta(hours=1))  # fmt: skip
        self.dst = m.Conversation(id=_id(), customer_id=self.cust.id,
                                  channel=Channel.EMAIL.value, subject="b", message_count=1,
                                  created_at=now - timedelta(hours=3))  # fmt: skip
        s.add_all([self.src, self.dst])
        s.flush()
        for c in (self.src, self.dst):
            s.add(m.Message(id=_id(), conversation_id=c.id, channel=c.channel,
                            direction=Direction.IN.value, body_text="x",
                            created_at=now - timedelta(hours=2)))  # fmt: skip
            c.last_inbound_at = now - timedelta(hours=2)
        s.commit()
        merging.merge(s, self.agent, self.src.realm, self.src.id, self.dst.id)
        self.dst.deleted_at = utcnow()  # an administrator deletes the merged conversation
        s.commit()
        s.refresh(self.src)
        assert self.src.merged_into_id == self.dst.id

    def shell_messages(self) -> int:
        return len(
            self.s.scalars(select(m.Message).where(m.Message.conversation_id == self.src.id)).all()
        )


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    engine = make_engine(db_url)
    m.Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield World(s)
    engine.dispose()


def test_a_scheduled_reply_fails_as_to_a_deleted_conversation_not_into_the_shell(
    world: World,
) -> None:
    s, now = world.s, utcnow()
    before = world.shell_messages()
    row = m.ScheduledMessage(id=_id(), conversation_id=world.src.id, author_id=world.agent.id,
                             author_name="Ann", body_text="Your parcel left today.",
                             send_at=now - timedelta(minutes=1))  # fmt: skip
    s.add(row)
    s.commit()
    assert due.send_due(s, now) == [row.id]
    s.commit()
    s.refresh(row)
    assert row.status == ScheduledStatus.FAILED.value
    assert "deleted" in (row.failure_reason or "")
    assert row.message_id is None
    assert world.shell_messages() == before  # nothing in the hidden shell
    assert s.get(m.Message, row.id) is None


def test_a_reminder_comes_due_rather_than_read_the_shell(world: World) -> None:
    s, now = world.s, utcnow()
    # The shell's own last inbound is newer than the reminder: read through ``follow`` the
    # reminder was "answered" by a message nobody sees.
    world.src.last_inbound_at = now - timedelta(minutes=5)
    rem = m.Reminder(id=_id(), owner_id=world.agent.id, conversation_id=world.src.id,
                     due_at=now - timedelta(minutes=1), only_if_no_reply=True,
                     created_at=now - timedelta(minutes=30))  # fmt: skip
    s.add(rem)
    s.commit()
    assert due.remind_due(s, now) == [rem.id]
    s.commit()
    s.refresh(rem)
    assert rem.status == ReminderStatus.DUE.value


def _survey(world: World) -> m.SurveyRequest:
    now = utcnow()
    survey = m.SurveyRequest(id=_id(), conversation_id=world.src.id, customer_id=world.cust.id,
                             channel=Channel.EMAIL.value, resolved_at=now - timedelta(hours=1),
                             sent_at=now - timedelta(minutes=50),
                             expires_at=now + timedelta(days=3))  # fmt: skip
    world.s.add(survey)
    world.s.commit()
    return survey


def test_a_web_survey_answer_opens_a_new_resolved_conversation(world: World) -> None:
    s = world.s
    survey = _survey(world)
    before = world.shell_messages()
    got = answer.take(s, survey, answer.Scores(csat=1, comment="late again"), utcnow(),
                      SurveyRules(), via="page")  # fmt: skip
    s.commit()
    assert got is not None
    assert got.conversation_id not in (world.src.id, world.dst.id)
    placed = s.get(m.Conversation, got.conversation_id)
    assert placed is not None and placed.deleted_at is None and placed.merged_into_id is None
    assert placed.customer_id == world.cust.id
    assert placed.status == ConversationStatus.RESOLVED.value
    note = s.scalars(select(m.Message).where(m.Message.auto_kind == "survey_answer")).one()
    assert note.conversation_id == placed.id
    assert "late again" in note.body_text
    cb = s.scalars(select(m.Callback)).one()  # the low score's follow-up points there too
    assert cb.conversation_id == placed.id
    assert world.shell_messages() == before


def test_a_web_survey_answer_continues_the_customers_live_conversation(world: World) -> None:
    s, now = world.s, utcnow()
    other = m.Conversation(id=_id(), customer_id=world.cust.id, channel=Channel.EMAIL.value,
                           subject="new question", message_count=0,
                           created_at=now, last_message_at=now)  # fmt: skip
    s.add(other)
    s.commit()
    survey = _survey(world)
    got = answer.take(s, survey, answer.Scores(csat=5), now, SurveyRules(), via="page")
    s.commit()
    assert got is not None and got.conversation_id == other.id
    note = s.scalars(select(m.Message).where(m.Message.auto_kind == "survey_answer")).one()
    assert note.conversation_id == other.id
