"""Per-agent "unread" marks, kept only in this desk's cache (not synced: they are personal)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Engine, MetaData, String, Table, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from csdesk.storage.types import UTCDateTime

local_metadata = MetaData()

read_marks = Table(
    "read_marks",
    local_metadata,
    Column("conversation_id", String(36), primary_key=True),
    Column("read_upto", UTCDateTime(), nullable=False),
)


def ensure(engine: Engine) -> None:
    local_metadata.create_all(engine)


def mark_read(session: Session, conversation_id: str, upto: datetime) -> None:
    stmt = insert(read_marks).values(conversation_id=conversation_id, read_upto=upto)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["conversation_id"], set_={"read_upto": stmt.excluded.read_upto}
        )
    )


def read_upto(session: Session, conversation_id: str) -> datetime | None:
    value: datetime | None = session.scalar(
        select(read_marks.c.read_upto).where(read_marks.c.conversation_id == conversation_id)
    )
    return value
