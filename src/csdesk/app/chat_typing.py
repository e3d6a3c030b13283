"""Whether the chat visitor of a conversation is typing ("The customer is typing…")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from csdesk.sync.api import SyncError

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation


def visitor_typing(ws: Workstation, conversation_id: str) -> bool:
    """Network: run on a worker. Offline (or any refusal) shows nobody typing: the notice is
    a courtesy, never a reason to show an error."""
    try:
        return ws.engine.api.visitor_typing(conversation_id)
    except SyncError:
        return False
