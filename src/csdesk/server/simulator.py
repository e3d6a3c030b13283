"""Simulated customers for the embedded demo (``csdesk-server serve --simulate-customers N``).

A demo inbox that never changes does not show what the desktop is for: new work arriving,
SLA clocks starting, a resolved case coming back. So every few seconds (jittered, so it does
not look scripted) a production customer writes in: mostly a follow-up on one of their open
or pending conversations, sometimes a brand-new conversation, now and then a message that
reopens a resolved one.

Messages are written through ``state.writes`` sessions exactly as a webhook would be stored,
so the change feed records them and long-polling desktops wake at once. The database work
runs in a worker thread (``asyncio.to_thread``) to keep the event loop free for long-polls;
a failed tick is logged and the next one tries again, so the simulator can never take the
server down. With a seed the choices are reproducible (for tests), given the same database.

Now and then a customer phones in (``place_call``); and a call an agent places without
Twilio goes to the demo line (``callout.place``), whose customer answers after a short ring
or lets it ring out (``answer_demo_line``, on its own one-second clock).

Texts come from the demo store's phrase files (``resources/demo/messages``), in the
customer's language, with placeholders filled from the customer's real orders; a small
English phrase list stands in when those files are missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import random
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from csdesk.domain.calls import DEMO_LINE_SID, CallOutcome
from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    IdentityKind,
    Priority,
    Realm,
)
from csdesk.server.demo.catalog import Catalog, Texts, load_catalog
from csdesk.server.demo.common import day
from csdesk.server.demo.policy import SCENARIO_TAGS
from csdesk.server.demo.rand import DemoRandom
from csdesk.server.edge import outage
from csdesk.server.kpis import reopens
from csdesk.server.routing import engine as routing
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)


#: Share of ticks that open a new conversation rather than continue one.
NEW_SHARE = 0.2
#: Share of ticks in which a customer writes into a resolved conversation (it reopens).
REOPEN_SHARE = 0.08
#: How long ``stop`` waits for a tick in progress before giving up on it.
STOP_TIMEOUT = 10.0

#: What a customer without orders writes about.
NO_ORDER_STORIES = frozenset({"discount_code", "product_question"})

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
#: (first response, resolution) targets for new conversations: a chat is expected to be
#: answered within minutes, a messenger within the hour, an email within a working morning.
SLA: dict[Channel, tuple[timedelta, timedelta]] = {
    Channel.EMAIL: (HOUR, 24 * HOUR),
    Channel.CHAT: (5 * MINUTE, 4 * HOUR),
    Channel.WHATSAPP: (15 * MINUTE, 8 * HOUR),
    Channel.PHONE: (30 * MINUTE, 8 * HOUR),
    Channel.SMS: (30 * MINUTE, 12 * HOUR),
    Channel.MESSENGER: (30 * MINUTE, 12 * HOUR),
    Channel.INSTAGRAM: (30 * MINUTE, 12 * HOUR),
    Channel.TELEGRAM: (30 * MINUTE, 12 * HOUR),
}
#: How often customers pick each channel, when they can be reached on it.
CHANNEL_WEIGHTS: dict[Channel, float] = {
    Channel.EMAIL: 4,
    Channel.CHAT: 3,
    Channel.WHATSAPP: 2,
    Channel.SMS: 1,
    Channel.PHONE: 0.5,
    Channel.MESSENGER: 1,
    Channel.INSTAGRAM: 1,
    Channel.TELEGRAM: 1,
}
_BY_IDENTITY = {
    IdentityKind.MESSENGER: Channel.MESSENGER,
    IdentityKind.INSTAGRAM: Channel.INSTAGRAM,
    IdentityKind.TELEGRAM: Channel.TELEGRAM,
    IdentityKind.WHATSAPP: Channel.WHATSAPP,
}
_TAG_SCENARIO = {tag: name for name, tag in SCENARIO_TAGS.items()}


# --- phrases ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Story:
    """One reason to write in: subject and opening templates, and later follow-ups."""

    name: str
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    follow_ups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phrases:
    """What a simulated customer says in one language."""

    greetings: tuple[str, ...]
    signoffs: tuple[str, ...]
    reply_prefix: str
    voicemail: str  # with {duration} and {body}
    nudges: tuple[str, ...]  # the customer is still waiting for an answer
    thanks: tuple[str, ...]  # after an agent's reply, with no story to follow up
    stories: tuple[Story, ...]
    texts: Texts | None = None  # for dates in the language's format


FALLBACK = Phrases(
    greetings=("Hello,", "Hi there,"),
    signoffs=("Thanks,\n{first_name}", "Kind regards,\n{customer_name}"),
    reply_prefix="Re: ",
    voicemail="Voicemail ({duration}): {body}",
    nudges=("Any update on this?", "Just following up on my message above."),
    thanks=("Thanks a lot!", "Great, that's all I needed."),
    stories=(
        Story(
            "wismo",
            ("Where is my order {order_number}?",),
            ("Could you check on order {order_number}? The tracking hasn't changed for days.",),
            ("The tracking link just says 'in transit' – is that normal?",),
        ),
        Story(
            "product_question",
            ("Question about an item",),
            ("Hi, do your clothes run true to size? I'm between two sizes.",),
            ("Thanks! And is it machine washable?",),
        ),
    ),
)


def _phrases(texts: Texts) -> Phrases:
    return Phrases(
        greetings=texts.customer_greeting,
        signoffs=texts.customer_signoff,
        reply_prefix=texts.reply_prefix,
        voicemail=texts.phone_inbound,
        nudges=texts.generic["customer_nudge"],
        thanks=texts.generic["customer_thanks"],
        stories=tuple(
            Story(name, sc.subjects, sc.opening, sc.follow_up)
            for name, sc in texts.scenarios.items()
        ),
        texts=texts,
    )


def _fields(template: str) -> set[str]:
    return {f for _t, f, _s, _c in string.Formatter().parse(template) if f}


def _fillable(templates: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """The templates whose every placeholder has a value (so no "order {order_number}")."""
    return [t for t in templates if _fields(t) <= values.keys()]


# --- one tick -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick wrote (for logs and tests)."""

    kind: Literal["follow_up", "new", "reopen"]
    conversation_id: str
    message_id: str
    body_text: str


class Simulation:
    """The customers' side: picks who writes, what and where, and stores it.

    Synchronous and session-scoped, so a test can run it against a database directly and
    roll back; ``CustomerSimulator`` drives it from the event loop.
    """

    def __init__(self, seed: int | None = None, catalog: Catalog | None = None) -> None:
        self.rng = DemoRandom(seed)
        self._catalog = catalog
        self._loaded = catalog is not None

    def _load(self) -> Catalog | None:
        """The demo phrase files, read on first use (in the worker thread, not the loop)."""
        if not self._loaded:
            self._loaded = True
            try:
                self._catalog = load_catalog()
            except (OSError, ValueError, KeyError) as exc:
                log.warning("customer simulator: no demo phrases (%s); using English ones", exc)
        return self._catalog

    def phrases(self, language: str) -> Phrases:
        catalog = self._load()
        if catalog is None:
            return FALLBACK
        lang = catalog.languages.get(language.split("-")[0].lower()) or catalog.languages.get(
            "en", next(iter(catalog.languages.values()))
        )
        return _phrases(lang.texts)

    # -- choosing rows --

    def _pick_id(self, session: Session, ids: Select[str]) -> str | None:
        """A uniformly random id of ``ids`` (ordered by id, so a seed repeats the choice).

        Counting and offsetting reads the candidates once per tick, which is cheap at demo
        sizes; a "first id after a random UUID" probe would be cheaper but favours the rows
        after large gaps, and with a few dozen conversations the same one kept answering.
        """
        n = session.scalar(select(func.count()).select_from(ids.subquery()))
        if not n:
            return None
        return session.scalar(ids.offset(self.rng.randrange(n)).limit(1))

    def _conversation(self, session: Session, statuses: Sequence[str]) -> m.Conversation | None:
        ids = (
            select(m.Conversation.id)
            .join(m.Customer, m.Customer.id == m.Conversation.customer_id)
            .where(
                m.Conversation.realm == Realm.PRODUCTION.value,
                m.Conversation.deleted_at.is_(None),
                m.Conversation.status.in_(statuses),
                m.Customer.merged_into_id.is_(None),
            )
            .order_by(m.Conversation.id)
        )
        cid = self._pick_id(session, ids)
        if cid is None:
            return None
        # Locked (and re-read) like an agent's send locks it, so message_count never loses an
        # update. Not in the query above: PostgreSQL would lock every row OFFSET skips.
        conv = session.get(m.Conversation, cid, with_for_update=True)
        if conv is None or conv.deleted_at is not None or conv.status not in statuses:
            return None  # an agent changed it meanwhile
        return conv

    def _customer(self, session: Session) -> m.Customer | None:
        ids = (
            select(m.Customer.id)
            .where(m.Customer.realm == Realm.PRODUCTION.value, m.Customer.merged_into_id.is_(None))
            .order_by(m.Customer.id)
        )
        cid = self._pick_id(session, ids)
        return None if cid is None else session.get(m.Customer, cid)

    # -- the tick --

    def step(self, session: Session, now: datetime | None = None) -> Tick | None:
        """Write one customer message (not committed); None when there is nobody to write."""
        now = now or utcnow()
        rng = self.rng
        if not rng.chance(NEW_SHARE):
            reopen = rng.chance(REOPEN_SHARE)
            statuses = (
                [ConversationStatus.RESOLVED.value]
                if reopen
                else [ConversationStatus.OPEN.value, ConversationStatus.PENDING.value]
            )
            conv = self._conversation(session, statuses)
            if conv is not None:
                return self._follow_up(session, conv, now, reopen)
        customer = self._customer(session)
        if customer is None:
            return None
        return self._open(session, customer, now)

    def _follow_up(
        self, session: Session, conv: m.Conversation, now: datetime, reopen: bool
    ) -> Tick:
        customer = session.get_one(m.Customer, conv.customer_id)
        phrases = self.phrases(customer.language)
        last_direction = session.scalar(
            select(m.Message.direction)
            .where(m.Message.conversation_id == conv.id, m.Message.is_note.is_(False))
            .order_by(m.Message.created_at.desc(), m.Message.id.desc())
            .limit(1)
        )
        if conv.waiting_since is not None or last_direction != Direction.OUT.value:
            # Nobody has answered the customer's last message yet: they chase.
            body = self.rng.pick(phrases.nudges)
        else:
            story = self._story_of(conv, phrases)
            body = self.rng.pick(story.follow_ups if story else phrases.thanks)
        values = self._values(session, customer, phrases)
        subject = conv.subject
        if subject and not subject.startswith(phrases.reply_prefix):
            subject = phrases.reply_prefix + subject
        message = self._message(conv, customer, phrases, body, subject, values, now)
        if conv.status != ConversationStatus.OPEN.value:
            reopens.record(conv, now, reopens.CUSTOMER, session=session)
            conv.status = ConversationStatus.OPEN.value
            conv.resolved_at = None
            conv.snoozed_until = None
        self._record(session, conv, message, now)
        return Tick("reopen" if reopen else "follow_up", conv.id, message.id, message.body_text)

    def _story_of(self, conv: m.Conversation, phrases: Phrases) -> Story | None:
        names = {_TAG_SCENARIO[t] for t in conv.tags or [] if t in _TAG_SCENARIO}
        return next((s for s in phrases.stories if s.name in names), None)

    def _open(self, session: Session, customer: m.Customer, now: datetime) -> Tick | None:
        rng = self.rng
        phrases = self.phrases(customer.language)
        values = self._values(session, customer, phrases)
        stories = phrases.stories
        if "order_number" not in values:
            # Without an order, "my parcel is late" would be made up; ask about the shop.
            stories = tuple(s for s in stories if s.name in NO_ORDER_STORIES) or stories
        choices = [
            (s, subjects, openings)
            for s in stories
            if (subjects := _fillable(s.subjects, values))
            and (openings := _fillable(s.openings, values))
        ]
        if not choices:
            log.debug("customer simulator: nothing %s could write about", customer.id)
            return None
        story, subjects, openings = rng.pick(choices)
        channels = self._channels(session, customer)
        channel = rng.choices(channels, weights=[CHANNEL_WEIGHTS[c] for c in channels])[0]
        priority = Priority.HIGH if rng.chance(0.1) else Priority.NORMAL
        first_response, resolution = SLA[channel]
        if priority == Priority.HIGH:
            first_response, resolution = first_response / 2, resolution / 2
        subject = rng.pick(subjects).format_map(values)[:300]
        conv = m.Conversation(
            id=rng.uuid(),
            realm=Realm.PRODUCTION.value,
            customer_id=customer.id,
            channel=channel.value,
            subject=subject,
            status=ConversationStatus.OPEN.value,
            priority=priority.value,
            tags=[SCENARIO_TAGS[story.name]] if story.name in SCENARIO_TAGS else [],
            language=customer.language,
            first_response_due_at=now + first_response,
            resolution_due_at=now + resolution,
            message_count=0,
            created_at=now,
        )
        session.add(conv)
        message = self._message(
            conv, customer, phrases, rng.pick(openings), conv.subject, values, now
        )
        self._record(session, conv, message, now)
        # The routing rules, as for a real arrival (docs/routing.md).
        session.flush()
        routing.on_arrival(session, conv.id, message.id, now)
        return Tick("new", conv.id, message.id, message.body_text)

    def _channels(self, session: Session, customer: m.Customer) -> list[Channel]:
        """The channels this customer can plausibly write on (chat: anyone on the website)."""
        kinds = set(
            session.scalars(
                select(m.CustomerIdentity.kind).where(m.CustomerIdentity.customer_id == customer.id)
            )
        )
        channels = {Channel.CHAT}
        if customer.email or IdentityKind.EMAIL.value in kinds:
            channels.add(Channel.EMAIL)
        if customer.phone or IdentityKind.PHONE.value in kinds:
            channels |= {Channel.SMS, Channel.PHONE, Channel.WHATSAPP}
        channels |= {c for k, c in _BY_IDENTITY.items() if k.value in kinds}
        return [c for c in Channel if c in channels]  # a stable order, for the seed

    def _values(self, session: Session, customer: m.Customer, phrases: Phrases) -> dict[str, str]:
        """Placeholder values from the customer's latest order (what they would write about).

        Only values we really have are given, so templates needing others are skipped.
        """
        rng = self.rng
        name = customer.name.strip() or "Customer"
        values = {"first_name": name.split()[0], "customer_name": name}
        catalog = self._load()
        if catalog is not None:
            values["discount_code"] = rng.pick(catalog.discount_codes)
            product = rng.pick(catalog.products)
            values["product"] = product.title
            if product.sizes:
                values["size"] = rng.pick(product.sizes)
        order = session.scalars(
            select(m.Order)
            .where(m.Order.customer_id == customer.id)
            .order_by(m.Order.placed_at.desc(), m.Order.id)
            .limit(1)
        ).first()
        if order is None:
            return values
        values["order_number"] = order.number
        line = session.scalars(
            select(m.OrderLine).where(m.OrderLine.order_id == order.id).order_by(m.OrderLine.id)
        ).first()
        if line is not None:
            # Demo lines read "Classic Hoodie (Navy, M)"; the customer says "Classic Hoodie".
            title, _, detail = line.title.partition(" (")
            values["product"] = title
            values.pop("size", None)
            size = detail.rstrip(")").rpartition(", ")[2] if ", " in detail else ""
            known = {p.title: p.sizes for p in catalog.products} if catalog else {}
            sizes = known.get(title, ())
            if size in sizes:
                i = sizes.index(size)
                values["size"] = size
                values["new_size"] = sizes[i + 1 if i + 1 < len(sizes) else i - 1]
        shipment = session.scalars(
            select(m.Shipment).where(m.Shipment.order_id == order.id).order_by(m.Shipment.id)
        ).first()
        if shipment is not None:
            values["carrier"] = shipment.carrier
            values["tracking_number"] = shipment.tracking_number
            if shipment.eta is not None and phrases.texts is not None:
                values["eta"] = day(phrases.texts, shipment.eta)
        return values

    def _message(
        self,
        conv: m.Conversation,
        customer: m.Customer,
        phrases: Phrases,
        template: str,
        subject: str,
        values: Mapping[str, str],
        now: datetime,
    ) -> m.Message:
        """The stored message, dressed in the channel's manner (emails greet and sign)."""
        rng = self.rng
        body = template.format_map(values)
        channel = Channel(conv.channel)
        body_html = None
        if channel == Channel.EMAIL:
            head = rng.pick(phrases.greetings).format_map(values)
            tail = rng.pick(phrases.signoffs).format_map(values)
            body = f"{head}\n\n{body}\n\n{tail}"
            body_html = "".join(
                f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n")
            )
        elif channel == Channel.PHONE:
            secs = rng.randrange(15, 180)
            body = phrases.voicemail.format(duration=f"{secs // 60}:{secs % 60:02d}", body=body)
        message_id = rng.uuid()
        return m.Message(
            id=message_id,
            realm=conv.realm,
            conversation_id=conv.id,
            channel=channel.value,
            direction=Direction.IN.value,
            is_note=False,
            author_name=customer.name,
            subject=subject if channel == Channel.EMAIL else "",
            body_text=body,
            body_html=body_html,
            attachments=[],
            delivery_status=DeliveryStatus.RECEIVED.value,
            # A chat widget talks to us directly; other channels' messages carry a provider id.
            provider_message_id=None if channel == Channel.CHAT else f"sim-{message_id}",
            sent_at=now,
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def _record(session: Session, conv: m.Conversation, message: m.Message, now: datetime) -> None:
        """Store the message and keep the conversation's summary columns as an inbound
        message leaves them (as ``sync.mutations.send`` does for replies)."""
        session.add(message)
        conv.message_count = (conv.message_count or 0) + 1
        conv.last_message_at = now
        conv.last_inbound_at = now
        if conv.waiting_since is None:
            conv.waiting_since = now
        text = message.body_text.strip()
        conv.preview = text.splitlines()[0][:300] if text else ""


def write_one(
    writes: Callable[[], Session], sim: Simulation, now: datetime | None = None
) -> Tick | None:
    """One tick in its own transaction (the feed records it at commit)."""
    with writes() as session:
        tick = sim.step(session, now)
        session.commit()
    return tick


# --- simulated phone calls ----------------------------------------------------------------

#: Share of ticks in which a customer also phones (the ringing -> answer -> wrap-up demo).
CALL_SHARE = 0.15
#: How long a simulated call rings before it counts as missed (and becomes a callback task).
RING_SECONDS = 45.0
#: Our number, as the simulated calls dial it.
DEMO_NUMBER = "+442071234567"
SIMULATED_CALL = "SIMCA"


def place_call(session: Session, sim: Simulation) -> str | None:
    """A production customer with a phone number calls; the call rings until an agent takes
    it (``call.take``) or ``expire_calls`` marks it missed. Returns its call id."""
    from csdesk.server.channels.calls import ingest_call
    from csdesk.server.channels.inbound import InboundCall

    ids = (
        select(m.CustomerIdentity.id)
        .join(m.Customer, m.Customer.id == m.CustomerIdentity.customer_id)
        .where(
            m.CustomerIdentity.realm == Realm.PRODUCTION.value,
            m.CustomerIdentity.kind == IdentityKind.PHONE.value,
            m.CustomerIdentity.verified.is_(True),  # only a verified number finds its customer
            m.Customer.merged_into_id.is_(None),
        )
        .order_by(m.CustomerIdentity.id)
    )
    ident_id = sim._pick_id(session, ids)
    ident = None if ident_id is None else session.get(m.CustomerIdentity, ident_id)
    if ident is None:
        return None
    sid = SIMULATED_CALL + "".join(sim.rng.pick(string.hexdigits.lower()) for _ in range(32))
    call = InboundCall(
        call_sid=sid,
        from_number=ident.value,
        from_raw=ident.value,
        to_number=DEMO_NUMBER,
        direction=Direction.IN,
        provider_direction="inbound",
        status="ringing",
    )
    ingest_call(session, call)
    return sid


def expire_calls(session: Session, now: datetime | None = None, ring: float = RING_SECONDS) -> int:
    """Simulated calls nobody took within ``ring`` seconds hang up: missed, callback tasks."""
    from csdesk.server.channels.calls import ingest_call
    from csdesk.server.channels.inbound import InboundCall

    cutoff = (now or utcnow()) - timedelta(seconds=ring)
    stale = session.scalars(
        select(m.Call).where(
            m.Call.call_sid.startswith(SIMULATED_CALL),
            m.Call.outcome == "ringing",
            m.Call.agent_id.is_(None),
            m.Call.ended_at.is_(None),
            m.Call.started_at <= cutoff,
        )
    ).all()
    for row in stale:
        ingest_call(
            session,
            InboundCall(
                call_sid=row.call_sid,
                from_number=row.from_number or None,
                from_raw=row.from_number,
                to_number=row.to_number,
                direction=Direction.IN,
                provider_direction="inbound",
                status="no-answer",
                duration_seconds=0,
            ),
        )
    return len(stale)


def call_tick(
    writes: Callable[[], Session], sim: Simulation, place: bool, ring: float = RING_SECONDS
) -> str | None:
    """Hang up calls that rang out, then maybe place one; one transaction each."""
    with writes() as session:
        expire_calls(session, ring=ring)
        session.commit()
    if not place:
        return None
    with writes() as session:
        sid = place_call(session, sim)
        session.commit()
    return sid


# --- the demo line: calls the agents place (docs/callbacks.md, "In the demo") -------------

#: How long the demo line rings before its customer picks up. $CSDESK_DEMO_LINE_RING_SECONDS
DEMO_LINE_RING = 4.0
#: Share of demo line calls the customer does not answer. $CSDESK_DEMO_LINE_MISSED
DEMO_LINE_MISSED = 0.15
#: How often the demo line looks for a call to answer.
DEMO_LINE_POLL = 1.0


def _env_float(name: str, default: float, top: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        return default
    return value if 0 <= value <= top else default


def answer_demo_line(
    session: Session,
    rng: random.Random,
    now: datetime | None = None,
    ring: float = DEMO_LINE_RING,
    missed: float = DEMO_LINE_MISSED,
) -> int:
    """The demo line's customers pick up the calls that rang ``ring`` seconds, or (a share
    ``missed`` of them) let them ring out: missed, as Twilio's Dial result files it. Returns
    how many calls it settled (not committed)."""
    from csdesk.server.channels import callout
    from csdesk.server.channels.calls import rewrite

    now = now or utcnow()
    ringing = session.scalars(
        select(m.Call)
        .where(
            m.Call.call_sid.startswith(DEMO_LINE_SID),
            m.Call.outcome == CallOutcome.RINGING.value,
            m.Call.ended_at.is_(None),
            m.Call.started_at <= now - timedelta(seconds=ring),
        )
        .order_by(m.Call.started_at, m.Call.id)
        .with_for_update()
    ).all()
    for call in ringing:
        if rng.random() < missed:
            # What Twilio reports when the customer does not pick up (callout.report).
            dial = {"DialCallStatus": "no-answer", "CallStatus": "completed"}
            callout.report(session, call, "dialed", dial)
            continue
        call.provider_status = "in-progress"
        call.outcome = CallOutcome.ANSWERED.value
        call.answered_at = now
        rewrite(session, call)
    return len(ringing)


def demo_line_tick(
    writes: Callable[[], Session],
    rng: random.Random,
    ring: float = DEMO_LINE_RING,
    missed: float = DEMO_LINE_MISSED,
) -> int:
    """One look at the demo line in its own transaction."""
    with writes() as session:
        settled = answer_demo_line(session, rng, ring=ring, missed=missed)
        session.commit()
    return settled


# --- the background task ------------------------------------------------------------------


class CustomerSimulator:
    """Runs ``Simulation`` every ``interval`` seconds (±50 %) until stopped."""

    def __init__(
        self, writes: Callable[[], Session], interval: float, seed: int | None = None
    ) -> None:
        self.writes = writes
        self.interval = interval
        self.sim = Simulation(seed)
        # Timing has its own stream, so the content depends only on the seed and the data.
        self._timing = random.Random(seed)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.calls = 0
        self.call_share = CALL_SHARE
        # The demo line (calls agents place) answers on its own, faster clock and stream.
        self.line_rng = random.Random(seed)
        self.line_ring = _env_float("CSDESK_DEMO_LINE_RING_SECONDS", DEMO_LINE_RING, 600)
        self.line_missed = _env_float("CSDESK_DEMO_LINE_MISSED", DEMO_LINE_MISSED, 1)
        self._line: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, state: ServerState) -> CustomerSimulator:
        """Create and schedule it on the running loop (from the app's lifespan)."""
        interval = state.config.simulate_customers_seconds
        assert interval is not None and interval > 0
        from csdesk.server.channels.callout import install_demo_line

        install_demo_line(state.writes)  # click-to-call without Twilio: the demo line
        sim = cls(state.writes, interval, state.config.simulate_seed)
        sim.launch()
        log.info("customer simulator: a customer writes about every %.1fs", interval)
        return sim

    def launch(self) -> None:
        """Schedule ``run`` on the running loop; ``stop`` ends it."""
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self.run(), name="customer-simulator")
        self._line = loop.create_task(self.run_line(), name="demo-line")

    async def run_line(self) -> None:
        """Answer the calls agents place to the demo line, every ``DEMO_LINE_POLL`` s."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), DEMO_LINE_POLL)
                return
            try:
                await asyncio.to_thread(
                    demo_line_tick, self.writes, self.line_rng, self.line_ring, self.line_missed
                )
            except Exception as exc:
                outage.log_failure(log, exc, "demo line: a round failed; trying again")

    async def run(self) -> None:
        while not self._stopping.is_set():
            delay = self.interval * self._timing.uniform(0.5, 1.5)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
                return
            try:
                tick = await asyncio.to_thread(write_one, self.writes, self.sim)
            except Exception as exc:
                outage.log_failure(
                    log, exc, "customer simulator: a tick failed; trying again next time"
                )
                continue
            if tick is not None:
                self.ticks += 1
                log.debug("customer simulator: %s in %s", tick.kind, tick.conversation_id)
            place = self._timing.random() < self.call_share
            try:
                sid = await asyncio.to_thread(call_tick, self.writes, self.sim, place)
            except Exception as exc:
                outage.log_failure(
                    log, exc, "customer simulator: a call failed; trying again next time"
                )
                continue
            if sid is not None:
                self.calls += 1
                log.debug("customer simulator: call %s ringing", sid)

    async def stop(self) -> None:
        """Let a tick in progress finish (its thread cannot be interrupted), then end.

        Cancelling instead would leave the thread writing while the engine is disposed.
        """
        self._stopping.set()
        line = self._line
        if line is not None:
            try:
                await asyncio.wait_for(asyncio.shield(line), STOP_TIMEOUT)
            except TimeoutError:
                line.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await line
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("customer simulator: a tick did not finish in %.0fs", STOP_TIMEOUT)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
