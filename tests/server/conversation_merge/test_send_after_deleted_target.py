"""A reply queued into a merged conversation whose merge target an administrator deleted since
is refused as deleted (docs/merge-split.md), not accepted into the hidden merged-away source."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, Direction, Role
from csdesk.protocol import RejectCode
from csdesk.server.conversation_merge import service as merging
from csdesk.server.sync import mutations
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.types import utcnow


def _id() -> str:
    return str(uuid.uuid4())


def test_reply_into_merged_conversation_whose_target_was_deleted_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    m.Base.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as s:
        agent = m.User(id=_id(), username="ann", display_name="Ann", role=Role.AGENT.value,
                       password_hash="x")  # fmt: skip
        cust = m.Customer(id=_id(), name="Cus")
        s.add_all([agent, cust])
        src = m.Conversation(
            id=_id(),
            customer_id=cust.id,
            channel=Channel.EMAIL.value,
            subject="a",
            message_count=1,
            created_at=now - timedelta(hours=2),
        )
        dst = m.Conversation(
            id=_id(),
            customer_id=cust.id,
            channel=Channel.EMAIL.value,
            subject="b",
            message_count=1,
            created_at=now - timedelta(hours=3),
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
                    created_at=now,
                )
            )
        s.commit()
        merging.merge(s, agent, src.realm, src.id, dst.id)
        dst.deleted_at = utcnow()  # an administrator deletes the merged conversation
        s.commit()

        mid = _id()
        args = mutations.SendArgs(conversation_id=src.id, message_id=mid, body_text="Hello")
        with pytest.raises(mutations.Reject) as refused:
            mutations.send(s, agent, args)
        assert refused.value.code == RejectCode.DELETED
        s.commit()
        sent = s.get(m.Message, mid)
        assert sent is None
