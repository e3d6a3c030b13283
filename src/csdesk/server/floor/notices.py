"""News for one user's desk from the server itself: a quality review of their work, a comment
on or an assignment of a training session. Written as a floor message (``FloorMessage``), so
it reaches the desk through the change feed like a supervisor's message, is shown and
announced there, and waits in the feed while the desk is offline.

One notice per event: its id is derived from ``key`` (the event's own id), so a mutation
applied again adds nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from csdesk.domain.phrase import Phrase
from csdesk.server.deps import realm_of
from csdesk.storage import models as m

#: Namespace of notice ids (uuid5 of the event's key).
_NAMESPACE = uuid.UUID("4a0f3f5e-9a51-4d35-a51b-6b7f0c1d2e93")


def notice_id(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, key))


def notify(session: Session, to_user_id: str, sender: m.User, body: Phrase, key: str) -> None:
    """Tell ``to_user_id``'s desk ``body``, from ``sender``; nothing to a user who is gone or
    disabled, to the sender themself, or for a ``key`` already told. The desk shows the
    phrase in its language; ``body`` keeps the English text (older desks)."""
    target = session.get(m.User, to_user_id)
    if target is None or not target.active or target.id == sender.id:
        return
    ident = notice_id(key)
    if session.get(m.FloorMessage, ident) is not None:
        return
    session.add(
        m.FloorMessage(
            id=ident,
            realm=realm_of(target),
            to_user_id=target.id,
            from_user_id=sender.id,
            from_name=sender.display_name,
            body=body.text[:2000],
            body_phrases=[body.as_json()],
        )
    )
