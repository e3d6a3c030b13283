"""Phone calls in the conversation history, and missed calls as callback tasks.

A call is reported several times over its life (the answer request, the Dial result, the
voicemail, the final status callback), each keyed by the provider's call id.  The first report
files a message on the caller's phone conversation; later ones update the ``calls`` row and
rewrite that message, so the history shows one line per call with its outcome and duration.
An inbound call nobody answered tags the conversation "callback" and keeps it open: that tag
is the agents' callback queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.calls import (
    DEMO_LINE_NOTE,
    CallOutcome,
    callback_line,
    disposition_label,
    duration_text,
    is_demo_line,
)
from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    IdentityKind,
    Realm,
)
from csdesk.server.channels import conversations as threads
from csdesk.server.channels import customers
from csdesk.server.channels.inbound import Handle, InboundCall
from csdesk.server.kpis import reopens
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

CALLBACK_TAG = "callback"
_MISSED_STATUSES = frozenset({"busy", "no-answer", "failed", "canceled"})
_FINAL_STATUSES = _MISSED_STATUSES | {"completed"}
_RETRIES = 3


__all__ = ["CALLBACK_TAG", "CallEvent", "CallOutcome", "CallResult", "describe", "ingest_call"]


@dataclass(frozen=True, slots=True)
class CallEvent:
    """What one voice request adds to the call beyond ``InboundCall``.

    ``dial_status`` is Twilio's DialCallStatus (the agents' phones were rung: did one answer?);
    ``recording_url`` a voicemail the caller left.
    """

    dial_status: str | None = None
    recording_url: str | None = None
    recording_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class CallResult:
    customer_id: str
    conversation_id: str
    message_id: str
    created: bool
    outcome: CallOutcome
    callback: bool


def describe(call: m.Call, agent_name: str | None = None) -> str:
    """The message text for a call (the conversation's history line): outcome, duration, who
    took it and, once wrapped up, the disposition."""
    inbound = call.direction == Direction.IN.value
    number = call.from_number if inbound else call.to_number
    who = number if number.startswith("+") else "a withheld number"  # "anonymous", "restricted"
    outcome = CallOutcome(call.outcome)
    if outcome == CallOutcome.MISSED:
        text = f"Missed call from {who}" if inbound else f"Unanswered call to {who}"
    elif outcome == CallOutcome.VOICEMAIL:
        text = f"Voicemail from {who}"
    elif outcome == CallOutcome.RINGING:
        text = f"Incoming call from {who}" if inbound else f"Calling {who}"
    else:
        text = f"Call from {who}" if inbound else f"Call to {who}"
    length = duration_text(call.duration_seconds)
    text = f"{text} ({length})" if length else text
    if agent_name and outcome == CallOutcome.ANSWERED:
        text = f"{text}, taken by {agent_name}"
    label = disposition_label(call.disposition)
    if label and call.callback_at is not None:
        label = f"{label} {callback_line(call.callback_at)}"
    text = f"{text} — {label}" if label else text
    if is_demo_line(call.call_sid):
        text = f"{text}\n{DEMO_LINE_NOTE}"  # the demo's line: nobody's phone rang
    # The wrap-up notes belong in the history, not only in the call record nobody opens.
    notes = (call.wrapup_notes or "").strip()
    return f"{text}\nNotes: {notes}" if notes else text


def agent_name(session: Session, call: m.Call) -> str | None:
    if call.agent_id is None:
        return None
    user = session.get(m.User, call.agent_id)
    return user.display_name if user is not None else None


def find(session: Session, call_sid: str, *, lock: bool = False) -> m.Call | None:
    q = select(m.Call).where(m.Call.call_sid == call_sid)
    return session.scalars(q.with_for_update() if lock else q).first()


def rewrite(session: Session, call: m.Call) -> None:
    """Bring the call's history message (and the conversation preview) up to date."""
    msg = session.get(m.Message, call.message_id)
    conv = session.get(m.Conversation, call.conversation_id)
    if msg is None or conv is None:
        return
    text = describe(call, agent_name(session, call))
    if msg.body_text != text:
        msg.body_text = text
        if conv.preview.startswith(("Call", "Incoming call", "Missed", "Voicemail", "Unanswered")):
            conv.preview = text.splitlines()[0][:300]


def ingest_call(
    session: Session,
    call: InboundCall,
    event: CallEvent | None = None,
    *,
    realm: str = Realm.PRODUCTION.value,
) -> CallResult:
    """Record one report about ``call``; see the module docstring.

    Runs again after a rollback when a concurrent report of the same new call won the insert.
    """
    for attempt in range(_RETRIES):
        try:
            result = _record(session, call, event or CallEvent(), realm)
            session.flush()
            return result
        except IntegrityError:
            session.rollback()
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _start(session: Session, call: InboundCall, realm: str) -> tuple[m.Call, m.Message, bool]:
    existing = find(session, call.call_sid, lock=True)
    if existing is not None:
        msg = session.get(m.Message, existing.message_id)
        assert msg is not None
        return existing, msg, False
    inbound = call.direction == Direction.IN
    number = call.from_number if inbound else _to_number(call)
    handles = [Handle(IdentityKind.PHONE, number)] if number else []
    customer = customers.match(session, realm, handles) if handles else None
    caller = caller_name(call.caller_name) if inbound else None
    if customer is None:
        name = caller
        if not handles:
            name = name or "Withheld number"  # cannot be matched later; an agent may merge it
        customer = customers.create(session, realm, name, handles)
        customers.attach(session, customer, [(h, True) for h in handles])
    elif caller is not None:
        customers.name_if_nameless(session, customer, caller, "caller_id")
    now = utcnow()
    conv = threads.latest(session, customer.id, Channel.PHONE)
    if conv is None or not threads.continues(conv, now):
        conv = threads.open_new(session, customer, Channel.PHONE, subject="", at=now)
    msg = m.Message(
        id=customers.new_id(),
        realm=realm,
        conversation_id=conv.id,
        channel=Channel.PHONE.value,
        direction=call.direction.value,
        author_name=customer.name if inbound else "",
        body_text="",
        delivery_status=(DeliveryStatus.RECEIVED if inbound else DeliveryStatus.SENT).value,
        provider_message_id=call.call_sid,
        created_at=now,
        sent_at=None if inbound else now,
    )
    row = m.Call(
        id=customers.new_id(),
        realm=realm,
        call_sid=call.call_sid,
        message_id=msg.id,
        conversation_id=conv.id,
        direction=call.direction.value,
        from_number=(call.from_number or call.from_raw)[:64],
        to_number=call.to_number[:64],
        provider_status=call.status,
        outcome=CallOutcome.RINGING.value,
        started_at=now,
    )
    session.add_all([msg, row])
    if inbound:
        threads.record_inbound(conv, now, "", is_auto=False)
    else:
        conv.message_count += 1
        conv.last_message_at = now
    session.flush()
    return row, msg, True


#: What carriers' caller-ID lookups answer when they know no name (upper-cased).
_NO_NAME = frozenset(
    {"ANONYMOUS", "CELL PHONE", "NOT AVAILABLE", "OUT OF AREA", "PRIVATE", "PRIVATE CALLER",
     "RESTRICTED", "TOLL FREE", "TOLL FREE CALL", "UNAVAILABLE", "UNKNOWN", "UNKNOWN CALLER",
     "UNKNOWN NAME", "WIRELESS CALLER"}
)  # fmt: skip


def caller_name(raw: str | None) -> str | None:
    """Twilio's ``CallerName`` as a customer name, or None: text from outside, kept plain and
    short, never a number, an address or a carrier's "WIRELESS CALLER"."""
    name = customers.usable_name(raw)
    if name is None or name.upper() in _NO_NAME:
        return None
    return name[:100]


def _to_number(call: InboundCall) -> str | None:
    """The customer's number on a call we placed (the provider names it ``To``)."""
    handle = customers.canonical(Handle(IdentityKind.PHONE, call.to_number))
    return handle.value if handle is not None and handle.value.startswith("+") else None


def _outcome(row: m.Call, call: InboundCall, event: CallEvent) -> CallOutcome:
    current = CallOutcome(row.outcome)
    if event.recording_url and current != CallOutcome.ANSWERED:
        return CallOutcome.VOICEMAIL
    if event.dial_status:
        if event.dial_status in ("completed", "answered"):
            return CallOutcome.ANSWERED
        return current if current == CallOutcome.VOICEMAIL else CallOutcome.MISSED
    if call.status in _FINAL_STATUSES and current == CallOutcome.RINGING:
        if call.status == "completed" and row.direction == Direction.OUT.value:
            return CallOutcome.ANSWERED
        return CallOutcome.MISSED  # hung up before anyone talked to them
    if call.status == "in-progress" and row.direction == Direction.OUT.value:
        return CallOutcome.ANSWERED
    return current


def _record(session: Session, call: InboundCall, event: CallEvent, realm: str) -> CallResult:
    row, msg, created = _start(session, call, realm)
    conv = session.get(m.Conversation, row.conversation_id, with_for_update=True)
    assert conv is not None
    now = utcnow()
    row.provider_status = call.status
    outcome = _outcome(row, call, event)
    row.outcome = outcome.value
    if call.duration_seconds is not None:
        row.duration_seconds = call.duration_seconds
    if call.status in _FINAL_STATUSES and row.ended_at is None:
        row.ended_at = now
    if event.recording_url and row.recording_url != event.recording_url:
        row.recording_url = event.recording_url[:500]
        msg.attachments = [
            *msg.attachments,
            {
                "filename": "voicemail.wav",
                "content_type": "audio/x-wav",
                "size": None,
                "provider_file_id": event.recording_url,
                "duration_seconds": event.recording_seconds,
            },
        ]
    text = describe(row, agent_name(session, row))
    if msg.body_text != text:
        msg.body_text = text
        conv.preview = text[:300]
    inbound = row.direction == Direction.IN.value
    callback = inbound and outcome in (CallOutcome.MISSED, CallOutcome.VOICEMAIL)
    if callback:
        threads.add_tag(conv, CALLBACK_TAG)
        if conv.status != ConversationStatus.OPEN.value:
            reopens.record(conv, now, reopens.CUSTOMER, session=session)
            conv.status = ConversationStatus.OPEN.value
            conv.snoozed_until = conv.resolved_at = None
        if conv.waiting_since is None:
            conv.waiting_since = row.started_at
    elif inbound and outcome == CallOutcome.ANSWERED:
        conv.waiting_since = None  # an agent talked to the caller
        if conv.first_response_at is None:
            conv.first_response_at = now
    return CallResult(conv.customer_id, conv.id, msg.id, created, outcome, callback)
