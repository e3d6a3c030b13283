"""The whole demo store as a stream of row blocks, deterministic for a seed and a ``now``.

Customers are generated a block at a time with their orders and conversations, so a million
messages never sit in memory at once and the loader can write and feed each block as it comes.
The first block also carries the staff and canned responses and forces a little variety (every
channel, the main languages, a late, a delivered and an in-transit parcel, an order not shipped
in time) so even a tiny store shows every feature; the last block is the training realm.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from csdesk.domain.enums import Channel, IdentityKind, Realm
from csdesk.server.demo import surveys as survey_answers
from csdesk.server.demo.catalog import Catalog
from csdesk.server.demo.commerce import OrderFactory, OrderNumbers
from csdesk.server.demo.common import Block, Staff
from csdesk.server.demo.people import CHANNEL_KIND, PeopleFactory, Person
from csdesk.server.demo.policy import PRODUCTION_POLICY, TRAINING_POLICY
from csdesk.server.demo.providers import ProviderIds
from csdesk.server.demo.rand import DemoRandom
from csdesk.server.demo.staff import make_canned, make_staff
from csdesk.server.demo.threads import ThreadFactory

BLOCK_CUSTOMERS = 500
_FORCED_LANGUAGES = ("en", "de", "fr", "es", "nl")
_FORCED_KINDS = (
    IdentityKind.CHAT_VISITOR,
    IdentityKind.WHATSAPP,
    IdentityKind.MESSENGER,
    IdentityKind.INSTAGRAM,
    IdentityKind.TELEGRAM,
    IdentityKind.PHONE,
)
#: "delayed" and "unshipped" are late orders the outreach list shows (``server.outreach``).
_FORCED_ORDERS = ("delayed", "delivered", "in_transit", "unshipped")
#: Provider-id counters of the training realm start here, far above any production count:
#: (channel, provider_message_id) is unique across realms.
_TRAINING_IDS = 1 << 39


@dataclass(frozen=True, slots=True)
class Plan:
    seed: int
    now: datetime
    customers: int
    conversations: int
    messages: int
    training_customers: int = 6
    training_conversations: int = 14
    training_messages: int = 44


def make_plan(
    seed: int, now: datetime, customers: int, conversations: int | None, messages: int | None
) -> Plan:
    """Defaults (four conversations per customer, five messages per conversation) and limits:
    every conversation has at least one message, and none exist without customers."""
    if customers < 0 or (conversations or 0) < 0 or (messages or 0) < 0:
        raise ValueError("demo sizes must not be negative")
    convs = 4 * customers if conversations is None else conversations
    msgs = 5 * convs if messages is None else messages
    if customers == 0:
        convs = msgs = 0
    convs = min(convs, msgs)
    return Plan(seed, now, customers, convs, msgs)


def _split(rng: DemoRandom, extra: int, count: int) -> list[int]:
    """Message counts for ``count`` conversations summing to ``count + extra``: one each
    plus a skewed share, so most threads are short and a few run long, as in real inboxes."""
    if count == 0:
        return []
    weights = [rng.expovariate(1.0) for _ in range(count)]
    total = sum(weights)
    counts = [1 + int(extra * w / total) for w in weights]
    for _ in range(count + extra - sum(counts)):
        counts[rng.randrange(count)] += 1
    return counts


def generate(plan: Plan, catalog: Catalog, password_hash: str) -> Iterator[Block]:
    rng = DemoRandom(plan.seed)
    now = plan.now
    first = Block()
    staff, training_staff = make_staff(rng, first, now, password_hash)
    make_canned(rng, catalog, first, Realm.PRODUCTION.value, now)
    make_canned(rng, catalog, first, Realm.TRAINING.value, now)

    prod = Realm.PRODUCTION.value
    people = PeopleFactory(rng, catalog, prod, now)
    orders = OrderFactory(rng, catalog, prod, now, OrderNumbers("FH-"))
    threads = ThreadFactory(
        rng, catalog, prod, now, staff, ProviderIds(rng, catalog.store_domain), PRODUCTION_POLICY
    )
    n, c, extra = plan.customers, plan.conversations, plan.messages - plan.conversations
    for start in range(0, n, BLOCK_CUSTOMERS):
        end = min(n, start + BLOCK_CUSTOMERS)
        block = first if start == 0 else Block()
        persons: list[Person] = []
        for i in range(start, end):
            lang = _FORCED_LANGUAGES[i] if i < len(_FORCED_LANGUAGES) else None
            person = people.make(
                block,
                language=lang if lang in catalog.languages else None,
                extra_kind=_FORCED_KINDS[i] if i < len(_FORCED_KINDS) else None,
            )
            orders.make_all(block, person, _FORCED_ORDERS[i] if i < len(_FORCED_ORDERS) else None)
            persons.append(person)
        count = c * end // n - c * start // n
        sizes = _split(rng, extra * end // n - extra * start // n, count)
        for j, size in enumerate(sizes):
            channel: Channel | None = None
            person = rng.pick(persons)
            if start == 0 and j < len(Channel):
                channel = list(Channel)[j]
                person = next((p for p in persons if CHANNEL_KIND[channel] in p.kinds), person)
                if CHANNEL_KIND[channel] not in person.kinds:
                    channel = None
            threads.make(block, person, size, channel)
        survey_answers.add_answers(block, now)
        yield block
    if n == 0:
        yield first
    yield _training(plan, catalog, training_staff)


def _training(plan: Plan, catalog: Catalog, staff: Staff) -> Block:
    """A small sandbox for trainees, from its own random stream (its content does not
    depend on the size of the production store)."""
    rng = DemoRandom(plan.seed * 1_000_003 + 11)
    realm, now = Realm.TRAINING.value, plan.now
    block = Block()
    people = PeopleFactory(
        rng, catalog, realm, now, email_domains=("training.example.com", "sandbox.example.org")
    )
    orders = OrderFactory(rng, catalog, realm, now, OrderNumbers("TRN-"))
    ids = ProviderIds(rng, catalog.store_domain)
    ids.n = _TRAINING_IDS
    threads = ThreadFactory(rng, catalog, realm, now, staff, ids, TRAINING_POLICY)
    persons = []
    for i in range(plan.training_customers):
        person = people.make(
            block,
            language="en" if i % 2 == 0 else None,
            extra_kind=_FORCED_KINDS[i] if i < len(_FORCED_KINDS) else None,
        )
        orders.make_all(block, person, _FORCED_ORDERS[i % len(_FORCED_ORDERS)])
        persons.append(person)
    extra = plan.training_messages - plan.training_conversations
    for size in _split(rng, extra, plan.training_conversations):
        threads.make(block, rng.pick(persons), size)
    return block
