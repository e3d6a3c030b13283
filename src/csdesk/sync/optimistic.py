"""The local effect of each mutation, and the rebase that keeps local actions on top of the feed.

The agent must see their action at once, offline or not, and a pull must never make it flicker
away. The cache therefore holds *server truth plus replayed local actions*:

* before a local action first touches an entity, its current row (server truth) is copied into
  ``shadow``;
* a pulled page writes server truth into the entity tables *and* into the shadows it hits;
* ``rebase`` restores every shadowed entity from its shadow, then replays every replayable
  action (pending, or acked by the server but not yet seen in the feed) in outbox order.

Rebasing from server truth makes replay exact, not merely idempotent: ``message_count`` is
incremented once per pending reply however often a rebase runs. An action stops being replayed
when it is rejected (the agent's change reverts to server truth at once, even offline) or when
the cursor reaches the seq the server committed it at (from then on the feed itself carries it).
The effects mirror ``server/sync/mutations.py``; where the server would reject, they change
nothing and let the rejection explain why. Effects use the time the action was taken, so a
replay reproduces the same row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from csdesk.customer_rules import FieldError, clean_fields
from csdesk.domain import agent_status
from csdesk.domain.enums import (
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Priority,
    Realm,
)
from csdesk.domain.order_actions import OrderActionStatus
from csdesk.domain.tags import edit_tags
from csdesk.protocol import Entity, MutationType
from csdesk.sync import (
    conversation_merge_effects,  # merging conversations (merge-split.md)
    macro_effects,
    mention_effects,  # mentions (docs/mentions.md)
    qa_effects,
    side_effects,  # side conversations (docs/side-conversations.md)
)
from csdesk.sync.sched_effects import EFFECTS as SCHED_EFFECTS  # docs/scheduled-send.md
from csdesk.sync.sched_effects import REQUIRED_ARGS as SCHED_ARGS
from csdesk.sync.sched_effects import affected as sched_affected
from csdesk.sync.tables import (
    CACHE_TABLES,
    delete_rows,
    get_row,
    get_state,
    outbox,
    put_wire,
    shadow,
    upsert_rows,
    wire_of,
)

Pair = tuple[Entity, str]

#: Arguments each mutation type cannot do without; checked before anything is queued.
REQUIRED_ARGS: Mapping[MutationType, tuple[str, ...]] = {
    MutationType.MESSAGE_SEND: ("conversation_id", "message_id", "body_text"),
    MutationType.CONVERSATION_CLAIM: ("conversation_id",),
    MutationType.CONVERSATION_ASSIGN: ("conversation_id",),
    MutationType.CONVERSATION_STATUS: ("conversation_id", "status"),
    MutationType.CONVERSATION_PRIORITY: ("conversation_id", "priority"),
    MutationType.CONVERSATION_TAGS: ("conversation_id",),
    MutationType.CONVERSATION_DELETE: ("conversation_id",),
    MutationType.CUSTOMER_UPDATE: ("customer_id", "fields"),
    MutationType.CALL_TAKE: ("call_id",),
    MutationType.CALL_WRAP_UP: ("call_id", "disposition"),
    MutationType.CUSTOMER_LINK_MATCH: ("claim_id", "conversation_id"),
    MutationType.CUSTOMER_MERGE: ("source_customer_id", "target_customer_id"),
    MutationType.CUSTOMER_UNMERGE: ("customer_id",),
    MutationType.CONVERSATION_LINK_CUSTOMER: ("conversation_id", "customer_id"),
    MutationType.ORDER_ACT: ("action_id", "order_id", "kind"),
    MutationType.ORDER_ACTION_DECIDE: ("action_id",),
    MutationType.CUSTOMER_GOODWILL: ("customer_id",),
    MutationType.CALL_PLACE: ("call_id", "customer_id", "number"),
    MutationType.USER_SET_CALL_PHONE: (),
    MutationType.CALLBACK_SCHEDULE: ("callback_id", "customer_id", "due_at"),
    MutationType.CALLBACK_UPDATE: ("callback_id",),
    MutationType.CALLBACK_CANCEL: ("callback_id",),
    MutationType.CALLBACK_TAKE: ("callback_id",),
    MutationType.CONVERSATION_START: ("conversation_id", "message_id", "customer_id", "channel"),
    MutationType.OUTREACH_SEND: ("outreach_id", "conversation_id", "message_id"),
    MutationType.OUTREACH_DISMISS: ("outreach_id",),
    # The training review (issue 12): nothing of it is in the desk's cache but the published
    # scenarios, which the feed brings back once the server has checked them.
    MutationType.TRAINING_RECORD: ("result_id", "scenario"),
    MutationType.TRAINING_COMMENT: ("comment_id", "result_id", "body"),
    MutationType.TRAINING_ASSIGN: ("assignment_id", "trainee_id", "scenario"),
    MutationType.TRAINING_UNASSIGN: ("assignment_id",),
    MutationType.TRAINING_PUBLISH: ("source",),
    MutationType.QA_RUBRIC_SAVE: ("rubric_id", "name", "criteria"),
    MutationType.QA_REVIEW_SAVE: ("review_id", "conversation_id", "rubric_id"),
    MutationType.AGENT_SET_STATUS: ("status",),
    MutationType.FLOOR_MESSAGE_SEND: ("message_id", "to_user_id", "body"),
    # Routing (docs/routing.md): no local effect; the feed brings the server's rows back.
    MutationType.ROUTING_RULE_SAVE: ("rule_id", "name", "actions"),
    MutationType.ROUTING_RULE_MOVE: ("rule_id", "direction"),
    MutationType.ROUTING_RULE_DELETE: ("rule_id",),
    MutationType.AGENT_SKILLS_SET: ("user_id",),
    # The SLA policy (docs/sla.md): the feed brings the saved rows back.
    MutationType.SLA_POLICY_SAVE: ("policy",),
    MutationType.SLA_HOURS_SAVE: ("team_id",),
    # The knowledge base (docs/knowledge-base.md): the feed brings the saved rows back.
    MutationType.KB_ARTICLE_SAVE: ("article_id", "variants"),
    MutationType.KB_ARTICLE_DELETE: ("article_id",),
    # Canned responses and macros (docs/macros.md): shown at once (``macro_effects``).
    **macro_effects.REQUIRED_ARGS,
    # Mentions (docs/mentions.md): read at once (``mention_effects``).
    **mention_effects.REQUIRED_ARGS,
    # Merging and splitting conversations (docs/merge-split.md): ``conversation_merge_effects``.
    **conversation_merge_effects.REQUIRED_ARGS,
    # Scheduled send and reminders (docs/scheduled-send.md): shown at once (``sched_effects``).
    **SCHED_ARGS,
    # Deleting a quality review (docs/qa.md): gone from the cache at once (``qa_effects``).
    MutationType.QA_REVIEW_DELETE: ("review_id",),
    # --- side conversations (docs/side-conversations.md): listed at once (``side_effects``) ---
    **side_effects.REQUIRED_ARGS,
}

#: Customer columns ``customer.update`` may set (the server's ``CustomerFields``).
CUSTOMER_FIELDS = frozenset(
    {"name", "email", "phone", "language", "timezone", "tags", "loyalty_tier",
     "loyalty_points", "notes", "contact_opt_out"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LocalMutation:
    id: str
    type: str
    args: Mapping[str, Any]
    at: datetime  # when the agent acted; the effect's timestamps


@dataclass(frozen=True, slots=True)
class Me:
    """The signed-in agent, as the effects need them (author of replies, claimer)."""

    id: str | None
    display_name: str

    @classmethod
    def load(cls, session: Session) -> Me:
        user = get_state(session, "user") or {}
        return cls(user.get("id"), str(user.get("display_name") or user.get("username") or ""))


def affected(mtype: str, args: Mapping[str, Any]) -> list[Pair]:
    """The entities a mutation changes: what a rejection re-reads and a change set names."""
    if mtype == MutationType.MESSAGE_SEND:
        return [
            (Entity.CONVERSATION, str(args["conversation_id"])),
            (Entity.MESSAGE, str(args["message_id"])),
        ]
    if mtype in (MutationType.ORDER_ACT, MutationType.ORDER_ACTION_DECIDE):
        return [(Entity.ORDER_ACTION, str(args["action_id"]))]
    if mtype == MutationType.CUSTOMER_GOODWILL:
        return [(Entity.CUSTOMER, str(args["customer_id"]))]
    if mtype in (MutationType.CUSTOMER_UPDATE, MutationType.CUSTOMER_UNMERGE):
        return [(Entity.CUSTOMER, str(args["customer_id"]))]
    if mtype == MutationType.CUSTOMER_MERGE:
        # What moves with them depends on the cache; the effect shadows and names those.
        return [
            (Entity.CUSTOMER, str(args["source_customer_id"])),
            (Entity.CUSTOMER, str(args["target_customer_id"])),
        ]
    if mtype in (MutationType.CALL_TAKE, MutationType.CALL_WRAP_UP):
        return [(Entity.CALL, str(args["call_id"]))]
    if mtype == MutationType.CONVERSATION_LINK_CUSTOMER:
        return [
            (Entity.CONVERSATION, str(args["conversation_id"])),
            (Entity.CUSTOMER, str(args["customer_id"])),
        ]
    if mtype == MutationType.CUSTOMER_LINK_MATCH:
        return [
            (Entity.IDENTITY_CLAIM, str(args["claim_id"])),
            (Entity.CONVERSATION, str(args["conversation_id"])),
        ]
    if str(mtype).startswith("callback."):
        return [(Entity.CALLBACK, str(args["callback_id"]))]
    if mtype == MutationType.CALL_PLACE:
        return [(Entity.CALL, str(args["call_id"]))]
    if mtype == MutationType.USER_SET_CALL_PHONE:
        return []
    if mtype == MutationType.CONVERSATION_START:
        return [
            (Entity.CONVERSATION, str(args["conversation_id"])),
            (Entity.MESSAGE, str(args["message_id"])),
        ]
    if mtype == MutationType.OUTREACH_SEND:
        return [
            (Entity.OUTREACH, str(args["outreach_id"])),
            (Entity.CONVERSATION, str(args["conversation_id"])),
            (Entity.MESSAGE, str(args["message_id"])),
        ]
    if mtype == MutationType.OUTREACH_DISMISS:
        return [(Entity.OUTREACH, str(args["outreach_id"]))]
    if str(mtype).startswith("training."):
        return []
    if mtype == MutationType.QA_RUBRIC_SAVE:
        return [(Entity.QA_RUBRIC, str(args["rubric_id"]))]
    if mtype == MutationType.QA_REVIEW_SAVE:
        return [(Entity.QA_REVIEW, str(args["review_id"]))]
    if mtype == MutationType.FLOOR_MESSAGE_SEND:
        return [(Entity.FLOOR_MESSAGE, str(args["message_id"]))]
    if mtype == MutationType.AGENT_SET_STATUS:
        return []  # my own row: the effect shadows it (the arguments do not name me)
    if str(mtype).startswith("routing.") or mtype == MutationType.AGENT_SKILLS_SET:
        return []  # rules and skills: the server's rows come back through the feed
    if str(mtype).startswith("sla."):
        return []  # the policy and team hours: the server validates, the feed brings them
    if str(mtype).startswith("kb."):
        return []  # articles: the server validates and indexes, the feed brings them
    if mtype in macro_effects.REQUIRED_ARGS:
        return macro_effects.affected(mtype, args)  # canned responses and macros
    if mtype in mention_effects.REQUIRED_ARGS:
        return mention_effects.affected(mtype, args)  # mentions (docs/mentions.md)
    # Merging and splitting conversations (docs/merge-split.md).
    if mtype in conversation_merge_effects.REQUIRED_ARGS:
        return conversation_merge_effects.affected(mtype, args)
    if mtype in SCHED_ARGS:
        return sched_affected(mtype, args)  # scheduled replies and reminders
    if mtype == MutationType.QA_REVIEW_DELETE:  # deleting a quality review (docs/qa.md)
        return [(Entity.QA_REVIEW, str(args["review_id"]))]
    # --- side conversations (docs/side-conversations.md) ---
    if mtype in side_effects.REQUIRED_ARGS:
        return side_effects.affected(mtype, args)
    if mtype in REQUIRED_ARGS:
        return [(Entity.CONVERSATION, str(args["conversation_id"]))]
    return []


# --- effects --------------------------------------------------------------------------------

#: An effect may touch rows ``affected`` cannot name from the arguments alone (what a merge
#: moves): it shadows them itself (``_touch``) and returns them.
Effect = Callable[[Session, LocalMutation, Me], "list[Pair] | None"]


def _live_conversation(session: Session, cid: str) -> dict[str, Any] | None:
    conv = get_row(session, Entity.CONVERSATION, cid)
    return conv if conv is not None and conv.get("deleted_at") is None else None


def _save(session: Session, entity: Entity, row: dict[str, Any]) -> None:
    upsert_rows(session, entity, [row])


def _change(
    session: Session, entity: Entity, row: dict[str, Any], at: datetime, **changes: Any
) -> None:
    """Set ``changes``; like the server's ``onupdate``, ``updated_at`` moves only if one does."""
    if any(row.get(k) != v for k, v in changes.items()):
        _save(session, entity, {**row, **changes, "updated_at": at})


def _send(session: Session, mut: LocalMutation, me: Me) -> list[Pair] | None:
    a = mut.args
    mid = str(a["message_id"])
    if get_row(session, Entity.MESSAGE, mid) is not None:
        return None  # the server's copy is already here, and its conversation counts it
    cid = str(a["conversation_id"])
    conv = _live_conversation(session, cid)
    touched: list[Pair] = []
    # Merged away meanwhile: the reply goes where the conversation lives now, as on the
    # server (docs/merge-split.md); the window tells the agent.
    if conv is not None and (target := conversation_merge_effects.landing(session, cid)):
        conversation_merge_effects.note_followed(session, mid, cid, str(target["id"]))
        touched.append(_touch(session, Entity.CONVERSATION, str(target["id"])))
        conv, cid = get_row(session, Entity.CONVERSATION, str(target["id"])), str(target["id"])
    body = str(a["body_text"])
    is_note = bool(a.get("is_note", False))
    _save(
        session,
        Entity.MESSAGE,
        {
            "id": mid,
            "realm": conv["realm"] if conv else Realm.PRODUCTION.value,
            "created_at": mut.at,
            "updated_at": mut.at,
            "conversation_id": cid,
            "channel": conv["channel"] if conv else "",
            "direction": Direction.OUT.value,
            "is_note": is_note,
            "author_user_id": me.id,
            "author_name": me.display_name,
            "subject": str(a.get("subject") or ""),
            "body_text": body,
            "body_html": None,
            # The files show at once, by name; the server's copy replaces these entries.
            "attachments": [
                {k: v for k, v in ref.items() if k != "local"}
                for ref in a.get("attachments") or ()
                if isinstance(ref, dict)
            ],
            "delivery_status": DeliveryStatus.PENDING.value,
            "failure_reason": None,
            "provider_message_id": None,
            "sent_at": None,
        },
    )
    if conv is None:
        return None  # the server will reject it; the rejection removes the message again
    changes: dict[str, Any] = {
        "message_count": int(conv.get("message_count") or 0) + 1,
        "last_message_at": mut.at,
    }
    if not is_note:
        changes["preview"] = body.strip().splitlines()[0][:300] if body.strip() else ""
        changes["waiting_since"] = None
        if conv.get("first_response_at") is None:
            changes["first_response_at"] = mut.at
    _change(session, Entity.CONVERSATION, conv, mut.at, **changes)
    return touched


def _claim(session: Session, mut: LocalMutation, me: Me) -> None:
    conv = _live_conversation(session, str(mut.args["conversation_id"]))
    if conv is not None and conv.get("assignee_id") is None and me.id is not None:
        _change(session, Entity.CONVERSATION, conv, mut.at, assignee_id=me.id)


def _assign(session: Session, mut: LocalMutation, _me: Me) -> None:
    a = mut.args
    conv = _live_conversation(session, str(a["conversation_id"]))
    if conv is None:
        return
    changes = {"assignee_id": a.get("assignee_id")}
    if a.get("team_id") is not None or a.get("set_team"):
        changes["team_id"] = a.get("team_id")
    _change(session, Entity.CONVERSATION, conv, mut.at, **changes)


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _status(session: Session, mut: LocalMutation, _me: Me) -> None:
    conv = _live_conversation(session, str(mut.args["conversation_id"]))
    status = str(mut.args["status"])
    if conv is None or status not in set(ConversationStatus):
        return
    snoozed = status == ConversationStatus.SNOOZED
    _change(
        session,
        Entity.CONVERSATION,
        conv,
        mut.at,
        status=status,
        snoozed_until=_aware(mut.args.get("snoozed_until")) if snoozed else None,
        resolved_at=mut.at if status == ConversationStatus.RESOLVED else None,
    )


def _priority(session: Session, mut: LocalMutation, _me: Me) -> None:
    conv = _live_conversation(session, str(mut.args["conversation_id"]))
    priority = str(mut.args["priority"])
    if conv is not None and priority in set(Priority):
        _change(session, Entity.CONVERSATION, conv, mut.at, priority=priority)


def _tags(session: Session, mut: LocalMutation, _me: Me) -> None:
    conv = _live_conversation(session, str(mut.args["conversation_id"]))
    if conv is None:
        return
    # The server's rule, shared (domain.tags), so desk and server end with the same list.
    tags = edit_tags(
        [str(t) for t in conv.get("tags") or []],
        [str(t) for t in mut.args.get("add") or []],
        [str(t) for t in mut.args.get("remove") or []],
    )
    _change(session, Entity.CONVERSATION, conv, mut.at, tags=tags)


def _delete(session: Session, mut: LocalMutation, _me: Me) -> None:
    # The server soft-deletes; its feed then sends a tombstone, which removes the row.
    delete_rows(session, Entity.CONVERSATION, [str(mut.args["conversation_id"])])


def _customer(session: Session, mut: LocalMutation, _me: Me) -> None:
    cust = get_row(session, Entity.CUSTOMER, str(mut.args["customer_id"]))
    fields = mut.args.get("fields")
    if cust is None or cust.get("merged_into_id") is not None or not isinstance(fields, Mapping):
        return
    changes = {k: v for k, v in fields.items() if k in CUSTOMER_FIELDS}
    if not changes or ("name" in changes and changes["name"] is None):
        return
    try:  # stored as the server will store it; what it would refuse changes nothing here
        changes = clean_fields(changes)
    except FieldError:
        return
    _change(session, Entity.CUSTOMER, cust, mut.at, **changes)


#: What a merge moves to the surviving profile (``server/channels/merge.py``).
MERGE_MOVES = (Entity.IDENTITY, Entity.CONVERSATION, Entity.ORDER)
_FILLED = ("email", "phone")


def _touch(session: Session, entity: Entity, ident: str) -> Pair:
    _ensure_shadow(session, entity, ident)
    return entity, ident


def owned_by(session: Session, entity: Entity, customer_id: str) -> list[str]:
    """The ids of ``entity`` rows (identities, conversations, orders) filed under a customer."""
    table = CACHE_TABLES[entity]
    return list(session.scalars(select(table.c.id).where(table.c.customer_id == customer_id)))


def _merge(session: Session, mut: LocalMutation, _me: Me) -> list[Pair]:
    source_id = str(mut.args["source_customer_id"])
    target_id = str(mut.args["target_customer_id"])
    source = get_row(session, Entity.CUSTOMER, source_id)
    target = get_row(session, Entity.CUSTOMER, target_id)
    if source is None or target is None or source_id == target_id:
        return []
    if source.get("merged_into_id") is not None or target.get("merged_into_id") is not None:
        return []  # the server refuses it and says why
    touched: list[Pair] = []
    for entity in MERGE_MOVES:
        for ident in owned_by(session, entity, source_id):
            touched.append(_touch(session, entity, ident))
            row = get_row(session, entity, ident)
            if row is not None:
                _change(session, entity, row, mut.at, customer_id=target_id)
    filled = {k: source[k] for k in _FILLED if source.get(k) and not target.get(k)}
    if filled:
        _change(session, Entity.CUSTOMER, target, mut.at, **filled)
    _change(session, Entity.CUSTOMER, source, mut.at, merged_into_id=target_id)
    return touched


def _unmerge(session: Session, mut: LocalMutation, _me: Me) -> None:
    # Only the server's audit record knows what the merge moved: the profile comes back at
    # once, what returns to it arrives with the feed.
    source = get_row(session, Entity.CUSTOMER, str(mut.args["customer_id"]))
    if source is not None and source.get("merged_into_id") is not None:
        _change(session, Entity.CUSTOMER, source, mut.at, merged_into_id=None)


def _link_match(session: Session, mut: LocalMutation, _me: Me) -> None:
    # The suggestion is acted on (its button goes); where the conversation ends up (a merge
    # or a re-link) is the server's decision and arrives with the feed.
    claim = get_row(session, Entity.IDENTITY_CLAIM, str(mut.args["claim_id"]))
    if claim is not None and claim.get("linked_at") is None:
        _change(session, Entity.IDENTITY_CLAIM, claim, mut.at, linked_at=mut.at)


def _link_customer(session: Session, mut: LocalMutation, _me: Me) -> None:
    # Filed under the other customer at once; the timeline event arrives with the feed.
    conv = _live_conversation(session, str(mut.args["conversation_id"]))
    target = get_row(session, Entity.CUSTOMER, str(mut.args["customer_id"]))
    if conv is None or target is None or target.get("merged_into_id") is not None:
        return  # the server refuses it and says why
    _change(session, Entity.CONVERSATION, conv, mut.at, customer_id=target["id"])


def _take_call(session: Session, mut: LocalMutation, me: Me) -> None:
    call = get_row(session, Entity.CALL, str(mut.args["call_id"]))
    if call is None or me.id is None or call.get("agent_id") is not None:
        return  # taken by someone else (or ended): the rejection will say so
    if call.get("ended_at") is None and call.get("outcome") == "ringing":
        _change(session, Entity.CALL, call, mut.at, agent_id=me.id, outcome="answered",
                answered_at=mut.at)  # fmt: skip


def _wrap_up_call(session: Session, mut: LocalMutation, _me: Me) -> None:
    call = get_row(session, Entity.CALL, str(mut.args["call_id"]))
    if call is None:
        return
    _change(
        session,
        Entity.CALL,
        call,
        mut.at,
        disposition=str(mut.args["disposition"]),
        wrapup_notes=str(mut.args.get("notes") or "").strip(),
        script_trail=list(mut.args.get("trail") or []),
        script_id=mut.args.get("script_id"),
        wrapped_up_at=mut.at,
        ended_at=call.get("ended_at") or mut.at,
        callback_at=_aware(mut.args.get("callback_at")),
    )


def _order_act(session: Session, mut: LocalMutation, me: Me) -> None:
    # The agent's action shows on the order at once as "waiting to be sent"; what the server
    # makes of it (done, awaiting approval, sending, or a refusal) replaces it from the feed.
    a = mut.args
    aid = str(a["action_id"])
    order = get_row(session, Entity.ORDER, str(a["order_id"]))
    if order is None or get_row(session, Entity.ORDER_ACTION, aid) is not None:
        return
    amount = a.get("amount_cents")
    args = {k: v for k, v in a.items() if k not in ("action_id", "order_id", "kind")}
    _save(
        session,
        Entity.ORDER_ACTION,
        {
            "id": aid,
            "realm": order["realm"],
            "created_at": mut.at,
            "updated_at": mut.at,
            "order_id": order["id"],
            "customer_id": order["customer_id"],
            "kind": str(a["kind"]),
            "args": args,
            "status": OrderActionStatus.QUEUED.value,
            "detail": "",
            "amount_cents": amount if isinstance(amount, int) else None,
            "currency": order["currency"] if isinstance(amount, int) else None,
            "requested_by_id": me.id,
            "decided_by_id": None,
            "decided_at": None,
            "external_id": None,
        },
    )


def _order_decide(session: Session, mut: LocalMutation, me: Me) -> None:
    action = get_row(session, Entity.ORDER_ACTION, str(mut.args["action_id"]))
    if action is None or action.get("status") != OrderActionStatus.AWAITING_APPROVAL.value:
        return
    approve = bool(mut.args.get("approve"))
    status = OrderActionStatus.QUEUED if approve else OrderActionStatus.DECLINED
    reason = str(mut.args.get("reason") or "")
    _change(
        session,
        Entity.ORDER_ACTION,
        action,
        mut.at,
        status=status.value,
        detail=(f"Declined: {reason}" if not approve else "Approved; waiting to be sent")[:500],
        decided_by_id=me.id,
        decided_at=mut.at,
    )


def _goodwill(session: Session, mut: LocalMutation, _me: Me) -> None:
    cust = get_row(session, Entity.CUSTOMER, str(mut.args["customer_id"]))
    points, credit = mut.args.get("points", 0), mut.args.get("credit_cents", 0)
    if cust is None or not isinstance(points, int) or not isinstance(credit, int):
        return
    if points < 0 or credit < 0:
        return  # the server refuses it and says why
    _change(
        session,
        Entity.CUSTOMER,
        cust,
        mut.at,
        loyalty_points=int(cust.get("loyalty_points") or 0) + points,
        store_credit_cents=int(cust.get("store_credit_cents") or 0) + credit,
    )


def _schedule_callback(session: Session, mut: LocalMutation, me: Me) -> None:
    """The new callback in the local list at once (the server checks it)."""
    a = mut.args
    due = _aware(a.get("due_at"))
    if due is None or get_row(session, Entity.CALLBACK, str(a["callback_id"])) is not None:
        return
    cust = get_row(session, Entity.CUSTOMER, str(a["customer_id"])) or {}
    row = {
        "id": str(a["callback_id"]), "realm": cust.get("realm") or Realm.PRODUCTION.value,
        "created_at": mut.at,
        "updated_at": mut.at, "customer_id": str(a["customer_id"]),
        "conversation_id": a.get("conversation_id"), "call_id": None,
        "phone": str(a.get("phone") or ""), "due_at": due, "assignee_id": a.get("assignee_id"),
        "status": "scheduled", "note": str(a.get("note") or "").strip(), "detail": "",
        "created_by_id": me.id, "fired_at": None, "seen_at": None, "done_at": None,
        "done_call_id": None,
    }  # fmt: skip
    _save(session, Entity.CALLBACK, row)


def _open_callback(session: Session, mut: LocalMutation) -> dict[str, Any] | None:
    cb = get_row(session, Entity.CALLBACK, str(mut.args["callback_id"]))
    return cb if cb is not None and cb.get("status") in ("scheduled", "due") else None


def _update_callback(session: Session, mut: LocalMutation, _me: Me) -> None:
    cb = _open_callback(session, mut)
    if cb is None:
        return
    changes: dict[str, Any] = {}
    if (due := _aware(mut.args.get("due_at"))) is not None:
        changes |= {"due_at": due, "status": "scheduled", "fired_at": None, "seen_at": None}
    if mut.args.get("assignee_id") is not None or mut.args.get("set_assignee"):
        changes |= {"assignee_id": mut.args.get("assignee_id"), "seen_at": None}
    if mut.args.get("note") is not None:
        changes["note"] = str(mut.args["note"]).strip()
    _change(session, Entity.CALLBACK, cb, mut.at, **changes)


def _cancel_callback(session: Session, mut: LocalMutation, _me: Me) -> None:
    cb = _open_callback(session, mut)
    if cb is not None:
        _change(session, Entity.CALLBACK, cb, mut.at, status="cancelled", done_at=mut.at)


def _take_callback(session: Session, mut: LocalMutation, me: Me) -> None:
    cb = _open_callback(session, mut)
    if cb is None or me.id is None or cb.get("assignee_id") not in (None, me.id):
        return  # someone else's: the rejection will say whose
    seen = cb.get("seen_at") or (mut.at if cb.get("status") == "due" else None)
    _change(session, Entity.CALLBACK, cb, mut.at, assignee_id=me.id, seen_at=seen)


# --- conversations the desk starts, outreach (server: ``server/outreach``) ---------------------


def _open_outbound(
    session: Session, mut: LocalMutation, me: Me, customer_id: str, channel: str, body: str
) -> None:
    """The started conversation and its first message, as ``start.open_outbound`` writes
    them (pending, assigned to the agent); the server's copies replace them."""
    a = mut.args
    cid = str(a["conversation_id"])
    if get_row(session, Entity.CONVERSATION, cid) is None:
        cust = get_row(session, Entity.CUSTOMER, customer_id)
        subject = str(a.get("subject") or "") or (body.strip().splitlines() or [""])[0][:120]
        _save(
            session,
            Entity.CONVERSATION,
            {
                "id": cid,
                "realm": cust["realm"] if cust else Realm.PRODUCTION.value,
                "created_at": mut.at,
                "updated_at": mut.at,
                "customer_id": customer_id,
                "channel": channel,
                "subject": subject,
                "preview": "",
                "status": ConversationStatus.PENDING.value,
                "priority": Priority.NORMAL.value,
                "assignee_id": me.id,
                "team_id": None,
                "tags": [],
                "language": (cust or {}).get("language") or "en",
                "snoozed_until": None,
                "first_response_due_at": None,
                "resolution_due_at": None,
                "first_response_at": None,
                "resolved_at": None,
                "last_message_at": mut.at,
                "last_inbound_at": None,
                "waiting_since": None,
                "message_count": 0,
                "deleted_at": None,
            },
        )
    if body.strip():
        _send(session, LocalMutation(mut.id, mut.type, {**a, "body_text": body}, mut.at), me)


def _start(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    body = str(a.get("body_text") or "")
    _open_outbound(session, mut, me, str(a["customer_id"]), str(a["channel"]), body)


def _outreach_send(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    rec = get_row(session, Entity.OUTREACH, str(a["outreach_id"]))
    if rec is None or rec.get("status") != "open":
        return  # the server will refuse it and say why
    channel = str(a.get("channel") or rec.get("channel") or "")
    body = str(a.get("body_text") or rec.get("message") or "")
    if channel:
        _open_outbound(session, mut, me, str(rec["customer_id"]), channel, body)
    _change(
        session,
        Entity.OUTREACH,
        rec,
        mut.at,
        status="sent",
        sent_by_id=me.id,
        sent_at=mut.at,
        conversation_id=str(a["conversation_id"]),
        message=body,
    )


def _outreach_dismiss(session: Session, mut: LocalMutation, _me: Me) -> None:
    rec = get_row(session, Entity.OUTREACH, str(mut.args["outreach_id"]))
    if rec is not None and rec.get("status") == "open":
        _change(session, Entity.OUTREACH, rec, mut.at, status="dismissed")


def _set_agent_status(session: Session, mut: LocalMutation, me: Me) -> list[Pair]:
    """My own status at once; a call in progress still shows as "On a call"."""
    if me.id is None:
        return []
    pair = _touch(session, Entity.AGENT_STATUS, me.id)
    chosen = agent_status.parse(str(mut.args.get("status")))
    row = get_row(session, Entity.AGENT_STATUS, me.id) or {
        "id": me.id,
        "realm": "production",
        "created_at": mut.at,
        "on_call": False,
        "since": mut.at,
        "status": None,
    }
    shown = agent_status.effective(chosen, on_call=bool(row.get("on_call")), online=True)
    changes: dict[str, Any] = {"chosen": chosen.value, "online": True, "set_by_id": me.id}
    if row.get("status") != shown.value:
        changes |= {"status": shown.value, "since": mut.at}
    _change(session, Entity.AGENT_STATUS, row, mut.at, **changes)
    return [pair]


def _floor_message(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    mid = str(a["message_id"])
    if get_row(session, Entity.FLOOR_MESSAGE, mid) is not None:
        return
    _save(
        session,
        Entity.FLOOR_MESSAGE,
        {
            "id": mid,
            "realm": "production",
            "created_at": mut.at,
            "updated_at": mut.at,
            "to_user_id": str(a["to_user_id"]),
            "from_user_id": me.id or "",
            "from_name": me.display_name,
            "body": str(a["body"]).strip(),
        },
    )


EFFECTS: Mapping[str, Effect] = {
    MutationType.MESSAGE_SEND: _send,
    MutationType.CONVERSATION_CLAIM: _claim,
    MutationType.CONVERSATION_ASSIGN: _assign,
    MutationType.CONVERSATION_STATUS: _status,
    MutationType.CONVERSATION_PRIORITY: _priority,
    MutationType.CONVERSATION_TAGS: _tags,
    MutationType.CONVERSATION_DELETE: _delete,
    MutationType.CUSTOMER_UPDATE: _customer,
    MutationType.CALL_TAKE: _take_call,
    MutationType.CALL_WRAP_UP: _wrap_up_call,
    MutationType.CUSTOMER_LINK_MATCH: _link_match,
    MutationType.CUSTOMER_MERGE: _merge,
    MutationType.CUSTOMER_UNMERGE: _unmerge,
    MutationType.CONVERSATION_LINK_CUSTOMER: _link_customer,
    MutationType.ORDER_ACT: _order_act,
    MutationType.ORDER_ACTION_DECIDE: _order_decide,
    MutationType.CUSTOMER_GOODWILL: _goodwill,
    MutationType.CALLBACK_SCHEDULE: _schedule_callback,
    MutationType.CALLBACK_UPDATE: _update_callback,
    MutationType.CALLBACK_CANCEL: _cancel_callback,
    MutationType.CALLBACK_TAKE: _take_callback,
    MutationType.CONVERSATION_START: _start,
    MutationType.OUTREACH_SEND: _outreach_send,
    MutationType.OUTREACH_DISMISS: _outreach_dismiss,
    MutationType.QA_RUBRIC_SAVE: qa_effects.save_rubric,
    MutationType.QA_REVIEW_SAVE: qa_effects.save_review,
    MutationType.AGENT_SET_STATUS: _set_agent_status,
    MutationType.FLOOR_MESSAGE_SEND: _floor_message,
    # Canned responses and macros (docs/macros.md).
    **macro_effects.EFFECTS,
    # Mentions (docs/mentions.md).
    **mention_effects.EFFECTS,
    # Merging and splitting conversations (docs/merge-split.md).
    **conversation_merge_effects.EFFECTS,
    **SCHED_EFFECTS,  # scheduled send and reminders (docs/scheduled-send.md)
    # Deleting a quality review (docs/qa.md).
    MutationType.QA_REVIEW_DELETE: qa_effects.delete_review,
    # --- side conversations (docs/side-conversations.md) ---
    **side_effects.EFFECTS,
}


# --- shadows and rebase ---------------------------------------------------------------------


def _ensure_shadow(session: Session, entity: Entity, ident: str) -> None:
    exists = session.scalar(
        select(shadow.c.id).where(shadow.c.entity == entity.value, shadow.c.id == ident)
    )
    if exists is None:
        data = wire_of(session, entity, ident)
        session.execute(shadow.insert().values(entity=entity.value, id=ident, data=data))


def apply_local(session: Session, mut: LocalMutation, me: Me) -> list[Pair]:
    """Apply one action's effect on top of the cache; returns what it touched."""
    pairs = affected(mut.type, mut.args)
    for entity, ident in pairs:
        _ensure_shadow(session, entity, ident)
    effect = EFFECTS.get(mut.type)
    if effect is not None:
        pairs = pairs + list(effect(session, mut, me) or ())
    return pairs


def shadowed(session: Session) -> set[Pair]:
    return {(Entity(e), i) for e, i in session.execute(select(shadow.c.entity, shadow.c.id))}


def update_shadows(session: Session, truth: Mapping[Pair, dict[str, Any] | None]) -> None:
    """Record new server truth for entities that already have a shadow."""
    for (entity, ident), data in truth.items():
        session.execute(
            update(shadow)
            .where(shadow.c.entity == entity.value, shadow.c.id == ident)
            .values(data=data)
        )


def replayable(session: Session) -> list[LocalMutation]:
    rows = session.execute(
        select(outbox.c.id, outbox.c.type, outbox.c.args, outbox.c.created_at)
        .where(outbox.c.state.in_(("pending", "acked")))
        .order_by(outbox.c.seq)
    )
    return [LocalMutation(r.id, r.type, r.args, r.created_at) for r in rows]


def drop_acked(session: Session, cursor: int) -> list[Pair]:
    """Forget acked actions the feed now carries; returns the entities they touched."""
    done = session.execute(
        select(outbox.c.seq, outbox.c.type, outbox.c.args).where(
            outbox.c.state == "acked", outbox.c.acked_seq <= cursor
        )
    ).all()
    if not done:
        return []
    # A reply the server put where its conversation was merged into: the window says so.
    conversation_merge_effects.check_dropped(
        session, [r.args for r in done if r.type == MutationType.MESSAGE_SEND]
    )
    session.execute(delete(outbox).where(outbox.c.seq.in_([r.seq for r in done])))
    return [p for r in done for p in affected(r.type, r.args)]


def rebase(session: Session) -> None:
    """Restore server truth for every shadowed entity and replay the replayable actions."""
    for (entity, ident), data in _shadow_data(session).items():
        put_wire(session, entity, ident, data)
    me = Me.load(session)
    needed: set[Pair] = set()
    for mut in replayable(session):
        needed.update(apply_local(session, mut, me))
    for entity, ident in shadowed(session) - needed:
        session.execute(delete(shadow).where(shadow.c.entity == entity.value, shadow.c.id == ident))


def _shadow_data(session: Session) -> dict[Pair, dict[str, Any] | None]:
    return {
        (Entity(r.entity), r.id): r.data
        for r in session.execute(select(shadow.c.entity, shadow.c.id, shadow.c.data))
    }
