"""Click-to-call: the desk asks for a call to a customer; Twilio rings the agent first, then
bridges them to the customer.

1. ``call.place`` (a push mutation) files the call as inbound ones are filed: a ``calls`` row
   and its history message on the customer's phone conversation, the agent already its
   agent. Its ``provider_status`` is ``pending`` and its ``call_sid`` a placeholder.
2. :class:`CallPlacer` (a channel loop) asks Twilio's Calls API to ring the agent's
   ``call_phone`` from the shop's number; ``Url`` and ``StatusCallback`` point to
   ``/webhooks/twilio/voice/callout?call=<id>&step=…``, signed by Twilio like every webhook.
3. The agent answers: Twilio fetches ``step=answer`` and gets ``<Dial callerId=shop number>``
   to the customer; the Dial's result comes to ``step=dialed`` (answered or not, how long);
   the agent leg's end to ``step=status``. Each rewrites the history line; the call ends and
   the desk asks for the wrap-up as after an inbound call.

In the demo (``serve --simulate-customers``, no Twilio) step 2 and 3 are the simulator's: the
call goes to its demo line (``DEMO_LINE_SID`` ids), whose customer answers after a short ring
or now and then does not; the agent ends it on the desk. A server that does not simulate
customers refuses the call without Twilio, as before.

A call is not queued: the desk refuses the action while offline, and a pending call the placer
could not place within ``STALE`` is failed rather than ringing the agent's phone much later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode

import requests
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from csdesk.domain.callbacks import is_dialable
from csdesk.domain.calls import DEMO_LINE_SID, CallOutcome
from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind, Realm
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.callbacks import service as callbacks
from csdesk.server.channels import calls, customers, twilio
from csdesk.server.channels import conversations as threads
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.worker import LoopWorker
from csdesk.server.deps import realm_of
from csdesk.server.refusals import Param, Phrase
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.state import ServerState
    from csdesk.server.sync.mutations import Reject

log = logging.getLogger(__name__)

CALLOUT_PATH: Final = "/webhooks/twilio/voice/callout"
PENDING: Final = "pending"
PLACING: Final = "placing"
#: A call the placer did not get to within this long is failed, not placed late.
STALE: Final = timedelta(minutes=2)
TIMEOUT: Final = 15.0
_FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _saying(code: RejectCode, phrase: Phrase) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.saying(code, phrase)


class PlaceArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    call_id: str = Field(min_length=1, max_length=36)
    customer_id: str = Field(min_length=1, max_length=36)
    number: str = Field(min_length=1, max_length=32)
    conversation_id: str | None = Field(default=None, min_length=1, max_length=36)
    #: Placing a callback's call makes it done.
    callback_id: str | None = Field(default=None, min_length=1, max_length=36)


class CallPhoneArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    #: Empty: no phone (click-to-call is refused until one is set).
    call_phone: str = Field(max_length=64)


def voice_ready(session: Session) -> Phrase | None:
    """Why no call can be placed now (None: Twilio voice is connected with a number)."""
    row = session.get(m.ChannelConfig, Provider.TWILIO.value)
    if row is None or not row.enabled:
        return Phrase("Calls cannot be placed: Twilio is not connected on the server.")
    if not str((row.settings or {}).get("from_number") or "").startswith("+"):
        return Phrase("Calls cannot be placed: the Twilio connection has no from_number.")
    return None


# --- the demo line ---------------------------------------------------------------------------
#: Set on the server's write sessions when it simulates customers (the demo): there a
#: click-to-call without Twilio goes to the simulator's demo line instead of being refused.
DEMO_LINE: Final = "csdesk_demo_line"
#: A demo line call's provider status while it rings (never ``PENDING``: the placer's).
DEMO_RINGING: Final = "ringing"


def install_demo_line(factory: sessionmaker[Session]) -> None:
    """Mark ``factory``'s sessions as the demo's (``serve --simulate-customers`` only)."""
    factory.configure(info={**(factory.kw.get("info") or {}), DEMO_LINE: True})


def demo_line(session: Session) -> bool:
    """Whether ``call.place`` goes to the demo line: the server simulates customers and no
    Twilio voice connection is there (a connected Twilio places real calls, demo or not)."""
    return bool(session.info.get(DEMO_LINE)) and voice_ready(session) is not None


def _may_call(session: Session, cust: m.Customer, number: str, callback_id: str | None) -> bool:
    """Only the customer's own phone (or the number their callback names)."""
    if callback_id is not None:
        cb = session.get(m.Callback, callback_id)
        if cb is not None and cb.customer_id == cust.id and cb.phone == number:
            return True
    found = session.scalar(
        select(m.CustomerIdentity.id).where(
            m.CustomerIdentity.customer_id == cust.id,
            m.CustomerIdentity.kind == IdentityKind.PHONE.value,
            m.CustomerIdentity.value == number,
        )
    )
    return found is not None


def _phone_conversation(
    session: Session, cust: m.Customer, conversation_id: str | None, now: datetime
) -> m.Conversation:
    if conversation_id is not None:
        conv = session.get(m.Conversation, conversation_id, with_for_update=True)
        if conv is None or conv.realm != cust.realm or conv.customer_id != cust.id:
            raise _reject(RejectCode.NOT_FOUND, "This conversation is not this customer's.")
        if conv.channel == Channel.PHONE.value and conv.deleted_at is None:
            return conv
    conv = threads.latest(session, cust.id, Channel.PHONE)
    if conv is None or not threads.continues(conv, now):
        conv = threads.open_new(session, cust, Channel.PHONE, subject="", at=now)
    return conv


def place(session: Session, user: m.User, a: PlaceArgs) -> None:
    realm = realm_of(user)
    if realm != Realm.PRODUCTION.value:
        raise _reject(RejectCode.FORBIDDEN, "Calls cannot be placed from the training sandbox.")
    demo = demo_line(session)  # no phone of the agent's rings on the demo line
    if not demo and not user.call_phone:
        raise _reject(
            RejectCode.INVALID,
            "Set the phone to ring first (Settings, or ask an administrator): the call rings "
            "your phone, then the customer.",
        )
    if not demo and (why := voice_ready(session)) is not None:
        raise _saying(RejectCode.INVALID, why)
    if session.get(m.Call, a.call_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A call with this id already exists.")
    cust = session.get(m.Customer, a.customer_id)
    if cust is None or cust.realm != realm:
        raise _reject(RejectCode.NOT_FOUND, "This customer does not exist.")
    if cust.merged_into_id is not None:
        raise _reject(RejectCode.DELETED, "This customer was merged into another profile.")
    if a.callback_id is not None:
        cb = session.get(m.Callback, a.callback_id)
        if cb is None or cb.customer_id != cust.id:  # another customer's stays open
            raise _reject(RejectCode.NOT_FOUND, "This callback is not this customer's.")
    number = a.number.strip()
    if not is_dialable(number):
        raise _reject(RejectCode.INVALID, "The number to call must be in +4420… form.")
    if not _may_call(session, cust, number, a.callback_id):
        raise _reject(RejectCode.INVALID, "This number is not one of the customer's phones.")
    now = utcnow()
    conv = _phone_conversation(session, cust, a.conversation_id, now)
    if demo:
        from csdesk.server.simulator import DEMO_NUMBER

        # The simulator's customer answers it (or not) after a short ring: simulator.py.
        shop, sid, status = DEMO_NUMBER, f"{DEMO_LINE_SID}{uuid.uuid4().hex}", DEMO_RINGING
    else:
        row = session.get(m.ChannelConfig, Provider.TWILIO.value)
        shop = str(row.settings.get("from_number")) if row is not None else ""
        sid, status = f"{PENDING}:{a.call_id}", PENDING  # the placer's to place
    msg = m.Message(
        id=customers.new_id(),
        realm=realm,
        conversation_id=conv.id,
        channel=Channel.PHONE.value,
        direction=Direction.OUT.value,
        author_user_id=user.id,
        author_name=user.display_name,
        body_text="",
        delivery_status=DeliveryStatus.SENT.value,
        provider_message_id=sid,
        created_at=now,
        sent_at=now,
    )
    call = m.Call(
        id=a.call_id,
        realm=realm,
        call_sid=sid,
        message_id=msg.id,
        conversation_id=conv.id,
        direction=Direction.OUT.value,
        from_number=shop[:64],
        to_number=number,
        provider_status=status,
        outcome=CallOutcome.RINGING.value,
        started_at=now,
        agent_id=user.id,
    )
    session.add_all([msg, call])
    conv.message_count += 1
    conv.last_message_at = now
    if conv.assignee_id is None:
        conv.assignee_id = user.id
    session.flush()
    calls.rewrite(session, call)
    if a.callback_id is not None:
        callbacks.mark_done(session, user, a.callback_id, call.id)
    audit.record(
        session,
        user.id,
        MutationType.CALL_PLACE,
        "call",
        call.id,
        None,
        {"to_number": number, "conversation_id": conv.id, "callback_id": a.callback_id}
        | ({"demo_line": True} if demo else {}),
    )


def set_call_phone(session: Session, user: m.User, a: CallPhoneArgs) -> None:
    """The agent's own phone (or desk client) that a click-to-call rings first."""
    from csdesk.domain.callbacks import call_phone_problem

    value = a.call_phone.strip()
    if value and (problem := call_phone_problem(value)) is not None:
        raise _saying(RejectCode.INVALID, problem)
    me = session.get(m.User, user.id, with_for_update=True)
    assert me is not None
    before = {"call_phone": me.call_phone}
    me.call_phone = value or None
    audit.record(
        session, user.id, MutationType.USER_SET_CALL_PHONE, "user", me.id, before,
        {"call_phone": me.call_phone},
    )  # fmt: skip


# --- reports from Twilio ---------------------------------------------------------------------


def _fail(session: Session, call: m.Call, reason: str) -> None:
    now = utcnow()
    call.provider_status = "failed"
    call.outcome = CallOutcome.MISSED.value
    call.ended_at = call.ended_at or now
    calls.rewrite(session, call)
    msg = session.get(m.Message, call.message_id)
    if msg is not None:
        msg.body_text = f"{msg.body_text}\nNot placed: {reason}"[:2000]
        msg.delivery_status = DeliveryStatus.FAILED.value
        msg.failure_reason = reason[:500]


def report(
    session: Session,
    call: m.Call,
    step: str,
    params: dict[str, str],
) -> None:
    """Apply one Twilio request about a click-to-call (``step``: answer, dialed, status)."""
    now = utcnow()
    sid = (params.get("CallSid") or "").strip()
    if call.call_sid.startswith(f"{PENDING}:") and sid.startswith("CA"):
        call.call_sid = sid[:64]  # the request beat the placer's own record of the sid
    status = (params.get("CallStatus") or "").strip().lower()
    if status:
        call.provider_status = status[:16]
    if step == "dialed":
        dial = (params.get("DialCallStatus") or "").strip().lower()
        duration = twilio.seconds(params.get("DialCallDuration"))  # None for "²"
        if dial in ("completed", "answered"):
            call.outcome = CallOutcome.ANSWERED.value
            call.duration_seconds = duration
            call.answered_at = call.answered_at or now - timedelta(seconds=duration or 0)
        elif call.outcome == CallOutcome.RINGING.value:
            call.outcome = CallOutcome.MISSED.value  # the customer did not answer
        call.ended_at = call.ended_at or now
    elif step == "status" and status in _FINAL:
        if call.outcome == CallOutcome.RINGING.value:
            call.outcome = CallOutcome.MISSED.value  # the agent's own phone never answered
        call.ended_at = call.ended_at or now
    calls.rewrite(session, call)


# --- the placer ------------------------------------------------------------------------------


class CallPlacer(LoopWorker):
    """Places pending click-to-calls through Twilio's Calls API (one attempt each: a call
    that cannot be placed now is failed with the reason, never retried minutes later)."""

    task_name = "csdesk-call-placer"
    round_name = "call placing"

    def __init__(
        self,
        state: ServerState,
        settings: Callable[[Provider], ChannelSettings | None],
        public_url: Callable[[str], str],
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        super().__init__(state, poll_seconds=poll_seconds)
        self.settings = settings
        self.public_url = public_url

    def run_once(self) -> int:
        with self.state.reads() as s:
            ids = list(
                s.scalars(select(m.Call.id).where(m.Call.provider_status == PENDING).limit(20))
            )
        done = 0
        for call_id in ids:
            if self.stopping:
                break
            if self._claim(call_id):
                self._place(call_id)
                done += 1
        return done

    def _claim(self, call_id: str) -> bool:
        with self.state.writes() as s:
            claimed = s.execute(
                update(m.Call)
                .where(m.Call.id == call_id, m.Call.provider_status == PENDING)
                .values(provider_status=PLACING)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            return bool(getattr(claimed, "rowcount", 0))

    def _finish(self, call_id: str, apply: Callable[[Session, m.Call], None]) -> None:
        with self.state.writes() as s:
            call = s.get(m.Call, call_id, with_for_update=True)
            if call is not None:
                apply(s, call)
            s.commit()

    def _place(self, call_id: str) -> None:
        with self.state.reads() as s:
            call = s.get(m.Call, call_id)
            agent = s.get(m.User, call.agent_id) if call and call.agent_id else None
            if call is None:
                return
            started = call.started_at
            ring = agent.call_phone if agent is not None else None
        cfg = self.settings(Provider.TWILIO)
        problem = None
        if utcnow() - started > STALE:
            problem = "the server could not place it in time"
        elif cfg is None or not cfg.enabled:
            problem = "Twilio is not connected"
        elif not ring:
            problem = "the agent has no phone to ring"
        if problem is not None:
            self._finish(call_id, lambda s, c: _fail(s, c, problem))
            return
        assert cfg is not None and ring is not None
        hook = self.public_url(CALLOUT_PATH)
        req = twilio.build_create_call(
            account_sid=cfg.text("account_sid"),
            auth_token=cfg.secret("auth_token"),
            to=ring,
            from_number=cfg.text("from_number"),
            url=f"{hook}?{urlencode({'call': call_id, 'step': 'answer'})}",
            status_callback=f"{hook}?{urlencode({'call': call_id, 'step': 'status'})}",
            base_url=cfg.text("api_base_url", twilio.DEFAULT_API_BASE),
        )
        try:
            resp = self.http.request(
                req.method, req.url, headers=dict(req.headers), data=req.body, timeout=TIMEOUT
            )
            placed = twilio.parse_call_response(resp.status_code, resp.content)
        except requests.RequestException as exc:
            why = f"Twilio could not be reached ({type(exc).__name__})"
            placed = twilio.CallPlaced(ok=False, error=why)
        log.info("click-to-call %s: %s", call_id, "placed" if placed.ok else placed.error)

        def record(s: Session, call: m.Call) -> None:
            if not placed.ok:
                _fail(s, call, placed.error or "Twilio refused the call")
                return
            if call.call_sid.startswith(f"{PENDING}:") and placed.call_sid:
                call.call_sid = placed.call_sid
            if call.provider_status == PLACING:
                call.provider_status = placed.status or "queued"
            msg = s.get(m.Message, call.message_id)
            if msg is not None and placed.call_sid:
                msg.provider_message_id = placed.call_sid
            calls.rewrite(s, call)

        self._finish(call_id, record)
