"""Customers read from the local cache for the agent's edits: the merge chooser's matches and
the preview of what a merge would move (the same rows ``server/channels/merge.py`` moves)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from csdesk.storage import models as m


@dataclass(frozen=True, slots=True)
class CustomerChoice:
    """One line of the chooser: who, and what tells two namesakes apart."""

    id: str
    name: str
    email: str | None
    phone: str | None
    conversations: int


@dataclass(frozen=True, slots=True)
class MergePreview:
    source_name: str
    target_name: str
    conversations: int
    identities: tuple[tuple[str, str], ...]  # (kind, value)
    orders: tuple[str, ...]  # order numbers
    filled: tuple[tuple[str, str], ...]  # (field, value) the kept profile gains


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_customers(
    session: Session, query: str, exclude: str | None = None, limit: int = 50
) -> list[CustomerChoice]:
    """Live profiles (not merged away) whose name, email, phone or an identity holds
    ``query`` (any case); all of them, by name, for an empty query."""
    c = m.Customer
    stmt = select(c.id, c.name, c.email, c.phone).where(c.merged_into_id.is_(None))
    if exclude:
        stmt = stmt.where(c.id != exclude)
    text = query.strip()
    if text:
        pattern = _like(text.lower())
        in_identity = (
            select(m.CustomerIdentity.customer_id)
            .where(func.lower(m.CustomerIdentity.value).like(pattern, escape="\\"))
            .scalar_subquery()
        )
        stmt = stmt.where(
            or_(
                func.lower(c.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(c.email, "")).like(pattern, escape="\\"),
                func.coalesce(c.phone, "").like(pattern, escape="\\"),
                c.id.in_(in_identity),
            )
        )
    rows = session.execute(stmt.order_by(c.name, c.id).limit(limit)).all()
    counts = dict(
        session.execute(
            select(m.Conversation.customer_id, func.count())
            .where(
                m.Conversation.customer_id.in_([r.id for r in rows]),
                m.Conversation.deleted_at.is_(None),
            )
            .group_by(m.Conversation.customer_id)
        ).all()
    )
    return [CustomerChoice(r.id, r.name, r.email, r.phone, int(counts.get(r.id, 0))) for r in rows]


def merge_preview(session: Session, source_id: str, target_id: str) -> MergePreview | None:
    """What folding ``source`` into ``target`` moves, as this desk's copy knows it."""
    source = session.get(m.Customer, source_id)
    target = session.get(m.Customer, target_id)
    if source is None or target is None:
        return None
    conversations = session.scalar(
        select(func.count()).where(
            m.Conversation.customer_id == source_id, m.Conversation.deleted_at.is_(None)
        )
    )
    identities = session.execute(
        select(m.CustomerIdentity.kind, m.CustomerIdentity.value)
        .where(m.CustomerIdentity.customer_id == source_id)
        .order_by(m.CustomerIdentity.kind, m.CustomerIdentity.value)
    ).all()
    orders = session.scalars(
        select(m.Order.number).where(m.Order.customer_id == source_id).order_by(m.Order.number)
    ).all()
    filled = tuple(
        (name, str(getattr(source, name)))
        for name in ("email", "phone")
        if getattr(source, name) and not getattr(target, name)
    )
    return MergePreview(
        source_name=source.name,
        target_name=target.name,
        conversations=int(conversations or 0),
        identities=tuple((str(k), str(v)) for k, v in identities),
        orders=tuple(str(n) for n in orders),
        filled=filled,
    )
