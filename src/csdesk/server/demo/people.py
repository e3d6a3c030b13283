"""Customers and the identities they contact the store with.

Every channel needs an identity to reach the customer on (a WhatsApp conversation without a
WhatsApp identity would be unanswerable in the desktop), so a ``Person`` remembers which kinds
it has and the thread generator only picks channels the customer can be reached on. Emails use
the RFC 2606 ``example`` domains so a demo server wired to a real mail provider cannot write to
a stranger.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING

from csdesk.domain.enums import Channel, IdentityKind, LoyaltyTier
from csdesk.protocol import Entity
from csdesk.server.demo.catalog import Catalog, Country, Language
from csdesk.server.demo.common import Block, synced
from csdesk.server.demo.rand import DemoRandom

if TYPE_CHECKING:
    from csdesk.server.demo.commerce import OrderInfo

#: Which identity a conversation on each channel is addressed to.
CHANNEL_KIND: dict[Channel, IdentityKind] = {
    Channel.EMAIL: IdentityKind.EMAIL,
    Channel.CHAT: IdentityKind.CHAT_VISITOR,
    Channel.PHONE: IdentityKind.PHONE,
    Channel.SMS: IdentityKind.PHONE,
    Channel.WHATSAPP: IdentityKind.WHATSAPP,
    Channel.MESSENGER: IdentityKind.MESSENGER,
    Channel.INSTAGRAM: IdentityKind.INSTAGRAM,
    Channel.TELEGRAM: IdentityKind.TELEGRAM,
}
#: How often a customer has each optional identity (email is always there: it is an online
#: store; a phone number is asked at checkout but optional).
_KIND_SHARE: dict[IdentityKind, float] = {
    IdentityKind.PHONE: 0.8,
    IdentityKind.CHAT_VISITOR: 0.45,
    IdentityKind.WHATSAPP: 0.35,
    IdentityKind.MESSENGER: 0.2,
    IdentityKind.INSTAGRAM: 0.2,
    IdentityKind.TELEGRAM: 0.12,
}
_TIERS = (
    (4000, LoyaltyTier.PLATINUM),
    (1500, LoyaltyTier.GOLD),
    (500, LoyaltyTier.SILVER),
    (100, LoyaltyTier.BRONZE),
    (0, LoyaltyTier.NONE),
)
_NOTES = (
    "Prefers email over phone.",
    "Asked not to be called before 10:00 local time.",
    "Long-time customer; goodwill gestures approved up to 20.",
    "Sensitive skin – check materials before recommending.",
    "Orders for a small shop; may ask for invoices with VAT number.",
    "Had a lost parcel last year; be extra careful with tracking updates.",
)


@dataclass(slots=True)
class Person:
    """What the order and thread generators need to know about a generated customer."""

    id: str
    realm: str
    name: str
    first_name: str
    language: Language
    country: Country
    vip: bool
    created_at: datetime
    kinds: frozenset[IdentityKind]
    handles: dict[IdentityKind, str]
    orders: list[OrderInfo] = field(default_factory=list)  # filled by commerce.OrderFactory

    def channels(self) -> list[Channel]:
        return [c for c, k in CHANNEL_KIND.items() if k in self.kinds]


@dataclass
class Uniques:
    """Identity values already handed out in one realm: (realm, kind, value) is unique."""

    taken: set[str] = field(default_factory=set)

    def claim(self, kind: IdentityKind, value: str) -> bool:
        key = f"{kind.value}:{value.lower()}"
        if key in self.taken:
            return False
        self.taken.add(key)
        return True


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


class PeopleFactory:
    """Makes customers of one realm; holds the realm's uniqueness sets and weight tables."""

    def __init__(
        self,
        rng: DemoRandom,
        catalog: Catalog,
        realm: str,
        now: datetime,
        *,
        email_domains: tuple[str, ...] | None = None,
    ) -> None:
        self.rng = rng
        self.cat = catalog
        self.realm = realm
        self.now = now
        self.uniq = Uniques()
        self.email_domains = email_domains or catalog.email_domains
        self._langs = tuple(catalog.languages.values())
        self._lang_cum = tuple(accumulate(lang.weight for lang in self._langs))
        self._countries = {
            lang.code: (
                tuple(catalog.countries[c] for c, _w in lang.countries),
                tuple(accumulate(w for _c, w in lang.countries)),
            )
            for lang in self._langs
        }

    def make(
        self, block: Block, *, language: str | None = None, extra_kind: IdentityKind | None = None
    ) -> Person:
        rng = self.rng
        lang = (
            self.cat.languages[language] if language else rng.weighted(self._langs, self._lang_cum)
        )
        countries, cum = self._countries[lang.code]
        country = rng.weighted(countries, cum)
        first, last = rng.pick(lang.first_names), rng.pick(lang.last_names)
        name = f"{first} {last}"
        cid = rng.uuid()
        created = self.now - rng.span(timedelta(days=20), timedelta(days=900))

        points = min(int(rng.paretovariate(1.2) * 60) - 60, 12000)
        tier = next(t for floor, t in _TIERS if points >= floor)
        tags = sorted({rng.pick(self.cat.customer_tags) for _ in range(rng.randrange(3))})
        vip = tier in (LoyaltyTier.GOLD, LoyaltyTier.PLATINUM) or "vip" in tags
        if vip and "vip" not in tags:
            tags = sorted([*tags, "vip"])

        kinds = {IdentityKind.EMAIL}
        for kind, share in _KIND_SHARE.items():
            if rng.chance(share) or kind == extra_kind:
                kinds.add(kind)
        if IdentityKind.WHATSAPP in kinds:
            kinds.add(IdentityKind.PHONE)  # WhatsApp is addressed by the phone number

        email = self._email(first, last)
        phone = self._phone(country) if IdentityKind.PHONE in kinds else None
        block.add(
            Entity.CUSTOMER,
            {
                **synced(
                    cid, self.realm, created, created + rng.span(timedelta(0), self.now - created)
                ),
                "name": name,
                "email": email,
                "phone": phone,
                "language": lang.code,
                "timezone": rng.pick(country.timezones),
                "tags": tags,
                "loyalty_tier": tier.value,
                "loyalty_points": max(points, 0),
                "notes": rng.pick(_NOTES) if rng.chance(0.08) else "",
                "merged_into_id": None,
                "store_credit_cents": 0,
                "contact_opt_out": False,
                "language_source": "detected",  # as ingest sets it from their first message
            },
        )
        values: dict[IdentityKind, str] = {IdentityKind.EMAIL: email}
        if phone is not None:
            values[IdentityKind.PHONE] = phone
        for kind in sorted(kinds - {IdentityKind.EMAIL, IdentityKind.PHONE}):
            values[kind] = phone if kind == IdentityKind.WHATSAPP and phone else self._handle(kind)
        for kind, value in values.items():  # each value was claimed when it was drawn
            seen = min(created + rng.span(timedelta(0), timedelta(days=30)), self.now)
            block.add(
                Entity.IDENTITY,
                {
                    **synced(rng.uuid(), self.realm, seen),
                    "customer_id": cid,
                    "kind": kind.value,
                    "value": value,
                    "verified": kind in (IdentityKind.EMAIL, IdentityKind.WHATSAPP)
                    or rng.chance(0.5),
                },
            )
        return Person(
            cid, self.realm, name, first, lang, country, vip, created, frozenset(kinds), values
        )

    def _email(self, first: str, last: str) -> str:
        rng = self.rng
        f, l_ = _ascii(first) or "customer", _ascii(last) or "x"
        local = rng.pick(
            (f"{f}.{l_}", f"{f}{l_}", f"{f[0]}{l_}", f"{f}.{l_}{rng.randrange(1, 99)}", f"{l_}.{f}")
        )
        domain = rng.pick(self.email_domains)
        email = f"{local}@{domain}"
        while not self.uniq.claim(IdentityKind.EMAIL, email):
            email = f"{local}{rng.randrange(10, 100000)}@{domain}"
        return email

    def _phone(self, country: Country) -> str:
        while True:
            number = self.rng.pattern(self.rng.pick(country.phone)).replace(".", "")
            if self.uniq.claim(IdentityKind.PHONE, number):
                # The same number is the WhatsApp identity (another kind, so no clash).
                self.uniq.claim(IdentityKind.WHATSAPP, number)
                return number

    def _handle(self, kind: IdentityKind) -> str:
        rng = self.rng
        while True:
            if kind == IdentityKind.CHAT_VISITOR:
                value = f"v_{rng.hex(24)}"
            elif kind == IdentityKind.MESSENGER:  # page-scoped id: 16 digits
                value = str(rng.randrange(10**15, 10**16))
            elif kind == IdentityKind.INSTAGRAM:  # Instagram-scoped id: 17 digits
                value = str(rng.randrange(10**16, 10**17))
            elif kind == IdentityKind.TELEGRAM:  # private chat id = user id
                value = str(rng.randrange(10**8, 7 * 10**9))
            else:
                raise AssertionError(kind)
            if self.uniq.claim(kind, value):
                return value
