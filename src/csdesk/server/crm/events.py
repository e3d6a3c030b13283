"""The profile changes a customer's timeline shows, made from the audit entries of the changes.

Every profile change is audited (``customer.update``, ``customer.merge``, ``customer.unmerge``,
``conversation.link_customer``; a "link to this customer" on a typed identity is audited as
the merge or link it makes). ``events_for`` turns one such entry into the events of each
customer concerned (a merge is news on both profiles), so no handler has to remember to add
them and nothing audited is missing from the timeline.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from csdesk.protocol import MutationType
from csdesk.storage import models as m
from csdesk.storage.types import utcnow


class Kind:
    """``CustomerEvent.kind`` values (the desk words each)."""

    EDITED = "edited"  # data: fields (names of the fields changed)
    MERGED_IN = "merged_in"  # another profile was folded into this one
    MERGED_AWAY = "merged_away"  # this profile was folded into another
    UNMERGED = "unmerged"  # this profile got its own back from the other
    UNMERGED_OUT = "unmerged_out"  # a profile folded into this one was given back
    LINKED_HERE = "conversation_linked_here"  # a conversation was filed under this customer
    LINKED_AWAY = "conversation_linked_away"  # a conversation was filed under another
    ORDER_STATUS = "order_status"  # data: order_id, number, from, to (the store changed it)


ACTIONS = frozenset(
    {
        MutationType.CUSTOMER_UPDATE.value,
        MutationType.CUSTOMER_MERGE.value,
        MutationType.CUSTOMER_UNMERGE.value,
        MutationType.CONVERSATION_LINK_CUSTOMER.value,
    }
)


def _counts(after: dict[str, Any]) -> dict[str, int]:
    return {k: len(after.get(k) or []) for k in ("conversations", "identities", "orders")}


def events_for(session: Session, entry: m.AuditEntry) -> list[m.CustomerEvent]:
    """The timeline events of one audit entry (none for other actions)."""
    if entry.action not in ACTIONS:
        return []
    before, after = dict(entry.before or {}), dict(entry.after or {})
    actor = session.get(m.User, entry.actor_user_id) if entry.actor_user_id else None
    made: list[m.CustomerEvent] = []
    at = entry.at or utcnow()  # set at flush otherwise

    def add(
        customer_id: Any,
        kind: str,
        other_id: Any = None,
        conversation_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        data = dict(data or {})
        cust = session.get(m.Customer, str(customer_id)) if customer_id else None
        if cust is None:
            return
        other = session.get(m.Customer, str(other_id)) if other_id else None
        if other is not None:
            data["other_name"] = other.name
        made.append(
            m.CustomerEvent(
                id=str(uuid.uuid4()),
                realm=cust.realm,
                customer_id=cust.id,
                kind=kind,
                actor_id=actor.id if actor else None,
                actor_name=actor.display_name if actor else "",
                conversation_id=conversation_id,
                other_customer_id=other.id if other else None,
                data=data,
                created_at=at,
                updated_at=at,
            )
        )

    if entry.action == MutationType.CUSTOMER_UPDATE.value:
        add(entry.entity_id, Kind.EDITED, data={"fields": sorted(after)})
    elif entry.action == MutationType.CUSTOMER_MERGE.value:
        into = after.get("into")
        counts = _counts(after)
        add(into, Kind.MERGED_IN, entry.entity_id, data=counts)
        add(entry.entity_id, Kind.MERGED_AWAY, into, data=counts)
    elif entry.action == MutationType.CUSTOMER_UNMERGE.value:
        target = before.get("merged_into_id")
        counts = _counts(dict(after.get("moved_back") or {}))
        add(entry.entity_id, Kind.UNMERGED, target, data=counts)
        add(target, Kind.UNMERGED_OUT, entry.entity_id, data=counts)
    else:  # a conversation filed under another customer
        old, new = before.get("customer_id"), after.get("customer_id")
        conv = session.get(m.Conversation, entry.entity_id)
        subject = conv.subject if conv is not None else ""
        channel = conv.channel if conv is not None else ""
        about = {"subject": subject, "channel": channel}
        add(new, Kind.LINKED_HERE, old, entry.entity_id, about)
        add(old, Kind.LINKED_AWAY, new, entry.entity_id, about)
    return made


def order_status_event(order: m.Order, before: str) -> m.CustomerEvent:
    """An order's status changed (a store's webhook or reconcile, an action done here): one
    event, so the timeline keeps the order's history and not only its latest status."""
    at = utcnow()
    return m.CustomerEvent(
        id=str(uuid.uuid4()),
        realm=order.realm,
        customer_id=order.customer_id,
        kind=Kind.ORDER_STATUS,
        actor_id=None,
        actor_name="",
        data={"order_id": order.id, "number": order.number, "from": before, "to": order.status},
        created_at=at,
        updated_at=at,
    )
