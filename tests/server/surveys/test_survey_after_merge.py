"""Surveys whose conversation was merged since: the answer, its note and a follow-up go where the
conversation lives now (not the merged-away one no agent sees), and a digit is an answer only
while that conversation is resolved and the customer has not written there since."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, Direction, IdentityKind, Role
from csdesk.server.conversation_merge import service as merging
from csdesk.server.surveys import digits
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.types import utcnow


def _id() -> str:
    return str(uuid.uuid4())


def test_a_digit_answer_after_a_merge_lands_where_the_conversation_lives_now(db_url: str) -> None:
    engine = make_engine(db_url)
    m.Base.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as s:
        agent = m.User(id=_id(), username="ann", display_name="Ann", role=Role.AGENT.value,
                       password_hash="x")  # fmt: skip
        cust = m.Customer(id=_id(), name="Cus")
        s.add_all([agent, cust])
        s.add(m.CustomerIdentity(id=_id(), customer_id=cust.id, kind=IdentityKind.PHONE.value,
                                 value="+15550001", verified=True))  # fmt: skip
        resolved_at = now - timedelta(hours=1)
        src = m.Conversation(id=_id(), customer_id=cust.id, channel=Channel.SMS.value,
                             subject="a", status=ConversationStatus.RESOLVED.value,
                             resolved_at=resolved_at, message_count=1,
                             created_at=now - timedelta(hours=2))  # fmt: skip
        # The conversation it is merged into is resolved too (an open one is being worked on:
        # a digit there answers an agent, see the next test).
        dst = m.Conversation(
            id=_id(),
            customer_id=cust.id,
            channel=Channel.EMAIL.value,
            subject="b",
            message_count=1,
            created_at=now - timedelta(hours=3),
            status=ConversationStatus.RESOLVED.value,
            resolved_at=now - timedelta(hours=2, minutes=30),
        )
        s.add_all([src, dst])
        s.flush()
        s.add(
            m.Message(
                id=_id(),
                conversation_id=src.id,
                channel=src.channel,
                direction=Direction.IN.value,
                body_text="hi",
                created_at=now - timedelta(hours=2),
            )
        )
        s.add(
            m.Message(
                id=_id(),
                conversation_id=dst.id,
                channel=dst.channel,
                direction=Direction.IN.value,
                body_text="mail",
                created_at=now - timedelta(hours=3),
            )
        )
        survey = m.SurveyRequest(id=_id(), conversation_id=src.id, customer_id=cust.id,
                                 channel=Channel.SMS.value, resolved_at=resolved_at,
                                 sent_at=now - timedelta(minutes=50),
                                 expires_at=now + timedelta(days=3))  # fmt: skip
        s.add(survey)
        s.commit()

        # An agent merges the surveyed SMS conversation into the customer's email conversation.
        merging.merge(s, agent, src.realm, src.id, dst.id)
        s.commit()
        s.refresh(src)
        assert src.merged_into_id == dst.id

        # The customer answers the SMS survey with "1".
        found = digits.pending(s, cust.id, Channel.SMS.value, "1", utcnow())
        assert found is not None
        assert digits.file(s, found[0], found[1], utcnow(), via="sms")
        s.commit()

        note = s.scalars(select(m.Message).where(m.Message.auto_kind == "survey_answer")).one()
        cb = s.scalars(select(m.Callback)).one()
        # Where the conversation lives now, so the agents' thread shows "Customer rated 1/5."
        assert note.conversation_id == dst.id
        assert cb.conversation_id == dst.id


def test_digit_is_not_a_survey_answer_once_the_merged_conversation_is_open_again(
    db_url: str,
) -> None:
    """digits.py: a digit is the survey answer only while the surveyed conversation is still
    resolved by that resolution. Merged into an open conversation (the customer's question is
    being worked on there), the source stays 'resolved' forever, so any digit the customer
    sends (answering an agent's "which of the 5 options?") is swallowed as a survey answer."""
    engine = make_engine(db_url)
    m.Base.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as s:
        agent = m.User(id=_id(), username="ann", display_name="Ann", role=Role.AGENT.value,
                       password_hash="x")  # fmt: skip
        cust = m.Customer(id=_id(), name="Cus")
        s.add_all([agent, cust])
        resolved_at = now - timedelta(hours=1)
        src = m.Conversation(id=_id(), customer_id=cust.id, channel=Channel.SMS.value,
                             subject="a", status=ConversationStatus.RESOLVED.value,
                             resolved_at=resolved_at, message_count=1,
                             created_at=now - timedelta(hours=2))  # fmt: skip
        dst = m.Conversation(
            id=_id(),
            customer_id=cust.id,
            channel=Channel.SMS.value,
            subject="b",
            message_count=1,
            created_at=now - timedelta(minutes=30),
        )
        s.add_all([src, dst])
        s.flush()
        for c in (src, dst):
            s.add(
                m.Message(
                    id=_id(),
                    conversation_id=c.id,
                    channel=c.channel,
                    direction=Direction.IN.value,
                    body_text="x",
                    created_at=c.created_at,
                )
            )
        s.add(m.SurveyRequest(id=_id(), conversation_id=src.id, customer_id=cust.id,
                              channel=Channel.SMS.value, resolved_at=resolved_at,
                              sent_at=now - timedelta(minutes=50),
                              expires_at=now + timedelta(days=3)))  # fmt: skip
        s.commit()
        merging.merge(s, agent, src.realm, src.id, dst.id)
        s.commit()
        s.refresh(dst)
        assert dst.status == ConversationStatus.OPEN.value
        assert digits.pending(s, cust.id, Channel.SMS.value, "2", utcnow()) is None
