"""Conversations and their message threads.

A thread is a story about one of the customer's real orders (or a question needing none),
told in the customer's language and in the channel's manner: emails carry greetings,
signatures and "Re:" subjects, chats are short, phone contacts are voicemails and call notes.
The conversation row is derived from its messages exactly as the server keeps it when agents
work (``sync.mutations.send``): ``message_count`` counts notes too, ``preview`` is the first
line of the last non-note message, ``waiting_since`` is the oldest inbound message no agent
has answered yet, so what the demo shows is what live traffic would look like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate, pairwise
from typing import Any

from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    OrderStatus,
    Priority,
    ReturnStatus,
)
from csdesk.protocol import Entity
from csdesk.server.demo.catalog import Catalog, Texts
from csdesk.server.demo.commerce import DELIVERED, OrderInfo
from csdesk.server.demo.common import Agent, Block, Row, Staff, day, money, synced
from csdesk.server.demo.people import Person
from csdesk.server.demo.policy import (
    BUMP,
    CHANNEL_WEIGHTS,
    DAY,
    FIRST_RESPONSE,
    FRONT_TEAM,
    HOUR,
    MINUTE,
    RESOLUTION,
    RETURNS_SCENARIOS,
    RETURNS_TEAM,
    SCENARIO_TAGS,
    SCENARIO_WEIGHTS,
    VIP_TEAM,
    ThreadPolicy,
    sla_class,
)
from csdesk.server.demo.providers import ProviderIds
from csdesk.server.demo.rand import DemoRandom

IN, OUT, NOTE = "in", "out", "note"
_IN, _OUT = Direction.IN.value, Direction.OUT.value


@dataclass(slots=True)
class _Story:
    scenario: str
    order: OrderInfo | None
    earliest: datetime


class ThreadFactory:
    def __init__(
        self,
        rng: DemoRandom,
        catalog: Catalog,
        realm: str,
        now: datetime,
        staff: Staff,
        ids: ProviderIds,
        policy: ThreadPolicy,
    ) -> None:
        self.rng = rng
        self.cat = catalog
        self.realm = realm
        self.now = now
        self.staff = staff
        self.ids = ids
        self.policy = policy
        self._sized = tuple(p for p in catalog.products if p.sizes)
        self._story_cache: dict[str, tuple[list[_Story], tuple[float, ...]]] = {}

    # --- choosing the story --------------------------------------------------------------

    def _stories(self, person: Person) -> list[tuple[_Story, float]]:
        now = self.now
        out: list[tuple[_Story, float]] = []

        def add(name: str, order: OrderInfo | None, earliest: datetime) -> None:
            story = _Story(name, order, min(earliest, now - 10 * MINUTE))
            out.append((story, SCENARIO_WEIGHTS[name]))

        for o in person.orders:
            sh = o.shipment
            if o.status in (OrderStatus.PLACED, OrderStatus.PAID):
                add("address_change", o, o.placed_at + 5 * MINUTE)
                add("cancel_order", o, o.placed_at + 5 * MINUTE)
            if sh is not None and sh.shipped_at is not None and sh.status != DELIVERED:
                if sh.delayed(now):
                    assert sh.eta is not None
                    add("delayed", o, sh.eta + 2 * HOUR)
                else:
                    add("wismo", o, sh.shipped_at + DAY)
            if sh is not None and sh.delivered_at is not None:
                add("damaged", o, sh.delivered_at + HOUR)
                if o.size:
                    add("wrong_size", o, sh.delivered_at + HOUR)
            if o.return_status in (
                ReturnStatus.APPROVED,
                ReturnStatus.RECEIVED,
                ReturnStatus.REFUNDED,
            ):
                assert o.return_at is not None
                add("refund", o, o.return_at + DAY)
        add("discount_code", None, now - self.policy.max_age)
        add("product_question", None, now - self.policy.max_age)
        return out

    def _pick_story(self, person: Person) -> _Story:
        cached = self._story_cache.get(person.id)
        if cached is None:  # a customer has about four conversations: work it out once
            options = self._stories(person)
            cached = ([s for s, _w in options], tuple(accumulate(w for _s, w in options)))
            if len(self._story_cache) >= 4096:  # persons come a block at a time
                self._story_cache.clear()
            self._story_cache[person.id] = cached
        return self.rng.weighted(*cached)

    # --- the thread ----------------------------------------------------------------------

    def make(self, block: Block, person: Person, n: int, channel: Channel | None = None) -> None:
        """One conversation of ``n`` messages (notes included) for ``person``."""
        rng = self.rng
        if channel is None:
            options = person.channels()
            channel = rng.weighted(options, tuple(accumulate(CHANNEL_WEIGHTS[c] for c in options)))
        story = self._pick_story(person)
        status = (
            ConversationStatus.OPEN
            if n == 1
            else rng.weighted(self.policy.statuses, self.policy.status_cum)
        )
        unassigned = status == ConversationStatus.OPEN and rng.chance(self.policy.unassigned_open)
        agent = None if unassigned else rng.weighted(self.staff.agents, self.staff.agent_weights)
        roles = self._roles(n, status, unassigned)
        times = self._times(roles, channel, status, story.earliest)

        texts = person.language.texts
        ph = self._placeholders(person, story, texts, agent)
        style = (  # one person writes the same greeting and sign-off throughout a thread
            rng.pick(texts.customer_greeting),
            rng.pick(texts.customer_signoff),
            rng.pick(texts.agent_greeting),
            rng.pick(texts.agent_signoff),
        )
        scen = texts.scenarios[story.scenario]
        subject = rng.pick(scen.subjects).format_map(ph)
        cid = rng.uuid()

        messages: list[Row] = []
        n_in = n_out = 0
        writer = agent or rng.pick(self.staff.agents)
        for i, (role, at) in enumerate(zip(roles, times, strict=True)):
            attachments: list[dict[str, Any]] = []
            if role == IN:
                prev = next((r for r in reversed(roles[:i]) if r != NOTE), None)
                if n_in == 0:
                    body = rng.pick(scen.opening)
                    if story.scenario == "damaged":
                        attachments = [
                            {
                                "filename": f"IMG_{rng.randrange(1000, 9999)}.jpg",
                                "content_type": "image/jpeg",
                                "size": rng.randrange(400_000, 4_000_000),
                            }
                            for _ in range(rng.randrange(1, 3))
                        ]
                elif prev == IN:
                    body = rng.pick(texts.generic["customer_nudge"])
                elif n_in == 1:
                    body = rng.pick(scen.follow_up)
                else:
                    body = rng.pick(texts.generic["customer_thanks"])
                n_in += 1
            elif role == OUT:
                last_out = status != ConversationStatus.OPEN and i == n - 1
                if n_out == 0:
                    body = rng.pick(scen.reply)
                elif last_out and status == ConversationStatus.RESOLVED:
                    body = rng.pick(texts.generic["agent_closing"])
                elif n_out == 1:
                    body = rng.pick(scen.answer)
                else:
                    body = rng.pick(texts.generic["agent_update"])
                if n_out == 0 and channel not in (Channel.EMAIL, Channel.PHONE):
                    body = rng.pick(texts.chat_agent_greeting) + body
                n_out += 1
            else:
                body = rng.pick(scen.note)
            text = self._dress(body, role, channel, texts, ph, style)
            title = subject if i == 0 else texts.reply_prefix + subject
            messages.append(
                self._message(cid, channel, role, at, text, title, person, writer, attachments)
            )

        block.rows[Entity.MESSAGE].extend(messages)
        conversation = self._conversation(
            cid, person, channel, story, status, agent, subject, messages
        )
        block.add(Entity.CONVERSATION, conversation)

    def _roles(self, n: int, status: ConversationStatus, unassigned: bool) -> list[str]:
        """Who speaks when: mostly alternating, sometimes a double message or a note."""
        rng = self.rng
        if unassigned:  # nobody has picked it up yet: the customer may have written twice
            return [IN] * n
        roles = [IN]
        for _ in range(1, n):
            prev = roles[-1]
            if prev == IN:
                roles.append(OUT if rng.chance(0.85) else IN)
            else:
                roles.append(IN if rng.chance(0.8) else OUT)
        if n > 1:
            roles[-1] = IN if status == ConversationStatus.OPEN else OUT
        if n >= 3 and rng.chance(0.3):
            roles[rng.randrange(1, n - 1)] = NOTE
        return roles

    def _times(
        self, roles: list[str], channel: Channel, status: ConversationStatus, earliest: datetime
    ) -> list[datetime]:
        """Message times: channel-typical gaps, the thread ending where its status says."""
        rng, now = self.rng, self.now
        kind = sla_class(channel)
        gaps = [timedelta(0)]
        for prev, role in pairwise(roles):
            if role == NOTE:
                gaps.append(rng.span(MINUTE, 30 * MINUTE))
            elif role == OUT:
                gaps.append(
                    rng.span(20 * MINUTE, 9 * HOUR)
                    if kind == "email"
                    else rng.span(MINUTE / 2, 6 * MINUTE)
                    if kind == "realtime"
                    else rng.span(3 * MINUTE, 2 * HOUR)
                )
            elif prev == IN:  # a nudge
                gaps.append(
                    rng.span(30 * MINUTE, 20 * HOUR)
                    if kind == "email"
                    else rng.span(MINUTE, 40 * MINUTE)
                )
            else:
                gaps.append(
                    rng.span(HOUR, 30 * HOUR)
                    if kind == "email"
                    else rng.span(MINUTE / 3, 4 * MINUTE)
                    if kind == "realtime"
                    else rng.span(2 * MINUTE, 10 * HOUR)
                )
        span = sum(gaps, timedelta(0))
        if status == ConversationStatus.OPEN:
            end = now - rng.span(2 * MINUTE, 30 * HOUR)
        elif status == ConversationStatus.PENDING:
            end = now - rng.span(15 * MINUTE, 72 * HOUR)
        elif status == ConversationStatus.SNOOZED:
            end = now - rng.span(HOUR, 48 * HOUR)
        else:
            end = now - rng.span(30 * MINUTE, self.policy.max_age * 0.75)
        lo = max(earliest, now - self.policy.max_age)
        hi = now - MINUTE
        if lo > hi - 10 * MINUTE:
            lo = hi - 10 * MINUTE
        if lo + span > hi:  # squeeze the thread into the time the story allows
            scale = (hi - lo) / span
            gaps = [g * scale for g in gaps]
            span, end = hi - lo, hi
        end = min(max(end, lo + span), hi)
        t = (end - span).replace(microsecond=0)
        out = []
        for g in gaps:
            t = t + g
            out.append(t.replace(microsecond=0))
        return out

    # --- text ----------------------------------------------------------------------------

    def _placeholders(
        self, person: Person, story: _Story, texts: Texts, agent: Agent | None
    ) -> dict[str, str]:
        rng = self.rng
        order = story.order
        product = order.product if order else rng.pick(self._sized)
        size = order.size if order and order.size else rng.pick(product.sizes or ("M",))
        sizes = product.sizes or (size,)
        idx = sizes.index(size) if size in sizes else 0
        new_size = sizes[idx + 1] if idx + 1 < len(sizes) else sizes[max(idx - 1, 0)]
        country = person.country
        symbol = self.cat.currency_symbols.get(country.currency, country.currency + " ")
        sh = order.shipment if order else None
        refund = (order.refund_cents or order.total_cents) if order else 0
        code = rng.pick(self.cat.discount_codes)
        return {
            "first_name": person.first_name,
            "customer_name": person.name,
            "agent_name": (agent or self.staff.agents[0]).display_name,
            "order_number": order.number if order else "",
            "product": product.title,
            "size": size,
            "new_size": new_size,
            "carrier": sh.carrier if sh else "",
            "tracking_number": sh.tracking_number if sh else "",
            "eta": day(texts, sh.eta) if sh and sh.eta else "",
            "refund_amount": money(texts, refund, symbol),
            "street": country.address.format(
                number=rng.randrange(1, 180), street=rng.pick(country.streets)
            ),
            "city": rng.pick(country.cities),
            "discount_code": code,
            "new_code": f"CARE10-{rng.hex(6).upper()}",
            "duration": "",
            "body": "",
        }

    def _dress(
        self,
        body: str,
        role: str,
        channel: Channel,
        texts: Texts,
        ph: dict[str, str],
        style: tuple[str, str, str, str],
    ) -> str:
        """The channel's manner: greetings and signatures in email, call framing on phone."""
        body = body.format_map(ph)
        if role == NOTE:
            return body
        if channel == Channel.EMAIL:
            head, tail = style[:2] if role == IN else style[2:]
            return f"{head.format_map(ph)}\n\n{body}\n\n{tail.format_map(ph)}"
        if channel == Channel.PHONE:
            secs = self.rng.randrange(25, 600)
            frame = texts.phone_inbound if role == IN else texts.phone_outbound
            return frame.format(duration=f"{secs // 60}:{secs % 60:02d}", body=body)
        return body

    # --- rows ----------------------------------------------------------------------------

    def _message(
        self,
        cid: str,
        channel: Channel,
        role: str,
        at: datetime,
        text: str,
        subject: str,
        person: Person,
        agent: Agent,
        attachments: list[dict[str, Any]],
    ) -> Row:
        rng = self.rng
        failure: str | None = None
        if role == IN:
            status = DeliveryStatus.RECEIVED
        elif role == NOTE:
            status = DeliveryStatus.SENT
        elif channel == Channel.SMS and rng.chance(0.04):
            status, failure = DeliveryStatus.FAILED, "30003: Unreachable destination handset"
        elif channel in (Channel.EMAIL, Channel.PHONE):
            status = DeliveryStatus.SENT
        elif channel in (Channel.WHATSAPP, Channel.MESSENGER, Channel.INSTAGRAM, Channel.CHAT):
            status = DeliveryStatus.READ if rng.chance(0.7) else DeliveryStatus.DELIVERED
        else:
            status = DeliveryStatus.DELIVERED
        updated = (
            at
            if status in (DeliveryStatus.RECEIVED, DeliveryStatus.SENT)
            else min(at + timedelta(seconds=rng.randrange(2, 1200)), self.now)
        )
        # Plain-text mail (body_html None), as many customers and most helpdesks send it.
        return {
            "id": rng.uuid(),
            "realm": self.realm,
            "created_at": at,
            "updated_at": updated,
            "conversation_id": cid,
            "channel": channel.value,
            "direction": _IN if role == IN else _OUT,
            "is_note": role == NOTE,
            "author_user_id": None if role == IN else agent.id,
            "author_name": person.name if role == IN else agent.display_name,
            "subject": subject if channel == Channel.EMAIL and role != NOTE else "",
            "body_text": text,
            "body_html": None,
            "attachments": attachments,
            "delivery_status": status.value,
            "failure_reason": failure,
            "provider_message_id": None if role == NOTE else self.ids.make(channel, role, person),
            "sent_at": None if role == NOTE else at,
            "template": None,  # server-only: the WhatsApp template a reply was sent as
            "is_auto": False,
            "auto_kind": None,
            "sender_warning": None,
            "source_ref": None,  # server-only: where an email was read (mailbox, UID)
            "fingerprint": None,
            "recipient": None,  # server-only: where a mail the server wrote itself went
            # What ingest would have detected: the customer writes in their own language.
            "language": person.language.code if role == IN else None,
            "translations": [],
            "merged_from_id": None,  # merging conversations (docs/merge-split.md)
            # --- server notes in the agent's language (issue 13) ---
            "body_phrases": None,
        }

    def _conversation(
        self,
        cid: str,
        person: Person,
        channel: Channel,
        story: _Story,
        status: ConversationStatus,
        agent: Agent | None,
        subject: str,
        messages: list[Row],
    ) -> Row:
        rng, now = self.rng, self.now
        created = messages[0]["created_at"]
        last = messages[-1]["created_at"]
        spoken = [m for m in messages if not m["is_note"]]
        inbound = [m for m in spoken if m["direction"] == _IN]
        first_out = next((m for m in spoken if m["direction"] == _OUT), None)
        waiting: datetime | None = None
        for m in reversed(spoken):  # the oldest inbound message after the last reply
            if m["direction"] == _OUT:
                break
            waiting = m["created_at"]

        priority = Priority.NORMAL
        if story.scenario == "damaged" or (story.scenario == "delayed" and rng.chance(0.5)):
            priority = Priority.HIGH
        elif story.scenario in ("discount_code", "product_question") and rng.chance(0.5):
            priority = Priority.LOW
        if person.vip:
            priority = BUMP[priority]
        if rng.chance(0.03):
            priority = Priority.URGENT
        team = (
            VIP_TEAM
            if person.vip
            else RETURNS_TEAM
            if story.scenario in RETURNS_SCENARIOS
            else FRONT_TEAM
        )
        tags = [SCENARIO_TAGS[story.scenario]]
        if person.vip:
            tags.append("vip")
        resolved = (
            min(last + rng.span(MINUTE, 2 * HOUR), now - MINUTE)
            if status == ConversationStatus.RESOLVED
            else None
        )
        snoozed = (
            (now + rng.span(2 * HOUR, 3 * DAY)).replace(second=0, microsecond=0)
            if status == ConversationStatus.SNOOZED
            else None
        )
        return {
            **synced(cid, self.realm, created, max(last, resolved or last)),
            "customer_id": person.id,
            "channel": channel.value,
            "subject": subject[:300],
            "preview": spoken[-1]["body_text"].strip().splitlines()[0][:300],
            "status": status.value,
            "priority": priority.value,
            "assignee_id": agent.id if agent else None,
            "team_id": self.staff.teams.get(team),
            "tags": tags,
            "language": person.language.code,
            "snoozed_until": snoozed,
            "first_response_due_at": created + FIRST_RESPONSE[sla_class(channel)][priority],
            "resolution_due_at": created + RESOLUTION[priority],
            "first_response_at": first_out["created_at"] if first_out else None,
            "resolved_at": resolved,
            "last_message_at": last,
            "last_inbound_at": inbound[-1]["created_at"] if inbound else None,
            "waiting_since": waiting,
            "message_count": len(messages),
            "deleted_at": None,
        }
