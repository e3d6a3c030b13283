"""Small, explicit test data written through the server's own session factory (so the change
feed records it, exactly as a real write would)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from csdesk.domain.enums import Channel, Direction, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade


@dataclass(frozen=True)
class Made:
    customer_id: str
    conversation_id: str
    message_id: str


def new_id() -> str:
    return str(uuid.uuid4())


def make_conversations(
    db_url: str,
    count: int = 1,
    *,
    realm: Realm = Realm.PRODUCTION,
    channel: Channel = Channel.EMAIL,
) -> list[Made]:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        upgrade(state.engine)
        made = []
        with state.writes() as s:
            ensure_counter(s)
            for n in range(count):
                cust = m.Customer(
                    id=new_id(),
                    realm=realm.value,
                    name=f"Customer {n}",
                    email=f"c{n}-{uuid.uuid4().hex[:6]}@example.com",
                )
                conv = m.Conversation(
                    id=new_id(),
                    realm=realm.value,
                    customer_id=cust.id,
                    channel=channel.value,
                    subject=f"Question {n}",
                    message_count=1,
                )
                msg = m.Message(
                    id=new_id(),
                    realm=realm.value,
                    conversation_id=conv.id,
                    channel=channel.value,
                    direction=Direction.IN.value,
                    body_text=f"Where is my order {n}?",
                    author_name=cust.name,
                    delivery_status="received",
                )
                s.add_all([cust, conv, msg])
                made.append(Made(cust.id, conv.id, msg.id))
            s.commit()
        return made
    finally:
        state.engine.dispose()
