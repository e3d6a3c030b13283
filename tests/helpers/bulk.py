"""Writes many changes straight into a server's database (through its feeding sessions), for
tests and benchmarks that need a flood of changes to sync in."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from csdesk.domain.enums import Direction
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m


def add_inbound_messages(db_url: str, count: int, batch: int = 500) -> int:
    """``count`` new inbound messages spread over the open conversations; returns the head."""
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.reads() as s:
            convs = list(
                s.execute(
                    select(m.Conversation.id, m.Conversation.channel, m.Conversation.realm).where(
                        m.Conversation.status == "open"
                    )
                ).all()
            )
        assert convs, "no open conversation to write to"
        written = 0
        while written < count:
            with state.writes() as s:
                for n in range(min(batch, count - written)):
                    cid, channel, realm = convs[(written + n) % len(convs)]
                    s.add(
                        m.Message(
                            id=str(uuid.uuid4()),
                            realm=realm,
                            conversation_id=cid,
                            channel=channel,
                            direction=Direction.IN.value,
                            body_text=f"Bulk message {written + n}",
                            author_name="Load test",
                            delivery_status="received",
                        )
                    )
                s.commit()
            written += min(batch, count - written)
        return state.read_head()
    finally:
        state.engine.dispose()
