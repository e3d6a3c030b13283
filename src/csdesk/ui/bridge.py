"""Sync events from the engine's threads become Qt signals on the GUI thread (the idea of
Electrum's ``qt_event_listener``)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from csdesk.sync.events import ChangeSet, Rejection, SyncEvent, SyncStatus


class SyncBridge(QObject):
    """Signals: ``status(SyncStatus)``, ``changes(ChangeSet)``, ``rejected(Rejection)``.

    Emitting from a sync thread on an object that lives on the GUI thread queues the call, so
    slots always run on the GUI thread."""

    status = Signal(object)
    changes = Signal(object)
    rejected = Signal(object)

    def on_sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, SyncStatus):
            self.status.emit(event)
        elif isinstance(event, ChangeSet):
            self.changes.emit(event)
        elif isinstance(event, Rejection):
            self.rejected.emit(event)
