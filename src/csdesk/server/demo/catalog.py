"""The demo store's vocabulary, read from ``resources/demo/``.

Names, products, carriers and message templates live in data files so a translator can add a
language (one ``messages/<lang>.json`` and a ``people.json`` entry) without reading Python.
Everything is checked once at load: a template naming an unknown placeholder fails here, not
as a ``KeyError`` in the middle of seeding a million messages.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from csdesk.domain.placeholders import PLACEHOLDERS
from csdesk.resources import resource_path

#: Every placeholder a thread template may use (see ``threads.Placeholders``).
THREAD_FIELDS = frozenset(
    {
        "first_name",
        "customer_name",
        "agent_name",
        "order_number",
        "product",
        "size",
        "new_size",
        "carrier",
        "tracking_number",
        "eta",
        "refund_amount",
        "street",
        "city",
        "discount_code",
        "new_code",
        "duration",
        "body",
    }
)
#: What canned responses may use: what the desktop knows how to fill in (domain.placeholders).
CANNED_FIELDS = frozenset(PLACEHOLDERS)
SCENARIO_PARTS = ("subjects", "opening", "reply", "follow_up", "answer", "note")
GENERIC_PARTS = ("customer_nudge", "customer_thanks", "agent_update", "agent_closing")


def default_root() -> Path:
    """``resources/demo``, wherever csdesk.resources finds it."""
    return resource_path("demo")


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    title: str
    price_cents: int
    sizes: tuple[str, ...]
    colours: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Carrier:
    name: str
    tracking: str  # a pattern for DemoRandom.pattern


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    phone: tuple[str, ...]
    currency: str
    timezones: tuple[str, ...]
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    address: str
    carriers: tuple[Carrier, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    subjects: tuple[str, ...]
    opening: tuple[str, ...]
    reply: tuple[str, ...]
    follow_up: tuple[str, ...]
    answer: tuple[str, ...]
    note: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Texts:
    """One language's message templates and date and money formats."""

    months: tuple[str, ...]
    date: str
    money: str
    decimal: str
    reply_prefix: str
    customer_greeting: tuple[str, ...]
    customer_signoff: tuple[str, ...]
    agent_greeting: tuple[str, ...]
    agent_signoff: tuple[str, ...]
    chat_agent_greeting: tuple[str, ...]
    phone_inbound: str
    phone_outbound: str
    generic: dict[str, tuple[str, ...]]
    scenarios: dict[str, Scenario]


@dataclass(frozen=True, slots=True)
class Canned:
    title: str
    shortcut: str
    channel: str | None
    body: str


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    weight: float
    countries: tuple[tuple[str, float], ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    texts: Texts
    canned: tuple[Canned, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    store_name: str
    store_domain: str
    products: tuple[Product, ...]
    discount_codes: tuple[str, ...]
    customer_tags: tuple[str, ...]
    return_reasons: tuple[str, ...]
    email_domains: tuple[str, ...]
    languages: dict[str, Language]
    countries: dict[str, Country]
    currency_symbols: dict[str, str]
    fx_from_eur: dict[str, float]

    @property
    def scenario_names(self) -> tuple[str, ...]:
        first = next(iter(self.languages.values()))
        return tuple(first.texts.scenarios)


def _strings(data: Any, where: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not data or not all(isinstance(s, str) for s in data):
        raise ValueError(f"demo data: {where} must be a non-empty list of strings")
    return tuple(data)


def _check_fields(template: str, allowed: frozenset[str], where: str) -> None:
    for _text, field, _spec, _conv in string.Formatter().parse(template):
        if field is not None and field not in allowed:
            raise ValueError(f"demo data: {where} uses unknown placeholder {{{field}}}")


def _texts(data: dict[str, Any], lang: str) -> Texts:
    email = data["email"]
    generic = {
        part: _strings(data["generic"][part], f"{lang}.generic.{part}") for part in GENERIC_PARTS
    }
    scenarios = {
        name: Scenario(
            *(_strings(body[part], f"{lang}.scenarios.{name}.{part}") for part in SCENARIO_PARTS)
        )
        for name, body in data["scenarios"].items()
    }
    texts = Texts(
        months=_strings(data["months"], f"{lang}.months"),
        date=data["date"],
        money=data["money"],
        decimal=data["decimal"],
        reply_prefix=data["reply_prefix"],
        customer_greeting=_strings(email["customer_greeting"], f"{lang}.email"),
        customer_signoff=_strings(email["customer_signoff"], f"{lang}.email"),
        agent_greeting=_strings(email["agent_greeting"], f"{lang}.email"),
        agent_signoff=_strings(email["agent_signoff"], f"{lang}.email"),
        chat_agent_greeting=_strings(data["chat_agent_greeting"], f"{lang}.chat_agent_greeting"),
        phone_inbound=data["phone"]["inbound"],
        phone_outbound=data["phone"]["outbound"],
        generic=generic,
        scenarios=scenarios,
    )
    if len(texts.months) != 12:
        raise ValueError(f"demo data: {lang}.months needs twelve names")
    every = [
        *texts.customer_greeting,
        *texts.customer_signoff,
        *texts.agent_greeting,
        *texts.agent_signoff,
        *texts.chat_agent_greeting,
        texts.phone_inbound,
        texts.phone_outbound,
        *(t for group in generic.values() for t in group),
        *(t for sc in scenarios.values() for part in SCENARIO_PARTS for t in getattr(sc, part)),
    ]
    for template in every:
        _check_fields(template, THREAD_FIELDS, f"messages/{lang}.json")
    return texts


@cache
def load_catalog(root: Path | None = None) -> Catalog:
    """Read and check the data files once per process."""
    base = root or default_root()
    if not base.is_dir():
        raise FileNotFoundError(
            f"demo data not found at {base}; seed-demo needs the resources/demo directory"
        )

    def read(name: str) -> Any:
        return json.loads((base / name).read_text(encoding="utf-8"))

    shop, people, canned = read("products.json"), read("people.json"), read("canned.json")
    countries = {
        code: Country(
            code=code,
            phone=_strings(c["phone"], f"{code}.phone"),
            currency=c["currency"],
            timezones=_strings(c["timezones"], f"{code}.timezones"),
            cities=_strings(c["cities"], f"{code}.cities"),
            streets=_strings(c["streets"], f"{code}.streets"),
            address=c["address"],
            carriers=tuple(Carrier(k["name"], k["tracking"]) for k in c["carriers"]),
        )
        for code, c in people["countries"].items()
    }
    languages: dict[str, Language] = {}
    scenario_names: tuple[str, ...] | None = None
    for code, lang in people["languages"].items():
        texts = _texts(read(f"messages/{code}.json"), code)
        if scenario_names is None:
            scenario_names = tuple(texts.scenarios)
        elif tuple(texts.scenarios) != scenario_names:
            raise ValueError(f"demo data: messages/{code}.json has other scenarios")
        for country in lang["countries"]:
            if country not in countries:
                raise ValueError(f"demo data: language {code} names unknown country {country}")
        items = tuple(
            Canned(c["title"], c["shortcut"], c["channel"], c["body"]) for c in canned[code]
        )
        for item in items:
            _check_fields(item.body, CANNED_FIELDS, f"canned.json {code} {item.title!r}")
        languages[code] = Language(
            code=code,
            weight=float(lang["weight"]),
            countries=tuple((k, float(w)) for k, w in lang["countries"].items()),
            first_names=_strings(lang["first_names"], f"{code}.first_names"),
            last_names=_strings(lang["last_names"], f"{code}.last_names"),
            texts=texts,
            canned=items,
        )
    return Catalog(
        store_name=shop["store"]["name"],
        store_domain=shop["store"]["domain"],
        products=tuple(
            Product(p["sku"], p["title"], p["price_cents"], tuple(p["sizes"]), tuple(p["colours"]))
            for p in shop["products"]
        ),
        discount_codes=_strings(shop["discount_codes"], "discount_codes"),
        customer_tags=_strings(shop["customer_tags"], "customer_tags"),
        return_reasons=_strings(shop["return_reasons"], "return_reasons"),
        email_domains=_strings(people["email_domains"], "email_domains"),
        languages=languages,
        countries=countries,
        currency_symbols=dict(people["currency_symbols"]),
        fx_from_eur={k: float(v) for k, v in people["fx_from_eur"].items()},
    )
