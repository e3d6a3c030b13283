"""What the desk says when a conversation lands in "Mine": new, snooze over, callback due."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from csdesk.app.arrivals import arrival_notice
from csdesk.storage import models as m

NOW = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    m.Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(m.Customer(id="c1", name="Jane Doe"))
        s.commit()
        yield s
    engine.dispose()


def _conv(s: Session, status: str, until: datetime | None, tags: list[str]) -> str:
    conv = m.Conversation(
        id=f"v{len(s.new) + s.query(m.Conversation).count()}",
        customer_id="c1",
        channel="phone",
        subject="Late parcel",
        status=status,
        snoozed_until=until,
        tags=tags,
    )
    s.add(conv)
    s.commit()
    return conv.id


def test_new_snooze_over_and_callback_due(session: Session) -> None:
    new = _conv(session, "open", None, [])
    woke = _conv(session, "open", NOW - timedelta(minutes=1), [])
    due = _conv(session, "open", NOW - timedelta(minutes=1), ["callback"])
    assert arrival_notice(session, new, NOW) == "New conversation for you: Jane Doe — Late parcel"
    assert arrival_notice(session, woke, NOW) == "Snooze over: Jane Doe — Late parcel"
    assert arrival_notice(session, due, NOW) == "Callback due: Jane Doe — Late parcel"
    assert arrival_notice(session, "nope", NOW) is None
