"""The demo's scheduled reply and reminder (docs/scheduled-send.md): seeded for the demo agent
when the demo is anchored now, the reminder a personal feed row of theirs alone; none when the
demo is anchored in the past (it would have gone long ago)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from csdesk.server.demo import seed_demo
from csdesk.server.demo.scheduled import REMINDER_ID, SCHEDULED_ID
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow


def test_demo_now_has_a_scheduled_reply_and_a_reminder_for_demo(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        seed_demo(engine, seed=3, customers=60, conversations=300, messages=600)
        with engine.connect() as conn:
            demo = conn.scalar(select(m.User.id).where(m.User.username == "demo"))
            held = conn.execute(
                select(m.ScheduledMessage).where(m.ScheduledMessage.id == SCHEDULED_ID)
            ).one()
            reminder = conn.execute(select(m.Reminder).where(m.Reminder.id == REMINDER_ID)).one()
            audience = conn.scalar(
                select(m.SyncChange.audience).where(
                    m.SyncChange.entity == "reminder", m.SyncChange.entity_id == REMINDER_ID
                )
            )
        assert held.author_id == demo and held.status == "scheduled" and held.send_at > utcnow()
        assert reminder.owner_id == demo and reminder.status == "pending"
        assert audience == demo  # the demo agent's desk alone
    finally:
        engine.dispose()


def test_demo_anchored_in_the_past_has_none(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        seed_demo(engine, seed=3, customers=20, conversations=40, messages=80,
                  now=datetime(2025, 6, 2, 12, 0, tzinfo=UTC))  # fmt: skip
        with engine.connect() as conn:
            assert conn.scalar(select(m.ScheduledMessage.id)) is None
            assert conn.scalar(select(m.Reminder.id)) is None
    finally:
        engine.dispose()
