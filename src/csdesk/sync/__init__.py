"""The client side of sync: HTTP API, local cache, outbox, optimistic effects, engine. No Qt.

Typical wiring (done once by ``ui/app.py``)::

    cache = LocalCache(data_dir / "cache-<server>-<user>.sqlite")
    engine = SyncEngine(cache, SyncApi(server_url, token_from_keyring))
    engine.add_listener(bridge.on_sync_event)   # SyncStatus | ChangeSet | Rejection
    engine.start()
    engine.enqueue(MutationType.MESSAGE_SEND, {"conversation_id": cid, "body_text": text})
"""

from csdesk.sync.api import (
    CursorAhead,
    LoginResult,
    Offline,
    ServerError,
    SessionExpired,
    Snapshot,
    SyncApi,
    SyncError,
    Throttled,
    TlsError,
    Viewer,
    WrongCredentials,
)
from csdesk.sync.cache import LocalCache
from csdesk.sync.engine import Backoff, CacheOwnerMismatch, SyncEngine
from csdesk.sync.events import ChangeSet, Rejection, SyncEvent, SyncState, SyncStatus
from csdesk.sync.outbox import Outbox, OutboxCounts, OutboxEntry

__all__ = [
    "Backoff",
    "CacheOwnerMismatch",
    "ChangeSet",
    "CursorAhead",
    "LocalCache",
    "LoginResult",
    "Offline",
    "Outbox",
    "OutboxCounts",
    "OutboxEntry",
    "Rejection",
    "ServerError",
    "SessionExpired",
    "Snapshot",
    "SyncApi",
    "SyncEngine",
    "SyncError",
    "SyncEvent",
    "SyncState",
    "SyncStatus",
    "Throttled",
    "TlsError",
    "Viewer",
    "WrongCredentials",
]
