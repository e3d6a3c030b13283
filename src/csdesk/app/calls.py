"""Use cases for phone calls on the desk: ringing calls, taking one, its script, the wrap-up.

Qt-free like the rest of ``app``: the window runs the queries on workers (``Tasks``) and the
actions go through the outbox, so taking and wrapping up a call work offline like a reply
does (the server decides later who won a race, and the rejection says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from csdesk.app.thread import CustomerContext
from csdesk.app.workstation import Workstation
from csdesk.domain.calls import (
    CallOutcome,
    Disposition,
    is_demo_line,
    is_ringing,
    is_simulated,
    trail_to_wire,
)
from csdesk.domain.enums import Direction
from csdesk.domain.placeholders import Filled, fill, split_name
from csdesk.domain.steps import Flow, FlowError, Step, Taken, flow_from_dict, most_steps_left
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet

#: A call the provider never reported as ended stops ringing on the desk after this long.
RING_LIMIT = timedelta(minutes=10)
#: Which script topic suits a call, by what is known about it.
TOPIC_CALLBACK, TOPIC_ORDER, TOPIC_RETURN = "callback", "order", "return"


@dataclass(frozen=True, slots=True)
class CallView:
    id: str
    conversation_id: str
    customer_id: str
    customer_name: str
    number: str
    direction: str
    outcome: str
    agent_id: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    disposition: str | None
    wrapup_notes: str
    wrapped_up_at: datetime | None
    script_id: str | None
    callback_at: datetime | None = None
    #: The provider's call id ("SIMC…": a call of the demo's simulator, see domain.calls).
    call_sid: str = ""

    @property
    def demo_line(self) -> bool:
        """Placed to the demo's line: no real phone call is made."""
        return is_demo_line(self.call_sid)

    @property
    def simulated(self) -> bool:
        """A call of the demo's simulator (no provider reports its end: the agent ends it)."""
        return is_simulated(self.call_sid)

    @property
    def ringing(self) -> bool:
        return is_ringing(self.outcome, self.agent_id, self.ended_at is not None)

    def live(self, now: datetime | None = None) -> bool:
        """Answered a moment ago and still going: worth a screen pop (an old call someone
        forgot to wrap up is not)."""
        if self.ended_at is not None:
            return False
        if self.answered_at is None:
            # A call this agent placed (click-to-call) is theirs from the start: it pops
            # while their phone rings, so its end brings the wrap-up as an answered one does.
            placed = self.direction == Direction.OUT.value
            return placed and (now or utcnow()) - self.started_at < RING_LIMIT
        return (now or utcnow()) - self.answered_at < RING_LIMIT

    @property
    def caller(self) -> str:
        """ "Jane Doe, +44…" (or just the number when the customer has no name yet)."""
        if self.customer_name and self.customer_name != self.number:
            return f"{self.customer_name}, {self.number}" if self.number else self.customer_name
        return self.number or self.customer_name


@dataclass(frozen=True, slots=True)
class Script:
    id: str
    key: str
    title: str
    topic: str
    flow: Flow


def _view(session: Any, call: m.Call) -> CallView:
    conv = session.get(m.Conversation, call.conversation_id)
    customer = session.get(m.Customer, conv.customer_id) if conv is not None else None
    inbound = call.direction == Direction.IN.value
    return CallView(
        id=call.id,
        conversation_id=call.conversation_id,
        customer_id=customer.id if customer is not None else "",
        customer_name=customer.name if customer is not None else "",
        number=call.from_number if inbound else call.to_number,
        direction=call.direction,
        outcome=call.outcome,
        agent_id=call.agent_id,
        started_at=call.started_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        duration_seconds=call.duration_seconds,
        disposition=call.disposition,
        wrapup_notes=call.wrapup_notes or "",
        wrapped_up_at=call.wrapped_up_at,
        script_id=call.script_id,
        callback_at=call.callback_at,
        call_sid=call.call_sid,
    )


class Calls:
    """The call use cases for one signed-in desk (built by the window beside ``Workstation``)."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    # --- queries (run on workers) ----------------------------------------------------------

    def ringing(self, now: datetime | None = None) -> list[CallView]:
        """Inbound calls waiting for someone to take them, oldest first."""
        since = (now or utcnow()) - RING_LIMIT
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.Call)
                .where(
                    m.Call.outcome == CallOutcome.RINGING.value,
                    m.Call.agent_id.is_(None),
                    m.Call.ended_at.is_(None),
                    m.Call.direction == Direction.IN.value,
                    m.Call.started_at >= since,
                )
                .order_by(m.Call.started_at)
            ).all()
            return [_view(s, c) for c in rows]

    def mine_open(self) -> list[CallView]:
        """Calls this agent took and has not wrapped up yet, newest first."""
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.Call)
                .where(m.Call.agent_id == self.ws.me.id, m.Call.wrapped_up_at.is_(None))
                .order_by(m.Call.started_at.desc())
            ).all()
            return [_view(s, c) for c in rows]

    def call(self, call_id: str) -> CallView | None:
        with self.ws.cache.session() as s:
            row = s.get(m.Call, call_id)
            return None if row is None else _view(s, row)

    def latest_for(self, conversation_id: str) -> CallView | None:
        """The conversation's most recent call (what "Wrap up call" acts on there)."""
        with self.ws.cache.session() as s:
            row = s.scalars(
                select(m.Call)
                .where(m.Call.conversation_id == conversation_id)
                .order_by(m.Call.started_at.desc())
                .limit(1)
            ).first()
            return None if row is None else _view(s, row)

    def scripts(self) -> list[Script]:
        """The active call scripts, by title; a stored script that no longer parses (edited
        by hand on the server) is left out rather than breaking the panel."""
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.CallScript)
                .where(m.CallScript.active.is_(True))
                .order_by(m.CallScript.title)
            ).all()
            out = []
            for row in rows:
                try:
                    flow = flow_from_dict(row.definition)
                except FlowError:
                    continue
                out.append(Script(row.id, row.key, row.title, row.topic, flow))
            return out

    # --- actions (local first, then the outbox) --------------------------------------------

    def take(self, call_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.CALL_TAKE, {"call_id": call_id})
        return ChangeSet.of([(Entity.CALL, call_id)])

    def wrap_up(
        self,
        call_id: str,
        disposition: Disposition,
        notes: str,
        trail: Sequence[Taken] = (),
        script_id: str | None = None,
        callback_at: datetime | None = None,
    ) -> ChangeSet:
        """Queue the wrap-up (works offline); raises ValueError on a note that is too long.
        ``callback_at`` goes with "callback scheduled": the server brings the conversation
        back to the agent then."""
        from csdesk.domain.calls import MAX_NOTES

        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise ValueError(f"the notes are longer than {MAX_NOTES} characters")
        self.ws.engine.enqueue(
            MutationType.CALL_WRAP_UP,
            {
                "call_id": call_id,
                "disposition": disposition.value,
                "notes": notes,
                "trail": trail_to_wire(trail),
                "script_id": script_id,
            }
            | ({"callback_at": callback_at.isoformat()} if callback_at is not None else {}),
        )
        return ChangeSet.of([(Entity.CALL, call_id)])


def suggest(scripts: Sequence[Script], call: CallView | None, tags: Sequence[str]) -> int:
    """Index of the script to open first: the callback script for a missed call or a
    conversation tagged "callback", else the order enquiry (most calls are about orders)."""
    if not scripts:
        return -1
    wanted = TOPIC_ORDER
    missed = call is not None and call.outcome in (CallOutcome.MISSED, CallOutcome.VOICEMAIL)
    if missed or "callback" in tags:
        wanted = TOPIC_CALLBACK
    elif "return" in tags or "refund" in tags:
        wanted = TOPIC_RETURN
    for n, script in enumerate(scripts):
        if script.topic == wanted:
            return n
    return 0


def placeholder_values(ctx: CustomerContext | None, agent_name: str) -> dict[str, str | None]:
    """What a script's ``{placeholders}`` are filled from: the caller and their latest order."""
    first, last = split_name(ctx.name) if ctx else ("", "")
    order = ctx.orders[0] if ctx and ctx.orders else None
    shipment = order.shipments[0] if order and order.shipments else None
    ret = order.returns[0] if order and order.returns else None
    return {
        "first_name": first or None,
        "last_name": last or None,
        "customer_name": ctx.name if ctx else None,
        "customer_email": ctx.email if ctx else None,
        "customer_phone": ctx.phone if ctx else None,
        "order_number": order.number if order else None,
        "order_status": order.status.replace("_", " ") if order else None,
        "carrier": str(shipment[0]) if shipment else None,
        "tracking_number": str(shipment[1]) if shipment else None,
        "return_status": str(ret[0]).replace("_", " ") if ret else None,
        "agent_name": agent_name or None,
        "agent_first_name": split_name(agent_name)[0] or None,
        "store_name": "Fernhill Outfitters",
    }


def step_text(step: Step, values: Mapping[str, str | None]) -> Filled:
    """The step's words with the caller's details filled in (unknown ones left visible)."""
    return fill(step.text, values)


def steps_after(flow: Flow, step_id: str) -> int:
    """The most steps that can follow ``step_id`` before the script ends (0: it is the last).

    "Step 3, at most 2 more" is a bound that only shrinks as the agent goes on; the old
    "step 2 of 4" counted the shortest way and its total grew when the call took a longer
    branch."""
    return most_steps_left(flow, step_id) - 1


def position_text(number: int, after: int) -> str:
    """ "Step 3, at most 2 more" / "Step 4, the last" for the call panel."""
    if after <= 0:
        return _("Step {n}, the last").format(n=number)
    return _("Step {n}, at most {more} more").format(n=number, more=after)
