"""Helpers for the survey tests: a live server with a known link key, and database reads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.data import Made, make_conversations, new_id

LINK = re.compile(r"/survey/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


@contextmanager
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            yield s
    finally:
        engine.dispose()


def surveys(db_url: str, conversation_id: str) -> list[m.SurveyRequest]:
    with session(db_url) as s:
        return list(
            s.scalars(
                select(m.SurveyRequest).where(m.SurveyRequest.conversation_id == conversation_id)
            )
        )


def messages(db_url: str, conversation_id: str) -> list[m.Message]:
    with session(db_url) as s:
        return list(
            s.scalars(
                select(m.Message)
                .where(m.Message.conversation_id == conversation_id)
                .order_by(m.Message.created_at)
            )
        )


def rows(db_url: str, model: Any, **where: Any) -> list[Any]:
    with session(db_url) as s:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return list(s.scalars(stmt))


def token_in(text: str) -> str:
    found = LINK.search(text)
    assert found is not None, text
    return found.group(1)


def survey_message(db_url: str, conversation_id: str) -> m.Message:
    (msg,) = [x for x in messages(db_url, conversation_id) if x.auto_kind == "survey"]
    return msg


def make_team(db_url: str, name: str, supervisor_id: str, *member_ids: str) -> str:
    with session(db_url) as s:
        team = m.Team(id=new_id(), name=f"{name} {uuid.uuid4().hex[:6]}")
        s.add(team)
        s.flush()
        for uid in (supervisor_id, *member_ids):
            user = s.get(m.User, uid)
            assert user is not None
            user.team_id = team.id
        s.commit()
        return team.id


def set_conversation(db_url: str, conversation_id: str, **values: Any) -> None:
    with session(db_url) as s:
        conv = s.get(m.Conversation, conversation_id)
        assert conv is not None
        for key, value in values.items():
            setattr(conv, key, value)
        s.commit()


def make_reachable(db_url: str, count: int = 1, **kw: Any) -> list[Made]:
    """Conversations whose customers have an email address (an email survey can go)."""
    made = make_conversations(db_url, count, **kw)
    with session(db_url) as s:
        for x in made:
            cust = s.get(m.Customer, x.customer_id)
            assert cust is not None and cust.email
            s.add(
                m.CustomerIdentity(
                    id=new_id(),
                    realm=cust.realm,
                    customer_id=x.customer_id,
                    kind="email",
                    value=cust.email,
                )
            )
        s.commit()
    return made
