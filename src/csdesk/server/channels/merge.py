"""Merging two customer profiles that turned out to be one person, and undoing it.

Automatic matching never merges (two profiles claiming one address are for an agent to
settle), so duplicates appear: the chat visitor who later calls from an unknown number.  A
merge moves identities, conversations and orders to the surviving profile and marks the other
``merged_into_id``; the audit entry lists exactly what moved, which is what makes the merge
undoable later even after new conversations arrived on the survivor.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.protocol import MutationType, RejectCode
from csdesk.server.refusals import Refusal
from csdesk.storage import audit
from csdesk.storage import models as m

_FILLED = ("email", "phone")


class MergeRefused(Refusal):
    """The merge, undo or link is not possible; ``message`` is shown to the agent."""


def _customer(session: Session, realm: str, customer_id: str) -> m.Customer:
    cust = session.get(m.Customer, customer_id, with_for_update=True)
    if cust is None or cust.realm != realm:
        raise MergeRefused(RejectCode.NOT_FOUND, "This customer does not exist.")
    return cust


def _live(cust: m.Customer) -> m.Customer:
    if cust.merged_into_id is not None:
        raise MergeRefused(
            RejectCode.DELETED, "{name} was already merged into another profile.", name=cust.name
        )
    return cust


def _ids(session: Session, model: type[Any], customer_id: str) -> list[str]:
    return list(session.scalars(select(model.id).where(model.customer_id == customer_id)))


def _move(session: Session, model: type[Any], ids: list[str], to_customer: str) -> None:
    """Reassign through the ORM, so every moved row reaches the change feed."""
    if not ids:
        return
    for row in session.scalars(select(model).where(model.id.in_(ids))):
        row.customer_id = to_customer


def merge_customers(
    session: Session, actor_id: str | None, realm: str, source_id: str, target_id: str
) -> dict[str, Any]:
    """Fold ``source`` into ``target``; returns the audit record of what moved."""
    if source_id == target_id:
        raise MergeRefused(RejectCode.INVALID, "A customer cannot be merged into itself.")
    source = _live(_customer(session, realm, source_id))
    target = _live(_customer(session, realm, target_id))
    moved = {
        "identities": _ids(session, m.CustomerIdentity, source.id),
        "conversations": _ids(session, m.Conversation, source.id),
        "orders": _ids(session, m.Order, source.id),
    }
    _move(session, m.CustomerIdentity, moved["identities"], target.id)
    _move(session, m.Conversation, moved["conversations"], target.id)
    _move(session, m.Order, moved["orders"], target.id)
    filled: dict[str, str] = {}
    for name in _FILLED:
        value = getattr(source, name)
        if value and not getattr(target, name):
            setattr(target, name, value)
            filled[name] = value
    source.merged_into_id = target.id
    record = {**moved, "filled": filled, "into": target.id}
    audit.record(
        session,
        actor_id,
        MutationType.CUSTOMER_MERGE,
        "customer",
        source.id,
        before={"merged_into_id": None},
        after=record,
    )
    return record


def undo_merge(session: Session, actor_id: str | None, realm: str, source_id: str) -> None:
    """Restore ``source`` with what its latest merge moved (and is still on the survivor)."""
    source = _customer(session, realm, source_id)
    if source.merged_into_id is None:
        raise MergeRefused(
            RejectCode.CONFLICT, "{name} is not merged into anyone.", name=source.name
        )
    target = _customer(session, realm, source.merged_into_id)
    if target.merged_into_id is not None:
        raise MergeRefused(
            RejectCode.CONFLICT,
            "{name} was itself merged into another profile since; undo that merge first.",
            name=target.name,
        )
    entry = session.scalars(
        select(m.AuditEntry)
        .where(
            m.AuditEntry.action == MutationType.CUSTOMER_MERGE.value,
            m.AuditEntry.entity == "customer",
            m.AuditEntry.entity_id == source.id,
        )
        .order_by(m.AuditEntry.id.desc())
        .limit(1)
    ).first()
    record = entry.after if entry is not None else None
    if not record or record.get("into") != target.id:
        raise MergeRefused(RejectCode.CONFLICT, "The record of this merge is missing.")
    back: dict[str, list[str]] = {}
    for key, model in (
        ("identities", m.CustomerIdentity),
        ("conversations", m.Conversation),
        ("orders", m.Order),
    ):
        still_there = [
            i
            for i in session.scalars(
                select(model.id).where(
                    model.id.in_(list(record.get(key, []))), model.customer_id == target.id
                )
            )
        ]
        _move(session, model, still_there, source.id)
        back[key] = still_there
    for name, value in dict(record.get("filled", {})).items():
        if name in _FILLED and getattr(target, name) == value:
            setattr(target, name, None)
    source.merged_into_id = None
    audit.record(
        session,
        actor_id,
        MutationType.CUSTOMER_UNMERGE,
        "customer",
        source.id,
        before={"merged_into_id": target.id},
        after={"moved_back": back},
    )


def link_conversation(
    session: Session, actor_id: str | None, realm: str, conversation_id: str, customer_id: str
) -> None:
    """File one conversation under another customer (it was matched to the wrong person)."""
    conv = session.get(m.Conversation, conversation_id, with_for_update=True)
    if conv is None or conv.realm != realm:
        raise MergeRefused(RejectCode.NOT_FOUND, "This conversation does not exist.")
    if conv.deleted_at is not None:
        raise MergeRefused(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    target = _live(_customer(session, realm, customer_id))
    if conv.customer_id == target.id:
        return
    before = conv.customer_id
    conv.customer_id = target.id
    audit.record(
        session,
        actor_id,
        MutationType.CONVERSATION_LINK_CUSTOMER,
        "conversation",
        conv.id,
        {"customer_id": before},
        {"customer_id": target.id},
    )
