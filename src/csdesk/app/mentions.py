"""The desk's use cases for @mentions (docs/mentions.md): whom the composer offers, this
agent's mentions as sentences for the Mentions view, marking one read. Queries run on workers
and read the local cache only, so the view works offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from csdesk.app.when import moment
from csdesk.domain.access import can_read, realm_of_role
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation


@dataclass(frozen=True, slots=True)
class MentionItem:
    """One mention of this agent, ready to list: ``sentence`` is plain text."""

    id: str
    conversation_id: str
    message_id: str
    unread: bool
    sentence: str


def teammates(ws: Workstation) -> list[tuple[str, str]]:
    """(user id, display name) of everyone this agent may mention: active users who can read
    this agent's conversations, this agent left out, by name."""
    realm = realm_of_role(ws.me.role).value
    with ws.cache.session() as s:
        users = s.scalars(select(m.User).where(m.User.active.is_not(False))).all()
        found = [
            (u.id, u.display_name)
            for u in users
            if u.id != ws.me.id and u.display_name and can_read(u.role, realm)
        ]
    return sorted(found, key=lambda p: (p[1].casefold(), p[0]))


def sentence(
    by: str, customer: str, subject: str, at: datetime, excerpt: str, now: datetime, unread: bool
) -> str:
    """ "Unread. Dana Agent mentioned you in Alice Doe's conversation "Broken lamp", 14:02: …"."""
    where = (
        _("{by} mentioned you in {customer}'s conversation “{subject}”").format(
            by=by, customer=customer, subject=subject
        )
        if subject
        else _("{by} mentioned you in a conversation with {customer}").format(
            by=by, customer=customer
        )
    )
    text = _("{where}, {when}: {excerpt}").format(
        where=where, when=moment(at, now), excerpt=excerpt or _("(empty note)")
    )
    return _("Unread. {text}").format(text=text) if unread else text


def my_mentions(ws: Workstation, now: datetime) -> list[MentionItem]:
    """This agent's mentions, unread first, each group newest first."""
    with ws.cache.session() as s:
        rows = s.scalars(select(m.Mention).where(m.Mention.user_id == ws.me.id)).all()
        out = []
        for r in rows:
            conv = s.get(m.Conversation, r.conversation_id)
            cust = s.get(m.Customer, conv.customer_id) if conv is not None else None
            customer = cust.name if cust is not None and cust.name else _("Unknown customer")
            subject = (conv.subject or conv.preview or "") if conv is not None else ""
            unread = r.read_at is None
            out.append(
                (
                    not unread,
                    -r.created_at.timestamp(),
                    MentionItem(
                        r.id,
                        r.conversation_id,
                        r.message_id,
                        unread,
                        sentence(
                            r.by_name, customer, subject, r.created_at, r.excerpt, now, unread
                        ),
                    ),
                )
            )
    out.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in out]


def unread_ids(ws: Workstation) -> set[str]:
    """The ids of this agent's unread mentions."""
    with ws.cache.session() as s:
        return set(
            s.scalars(
                select(m.Mention.id).where(
                    m.Mention.user_id == ws.me.id, m.Mention.read_at.is_(None)
                )
            )
        )


def arrival(ws: Workstation, mention_id: str) -> str | None:
    """What to announce as the mention ``mention_id`` arrives."""
    with ws.cache.session() as s:
        r = s.get(m.Mention, mention_id)
        if r is None:
            return None
        conv = s.get(m.Conversation, r.conversation_id)
        cust = s.get(m.Customer, conv.customer_id) if conv is not None else None
        customer = cust.name if cust is not None and cust.name else _("Unknown customer")
        return _("{by} mentioned you about {customer}: {excerpt}").format(
            by=r.by_name, customer=customer, excerpt=r.excerpt
        )


def mark_read(ws: Workstation, mention_id: str) -> ChangeSet:
    """Queue ``mention.read`` (shown read at once; synced through the outbox)."""
    ws.engine.enqueue(MutationType.MENTION_READ, {"mention_id": mention_id})
    return ChangeSet.of([(Entity.MENTION, mention_id)])
