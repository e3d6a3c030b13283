"""The demo's mentions (docs/mentions.md): three of the demo store's internal notes by other
agents mention the demo agent — two unread, one read — so ``make run`` shows the Mentions view
(Ctrl+Alt+Shift+M) with something in it. No note is added: the rows point at existing notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import mentions as rules
from csdesk.domain.enums import Realm
from csdesk.server.demo.staff import MARKER_USER
from csdesk.server.feed import log as feed
from csdesk.storage import models as m

#: How many of the demo agent's mentions are seeded, and how many of them already read.
MENTIONS, READ = 3, 1


def seed_mentions(s: Session, at: datetime) -> int:
    demo = s.scalar(select(m.User).where(m.User.username == MARKER_USER))
    if demo is None:
        return 0
    notes = s.scalars(
        select(m.Message)
        .where(
            m.Message.is_note.is_(True),
            m.Message.realm == Realm.PRODUCTION.value,
            m.Message.author_user_id.is_not(None),
            m.Message.author_user_id != demo.id,
        )
        .order_by(m.Message.created_at.desc(), m.Message.id)
        .limit(MENTIONS)
    ).all()
    rows = []
    for n, note in enumerate(notes):
        rows.append(
            m.Mention(
                id=rules.mention_id(note.id, demo.id),
                realm=note.realm,
                user_id=demo.id,
                by_user_id=note.author_user_id or "",
                by_name=note.author_name or "",
                conversation_id=note.conversation_id,
                message_id=note.id,
                excerpt=rules.excerpt(note.body_text),
                created_at=note.created_at,
                updated_at=note.created_at,
                read_at=at if n >= MENTIONS - READ else None,
            )
        )
    s.add_all(rows)
    s.flush()
    feed.append(s, [feed.item_for(r) for r in rows])
    return len(rows)
