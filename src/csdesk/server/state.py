"""What one server app holds: engine, session factories, notifier, config."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.attachments.store import AttachmentStore
from csdesk.server.config import ServerConfig
from csdesk.server.feed import log as feed_log
from csdesk.server.feed.notifier import Notifier
from csdesk.storage.db import make_engine, read_session_factory, session_factory


@dataclass
class ServerState:
    config: ServerConfig
    engine: Engine
    writes: sessionmaker[Session]
    reads: sessionmaker[Session]
    notifier: Notifier
    attachments: AttachmentStore

    @classmethod
    def build(cls, config: ServerConfig) -> ServerState:
        engine = make_engine(config.db_url)
        notifier = Notifier()
        writes = session_factory(engine)
        feed_log.install(writes, notifier.publish)
        attachments = AttachmentStore(config.data_dir / "attachments")
        return cls(config, engine, writes, read_session_factory(engine), notifier, attachments)

    def read_head(self) -> int:
        with self.reads() as s:
            return feed_log.head(s)
