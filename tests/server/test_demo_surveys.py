"""The demo store's survey answers (for the KPI dashboard's CSAT, NPS and CES): only about
resolved production conversations, after their resolution, on their scales; and they leave
every other generated row as it was."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus, Realm
from csdesk.protocol import Entity
from csdesk.server.demo.catalog import load_catalog
from csdesk.server.demo.generate import generate, make_plan
from csdesk.server.demo.surveys import survey_answer
from csdesk.storage import models as m
from tests.server.test_demo import NOW, engine_for


def test_survey_answers_belong_to_resolved_production_conversations(db_url: str) -> None:
    from csdesk.server.demo import seed_demo

    with engine_for(db_url) as engine:
        seed_demo(engine, seed=7, now=NOW)
        with Session(engine) as s:
            pairs = s.execute(
                select(m.SurveyAnswer, m.Conversation).join(
                    m.Conversation, m.Conversation.id == m.SurveyAnswer.conversation_id
                )
            ).all()
            resolved = s.scalars(
                select(m.Conversation.id).where(
                    m.Conversation.status == ConversationStatus.RESOLVED.value,
                    m.Conversation.realm == Realm.PRODUCTION.value,
                )
            ).all()
    assert 0.2 * len(resolved) <= len(pairs) <= 0.6 * len(resolved), (len(pairs), len(resolved))
    for answer, conv in pairs:
        assert conv.realm == answer.realm == Realm.PRODUCTION.value
        assert conv.status == ConversationStatus.RESOLVED.value
        assert answer.customer_id == conv.customer_id
        assert conv.resolved_at is not None and conv.resolved_at <= answer.answered_at <= NOW
        assert answer.csat in range(1, 6)
        assert answer.nps is None or answer.nps in range(11)
        assert answer.ces is None or answer.ces in range(1, 8)
    csats = {a.csat for a, _c in pairs}
    assert {4, 5} & csats and {1, 2, 3} & csats, csats  # satisfied and not
    assert any(a.nps is None for a, _c in pairs)  # a skipped question stays a skip


def test_answers_are_drawn_apart_from_the_stores_stream() -> None:
    plan = make_plan(7, NOW, 20, None, None)
    catalog = load_catalog()
    blocks = list(generate(plan, catalog, "hash"))
    conversations = [c for b in blocks for c in b.rows[Entity.CONVERSATION]]
    answers = [a for b in blocks for a in b.rows[Entity.SURVEY_ANSWER]]
    # Each answer is a function of its conversation alone: the same again, nothing else used.
    again = [survey_answer(c, plan.now) for c in conversations]
    assert [a for a in again if a is not None] == answers
    assert not [
        c
        for c in conversations
        if c["realm"] != Realm.PRODUCTION.value and survey_answer(c, plan.now)
    ]
