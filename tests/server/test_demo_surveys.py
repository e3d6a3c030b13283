"""The demo's survey answers: believable, over the weeks of resolved conversations, and only
where a survey would have gone (production, resolved, surveyed channels). On both databases."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.protocol import Entity
from csdesk.server.demo import seed_demo
from csdesk.server.demo import surveys as demo_surveys
from csdesk.server.demo.catalog import load_catalog
from csdesk.server.demo.common import ENTITY_ORDER
from csdesk.server.demo.generate import generate, make_plan
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.server.test_demo import NOW


def test_the_demo_has_weeks_of_believable_answers(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        seed_demo(engine, seed=7, customers=120, now=NOW)
        with Session(engine) as s:
            rows = s.execute(select(m.SurveyAnswer, m.Conversation).join(m.Conversation)).all()
    finally:
        engine.dispose()
    assert len(rows) >= 20
    weeks = set()
    csat: Counter[int] = Counter()
    for answer, conv in rows:
        assert answer.realm == conv.realm == "production"
        assert conv.status == "resolved" and conv.channel in ("email", "sms", "whatsapp", "chat")
        assert conv.resolved_at is not None and conv.resolved_at < answer.answered_at < NOW
        assert answer.customer_id == conv.customer_id
        assert answer.csat is not None and 1 <= answer.csat <= 5
        assert answer.nps is None or 0 <= answer.nps <= 10
        assert answer.ces is None or 1 <= answer.ces <= 7
        weeks.add(answer.answered_at.isocalendar()[:2])
        csat[answer.csat] += 1
    assert len(weeks) >= 3, weeks
    assert csat[5] + csat[4] > csat[1] + csat[2] > 0  # mostly content, some not
    assert any(a.nps is None for a, _ in rows) and any(a.nps is not None for a, _ in rows)
    assert any(a.comment for a, _ in rows)


def test_answers_leave_the_rest_of_the_demo_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Their own random streams: every other row is the same as without them, and the
    answers are the same for the same seed."""
    plan = make_plan(5, NOW, 40, None, None)
    blocks = list(generate(plan, load_catalog(), "hash"))
    answers = [r for b in blocks for r in b.rows[Entity.SURVEY_ANSWER]]
    assert answers, "a 40-customer store has some answers"
    again = list(generate(plan, load_catalog(), "hash"))
    assert [r for b in again for r in b.rows[Entity.SURVEY_ANSWER]] == answers
    monkeypatch.setattr(demo_surveys, "add_answers", lambda _block, _now: None)
    without = list(generate(plan, load_catalog(), "hash"))
    for entity in ENTITY_ORDER:
        if entity != Entity.SURVEY_ANSWER:
            mine = [r for b in blocks for r in b.rows[entity]]
            assert mine == [r for b in without for r in b.rows[entity]], entity
    assert not any(b.rows[Entity.SURVEY_ANSWER] for b in without)
