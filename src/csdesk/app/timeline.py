"""One customer's timeline, newest first, read from the local cache.

Everything that happened with the customer, interleaved: conversations and their messages,
calls with the agent's wrap-up, orders (placed, their status now), shipments, returns, order
actions (refunds and the rest, in any state), and profile changes (edits, merges and their
undo, conversations linked to or away from them: ``customer_event`` rows the server appends).
Each item is one full sentence (a list a screen reader reads item by item) and names what it
opens: a conversation or an order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.app import status_words as words
from csdesk.app.present import money, when
from csdesk.app.sentences import CHANNELS, message_sentence
from csdesk.app.server_notes import note_text
from csdesk.domain.calls import is_demo_line
from csdesk.domain.enums import Channel
from csdesk.i18n import N_, _, ngettext
from csdesk.storage import models as m

#: Messages read per customer (the newest); older ones stay in their conversations.
MESSAGE_LIMIT = 300
#: Items at most in one timeline.
ITEM_LIMIT = 1000
_BODY = 160  # characters of a message quoted in its sentence


class Kind:
    """Timeline item kinds: the filter's choices."""

    CONVERSATION = "conversation"
    MESSAGE = "message"
    CALL = "call"
    ORDER = "order"
    SHIPMENT = "shipment"
    RETURN = "return"
    ORDER_ACTION = "order_action"
    PROFILE = "profile"


#: The filter's choices in their order, with untranslated labels.
KINDS: tuple[tuple[str, str], ...] = (
    (Kind.CONVERSATION, N_("Conversations")),
    (Kind.MESSAGE, N_("Messages")),
    (Kind.CALL, N_("Calls")),
    (Kind.ORDER, N_("Orders")),
    (Kind.SHIPMENT, N_("Shipments")),
    (Kind.RETURN, N_("Returns")),
    (Kind.ORDER_ACTION, N_("Refunds and order actions")),
    (Kind.PROFILE, N_("Profile changes")),
)


@dataclass(frozen=True, slots=True)
class TimelineItem:
    kind: str
    at: datetime
    text: str  # one full sentence, with its date
    conversation_id: str | None = None  # Enter opens it
    order_id: str | None = None  # Enter selects it in the customer pane
    key: str = field(default="", compare=False)  # a stable id (kind and row id)


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _BODY else flat[: _BODY - 1].rstrip() + "…"


def _channel(channel: str) -> str:
    try:
        return _(CHANNELS[Channel(channel)].name)
    except ValueError:
        return channel


def _dated(at: datetime, text: str) -> str:
    return _("{when}: {what}").format(when=when(at), what=text)


def timeline(session: Session, customer_id: str, me: str | None = None) -> list[TimelineItem]:
    """The customer's timeline, newest first (``me``: the signed-in agent's user id)."""
    items: list[TimelineItem] = []
    convs = {
        c.id: c
        for c in session.scalars(
            select(m.Conversation).where(
                m.Conversation.customer_id == customer_id, m.Conversation.deleted_at.is_(None)
            )
        )
    }
    items.extend(_conversations(convs.values()))
    calls = list(
        session.scalars(select(m.Call).where(m.Call.conversation_id.in_(list(convs))))
        if convs
        else []
    )
    items.extend(_calls(calls))
    call_messages = {c.message_id for c in calls}
    if convs:
        msgs = session.scalars(
            select(m.Message)
            .where(m.Message.conversation_id.in_(list(convs)))
            .order_by(m.Message.created_at.desc())
            .limit(MESSAGE_LIMIT)
        )
        items.extend(_messages((x for x in msgs if x.id not in call_messages), me))
    orders = {
        o.id: o for o in session.scalars(select(m.Order).where(m.Order.customer_id == customer_id))
    }
    profile = list(
        session.scalars(select(m.CustomerEvent).where(m.CustomerEvent.customer_id == customer_id))
    )
    told = {str((e.data or {}).get("order_id")) for e in profile if e.kind == ORDER_STATUS}
    items.extend(_orders(orders.values(), told))
    if orders:
        ids = list(orders)
        items.extend(
            _shipments(
                session.scalars(select(m.Shipment).where(m.Shipment.order_id.in_(ids))), orders
            )
        )
        items.extend(
            _returns(session.scalars(select(m.Return).where(m.Return.order_id.in_(ids))), orders)
        )
        items.extend(
            _actions(
                session.scalars(select(m.OrderAction).where(m.OrderAction.order_id.in_(ids))),
                orders,
                _names(session),
            )
        )
    items.extend(_profile(profile))
    items.sort(key=lambda i: (i.at, i.key), reverse=True)
    return items[:ITEM_LIMIT]


def _names(session: Session) -> dict[str, str]:
    return {str(i): str(n) for i, n in session.execute(select(m.User.id, m.User.display_name))}


def _conversations(convs: Iterable[m.Conversation]) -> Iterable[TimelineItem]:
    for c in convs:
        subject = " ".join(c.subject.split())
        text = (
            _("{channel} conversation started: {subject}, now {status}.").format(
                channel=_channel(c.channel),
                subject=subject,
                status=words.conversation_status(c.status),
            )
            if subject
            else _("{channel} conversation started, now {status}.").format(
                channel=_channel(c.channel), status=words.conversation_status(c.status)
            )
        )
        yield TimelineItem(
            Kind.CONVERSATION, c.created_at, _dated(c.created_at, text), c.id, key=f"c{c.id}"
        )


def _messages(msgs: Iterable[m.Message], me: str | None) -> Iterable[TimelineItem]:
    for x in msgs:
        text = message_sentence(
            x.direction,
            x.is_note,
            x.author_name,
            x.channel,
            when(x.created_at),
            _clip(note_text(x.body_phrases, x.body_text)),  # a server note in the desk's words
            own=me is not None and x.author_user_id == me,
        )
        yield TimelineItem(Kind.MESSAGE, x.created_at, text, x.conversation_id, key=f"m{x.id}")


def _duration(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    if minutes:
        return _("{m} min {s} s").format(m=minutes, s=secs)
    return _("{s} s").format(s=secs)


def _calls(calls: Iterable[m.Call]) -> Iterable[TimelineItem]:
    for c in calls:
        head = _("Incoming call") if c.direction == "in" else _("Outgoing call")
        parts = [_("{head}, {outcome}").format(head=head, outcome=words.call_outcome(c.outcome))]
        if c.duration_seconds:
            parts.append(_duration(c.duration_seconds))
        text = _(", ").join(parts) + "."
        if c.disposition:
            text += " " + _("Outcome: {what}.").format(what=words.disposition(c.disposition))
        notes = " ".join(c.wrapup_notes.split())
        if notes:
            text += " " + _("Wrap-up notes: {notes}").format(notes=_clip(notes))
        if c.callback_at is not None:
            text += " " + _("Call back {when}.").format(when=when(c.callback_at))
        if is_demo_line(c.call_sid or ""):
            text += " " + words.demo_line_note()
        yield TimelineItem(
            Kind.CALL, c.started_at, _dated(c.started_at, text), c.conversation_id, key=f"k{c.id}"
        )


def _orders(orders: Iterable[m.Order], told: set[str]) -> Iterable[TimelineItem]:
    """Each order placed; and its status now, for an order whose changes were not recorded
    one by one (``told``: orders with ``order_status`` events, from before they were)."""
    for o in orders:
        total = money(o.total_cents, o.currency)
        placed = _("Order {number} placed, {total}.").format(number=o.number, total=total)
        yield TimelineItem(
            Kind.ORDER, o.placed_at, _dated(o.placed_at, placed), order_id=o.id, key=f"o{o.id}"
        )
        # The cache keeps an order's latest state: its status now, since its last change.
        if o.id in told:
            continue
        if o.status != "placed" and o.updated_at > o.placed_at + timedelta(seconds=1):
            now = _("Order {number} is now {status}.").format(
                number=o.number, status=words.order_status(o.status)
            )
            yield TimelineItem(
                Kind.ORDER, o.updated_at, _dated(o.updated_at, now), order_id=o.id, key=f"p{o.id}"
            )


def _shipments(ships: Iterable[m.Shipment], orders: dict[str, m.Order]) -> Iterable[TimelineItem]:
    for s in ships:
        order = orders.get(s.order_id)
        number = order.number if order else "?"
        if s.shipped_at is not None:
            text = _("Order {number} shipped with {carrier}, tracking number {tracking}.").format(
                number=number, carrier=s.carrier, tracking=s.tracking_number
            )
            yield TimelineItem(
                Kind.SHIPMENT,
                s.shipped_at,
                _dated(s.shipped_at, text),
                order_id=s.order_id,
                key=f"s{s.id}",
            )
        if s.delivered_at is not None:
            text = _("Order {number} delivered by {carrier}.").format(
                number=number, carrier=s.carrier
            )
            yield TimelineItem(
                Kind.SHIPMENT,
                s.delivered_at,
                _dated(s.delivered_at, text),
                order_id=s.order_id,
                key=f"d{s.id}",
            )
        elif s.status not in ("in_transit", "delivered") or s.shipped_at is None:
            text = _("Shipment of order {number} with {carrier}: {status}").format(
                number=number, carrier=s.carrier, status=words.shipment_status(s.status)
            )
            if s.eta is not None:
                text += ", " + _("expected {when}").format(when=when(s.eta))
            yield TimelineItem(
                Kind.SHIPMENT,
                s.updated_at,
                _dated(s.updated_at, text + "."),
                order_id=s.order_id,
                key=f"u{s.id}",
            )


def _returns(rets: Iterable[m.Return], orders: dict[str, m.Order]) -> Iterable[TimelineItem]:
    for r in rets:
        order = orders.get(r.order_id)
        number = order.number if order else "?"
        reason = " ".join(r.reason.split())
        text = (
            _("Return requested for order {number}: {reason}.").format(
                number=number, reason=_clip(reason)
            )
            if reason
            else _("Return requested for order {number}.").format(number=number)
        )
        yield TimelineItem(
            Kind.RETURN,
            r.created_at,
            _dated(r.created_at, text),
            order_id=r.order_id,
            key=f"r{r.id}",
        )
        if r.status != "requested":
            now = _("Return for order {number} {status}").format(
                number=number, status=words.return_status(r.status)
            )
            if r.refund_cents and order is not None:
                now += ", " + _("{amount} refunded").format(
                    amount=money(r.refund_cents, order.currency)
                )
            yield TimelineItem(
                Kind.RETURN,
                r.updated_at,
                _dated(r.updated_at, now + "."),
                order_id=r.order_id,
                key=f"q{r.id}",
            )


_ACTIONS = {
    "refund": N_("a refund"),
    "return": N_("a return"),
    "exchange": N_("an exchange"),
    "cancel": N_("a cancellation"),
    "resend": N_("a replacement"),
    "address": N_("a new shipping address"),
    "note": N_("a note"),
}
_ACTION_STATES = {
    "awaiting_approval": N_("waiting for a supervisor's approval"),
    "declined": N_("declined"),
    "sending": N_("being sent to the store"),
    "done": N_("done"),
    "refused": N_("refused by the store"),
}


def _actions(
    actions: Iterable[m.OrderAction], orders: dict[str, m.Order], names: dict[str, str]
) -> Iterable[TimelineItem]:
    for a in actions:
        order = orders.get(a.order_id)
        number = order.number if order else "?"
        what = _(_ACTIONS.get(a.kind, a.kind))
        if a.amount_cents:
            what = _("{what} of {amount}").format(
                what=what,
                amount=money(a.amount_cents, a.currency or (order.currency if order else "")),
            )
        who = names.get(a.requested_by_id or "") or _("An agent")
        state = _(_ACTION_STATES.get(a.status, a.status))
        text = _("{who} asked for {what} on order {number}: {state}.").format(
            who=who, what=what, number=number, state=state
        )
        detail = " ".join(a.detail.split())
        if detail:
            text += " " + _clip(detail)
        yield TimelineItem(
            Kind.ORDER_ACTION,
            a.created_at,
            _dated(a.created_at, text),
            order_id=a.order_id,
            key=f"a{a.id}",
        )


_FIELDS = {
    "name": N_("name"),
    "email": N_("email"),
    "phone": N_("phone"),
    "language": N_("language"),
    "timezone": N_("time zone"),
    "tags": N_("tags"),
    "loyalty_tier": N_("loyalty tier"),
    "loyalty_points": N_("loyalty points"),
    "notes": N_("notes"),
}


def profile_sentence(ev: m.CustomerEvent) -> str:
    """One profile change in words (``server.crm.events.Kind``)."""
    who = ev.actor_name or _("Someone")
    data = dict(ev.data or {})
    other = str(data.get("other_name") or _("another customer"))
    moved = int(data.get("conversations") or 0)
    if ev.kind == "edited":
        fields = [_(_FIELDS.get(str(f), str(f))) for f in data.get("fields") or []]
        return _("{who} changed the profile: {fields}.").format(who=who, fields=", ".join(fields))
    if ev.kind == "merged_in":
        return ngettext(
            "{who} merged {other} into this profile ({n} conversation moved here).",
            "{who} merged {other} into this profile ({n} conversations moved here).",
            moved,
        ).format(who=who, other=other, n=moved)
    if ev.kind == "merged_away":
        return _("{who} merged this profile into {other}.").format(who=who, other=other)
    if ev.kind == "unmerged":
        return _("{who} undid the merge into {other}: this profile is its own again.").format(
            who=who, other=other
        )
    if ev.kind == "unmerged_out":
        return _("{who} undid the merge of {other}, which has its own profile again.").format(
            who=who, other=other
        )
    subject = " ".join(str(data.get("subject") or "").split())
    conv = (
        _("the conversation {subject}").format(subject=subject) if subject else _("a conversation")
    )
    if ev.kind == "conversation_linked_here":
        return _("{who} linked {conv} to this customer (it was filed under {other}).").format(
            who=who, conv=conv, other=other
        )
    if ev.kind == "conversation_linked_away":
        return _("{who} linked {conv} to {other}.").format(who=who, conv=conv, other=other)
    if ev.kind == "survey_answered":
        return survey_sentence(conv, data)
    return _("{who} changed the profile.").format(who=who)


#: ``server.crm.events.Kind.ORDER_STATUS``: an order's status changed (its history).
ORDER_STATUS = "order_status"


def _profile(events: Iterable[m.CustomerEvent]) -> Iterable[TimelineItem]:
    for ev in events:
        if ev.kind == ORDER_STATUS:
            data = dict(ev.data or {})
            text = _("Order {number} went from {before} to {after}.").format(
                number=str(data.get("number") or "?"),
                before=words.order_status(str(data.get("from") or "")),
                after=words.order_status(str(data.get("to") or "")),
            )
            yield TimelineItem(
                Kind.ORDER,
                ev.created_at,
                _dated(ev.created_at, text),
                order_id=str(data.get("order_id") or "") or None,
                key=f"e{ev.id}",
            )
            continue
        yield TimelineItem(
            Kind.PROFILE,
            ev.created_at,
            _dated(ev.created_at, profile_sentence(ev)),
            ev.conversation_id,
            key=f"e{ev.id}",
        )


def survey_sentence(conv: str, data: dict[str, Any]) -> str:
    """A survey answer on the timeline (``server.surveys.answer``): the scores in words."""
    text = _("The customer rated {conv} {csat} out of 5.").format(
        conv=conv, csat=data.get("csat", "?")
    )
    if data.get("nps") is not None:
        text += " " + _("Would recommend us: {n} out of 10.").format(n=data["nps"])
    if data.get("ces") is not None:
        text += " " + _("Effort: {n} out of 7 (1 is very easy).").format(n=data["ces"])
    comment = " ".join(str(data.get("comment") or "").split())
    if comment:
        text += " " + _("Comment: {comment}").format(comment=_clip(comment))
    return text
