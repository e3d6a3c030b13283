"""Rule evaluation (``domain.routing``): every condition, their combination, the order and
the stop flag, keyword bounds, night windows, skills and the two ways of picking an agent."""

from __future__ import annotations

from datetime import UTC, datetime

from csdesk.domain import routing as r

MONDAY_10_UTC = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def facts(**kw: object) -> r.Facts:
    base: dict[str, object] = {
        "channel": "email",
        "language": "en",
        "subject": "Question",
        "text": "Hello there",
        "tier": "none",
        "customer_tags": frozenset(),
        "largest_order_cents": 0,
        "lifetime_cents": 0,
        "at": MONDAY_10_UTC,
    }
    return r.Facts(**{**base, **kw})  # type: ignore[arg-type]


def rule(rid: str, pos: int, cond: dict[str, object], stop: bool = False) -> r.Rule:
    return r.Rule(rid, rid, pos, True, stop, r.Conditions.of(cond), r.Actions.of({}))


def test_empty_conditions_match_everything() -> None:
    assert r.matches(r.Conditions.of({}), facts())


def test_channel_language_tier_and_tags() -> None:
    c = r.Conditions.of({"channels": ["chat"], "languages": ["de"]})
    assert r.matches(c, facts(channel="chat", language="de"))
    assert r.matches(c, facts(channel="chat", language="de-AT"))  # the base language counts
    assert not r.matches(c, facts(channel="email", language="de"))
    assert not r.matches(c, facts(channel="chat", language="fr"))
    vip = r.Conditions.of({"tags": ["VIP"], "tiers": ["gold", "platinum"]})
    assert r.matches(vip, facts(customer_tags=frozenset({"vip"}), tier="gold"))
    assert not r.matches(vip, facts(customer_tags=frozenset({"vip"}), tier="silver"))
    assert not r.matches(vip, facts(customer_tags=frozenset({"press"}), tier="gold"))


def test_keywords_are_whole_words_case_insensitive_in_subject_or_body() -> None:
    c = r.Conditions.of({"keywords": ["Refund", "money back"]})
    assert r.matches(c, facts(text="I want a REFUND!"))
    assert r.matches(c, facts(subject="refund please", text=""))
    assert r.matches(c, facts(text="Can I get my money  back".replace("  ", " ")))
    assert not r.matches(c, facts(text="This item is nonrefundable"))
    assert not r.matches(c, facts(text="nothing to see"))


def test_keywords_only_search_the_first_text_limit_characters() -> None:
    c = r.Conditions.of({"keywords": ["refund"]})
    late = "x " * r.TEXT_LIMIT + "refund"
    assert not r.matches(c, facts(text=late))
    assert r.Conditions.of({"keywords": ["k"] * 100}).keywords == ("k",) * r.MAX_KEYWORDS


def test_keyword_with_regex_characters_is_literal() -> None:
    c = r.Conditions.of({"keywords": ["a+b (c)"]})
    assert r.matches(c, facts(text="about a+b (c) today"))
    assert not r.matches(c, facts(text="aab c"))


def test_order_value_and_lifetime() -> None:
    c = r.Conditions.of({"min_order_cents": 50_000})
    assert r.matches(c, facts(largest_order_cents=50_000))
    assert not r.matches(c, facts(largest_order_cents=49_999))
    life = r.Conditions.of({"min_lifetime_cents": 100_00})
    assert not r.matches(life, facts(lifetime_cents=99_99))


def test_hours_in_a_time_zone_and_across_midnight() -> None:
    berlin = r.Conditions.of(
        {"hours": {"start": "09:00", "end": "12:00", "days": [0], "timezone": "Europe/Berlin"}}
    )
    assert r.matches(berlin, facts(at=MONDAY_10_UTC))  # 11:00 in Berlin
    assert not r.matches(berlin, facts(at=MONDAY_10_UTC.replace(hour=11)))  # 12:00 there
    night = r.Conditions.of({"hours": {"start": "22:00", "end": "06:00", "days": [0]}})
    assert r.matches(night, facts(at=datetime(2026, 12, 7, 23, 0, tzinfo=UTC)))  # Mon night
    assert r.matches(night, facts(at=datetime(2026, 12, 8, 5, 0, tzinfo=UTC)))  # Tue 05:00
    assert not r.matches(night, facts(at=datetime(2026, 12, 7, 5, 0, tzinfo=UTC)))  # Sun's


def test_bad_values_count_as_absent() -> None:
    c = r.Conditions.of({"channels": "email", "min_order_cents": True, "hours": {"start": "x"}})
    assert c == r.Conditions()
    a = r.Actions.of({"assign": "someone", "escalate": "yes", "add_tags": [1, "ok"]})
    assert a.assign is None and a.escalate is False and a.add_tags == ("ok",)
    assert r.Actions.of({}).is_empty() and not r.Actions.of({"escalate": True}).is_empty()


def test_order_and_stop_flag() -> None:
    rules = [
        rule("c", 3, {}),
        rule("a", 1, {"channels": ["chat"]}),
        rule("b", 2, {}, stop=True),
    ]
    assert [x.id for x in r.matching(rules, facts(channel="chat"))] == ["a", "b"]
    assert [x.id for x in r.matching(rules, facts(channel="email"))] == ["b"]
    off = r.Rule("b", "b", 2, False, True, r.Conditions(), r.Actions())
    assert [x.id for x in r.matching([rules[0], rules[1], off], facts())] == ["c"]


def test_skills() -> None:
    assert r.qualifies([], [], "de", "email")
    assert r.qualifies(["de", "en"], ["email"], "de-CH", "email")
    assert not r.qualifies(["en"], [], "de", "email")
    assert not r.qualifies([], ["chat"], "de", "email")


def test_round_robin_and_least_load() -> None:
    assert r.pick_round_robin(["b", "a", "c"], None) == "a"
    assert r.pick_round_robin(["b", "a", "c"], "a") == "b"
    assert r.pick_round_robin(["b", "a", "c"], "c") == "a"
    assert r.pick_round_robin(["a", "c"], "b") == "c"  # the last one is gone: the next after
    assert r.pick_round_robin([], "a") is None
    assert r.pick_least_load({"a": 3, "b": 1, "c": 1}) == "b"
    assert r.pick_least_load({"a": 3, "b": 1, "c": 1}, last="b") == "c"
    assert r.pick_least_load({}) is None
