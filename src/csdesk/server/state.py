"""What one server app holds: engine, session factories, notifier, config."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.attachments.store import AttachmentStore
from csdesk.server.auth import cache as auth_cache
from csdesk.server.config import ServerConfig
from csdesk.server.crm import hooks as crm_hooks
from csdesk.server.feed import log as feed_log
from csdesk.server.feed.notifier import Notifier
from csdesk.server.floor import hooks as floor_hooks
from csdesk.storage.db import make_engine, read_session_factory, session_factory

#: SQLite: the WAL size in pages (4 KiB: ~40 MB) at which a commit copies into the database
#: what the background round (``server.wal_checkpoint``) has not yet copied, and the WAL
#: starts over. SQLite's default is 1,000, every page copied inside that commit: copying ten
#: times less often under the write lock was most of issue 10's gain here (docs/perf-push.md).
WAL_BACKSTOP_PAGES = 10_000
#: The bytes of WAL file kept when it starts over (it never shrinks by itself: one burst
#: would otherwise leave its size on disk for good).
WAL_KEEP_BYTES = 64 * 1024 * 1024


@dataclass
class ServerState:
    config: ServerConfig
    engine: Engine
    writes: sessionmaker[Session]
    reads: sessionmaker[Session]
    notifier: Notifier
    attachments: AttachmentStore
    auth: auth_cache.AuthCache

    @classmethod
    def build(cls, config: ServerConfig) -> ServerState:
        # SQLite's WAL is copied into the database by a background round (app.py,
        # ``server.wal_checkpoint``); a commit copies only what is left, and less often.
        engine = make_engine(
            config.db_url,
            wal_autocheckpoint=WAL_BACKSTOP_PAGES,
            journal_size_limit=WAL_KEEP_BYTES,
        )
        notifier = Notifier()
        writes = session_factory(engine)
        feed_log.install(writes, notifier.publish, notifier.pending)
        crm_hooks.install(writes, config.shop_currency)  # figures and timeline, same commit
        floor_hooks.install(writes)  # "On a call" follows the calls, same commit
        attachments = AttachmentStore(config.data_dir / "attachments")
        reads = read_session_factory(engine)

        def lookup(hashes: Sequence[str]) -> dict[str, auth_cache.Verdict]:
            with reads() as s:
                return auth_cache.read_verdicts(s, hashes)

        # Another process on PostgreSQL may revoke a token: trust the cache only while the
        # listener that hears it is connected (app.py). SQLite has one server process.
        trusted = engine.dialect.name != "postgresql"
        auth = auth_cache.AuthCache(config.auth_cache_seconds, lookup, trusted=trusted)
        auth_cache.install(writes, auth)
        return cls(config, engine, writes, reads, notifier, attachments, auth)

    def read_head(self) -> int:
        with self.reads() as s:
            return feed_log.head(s)
