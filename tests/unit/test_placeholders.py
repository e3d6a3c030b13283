"""Canned-response placeholders: filled when known, visible and reported when not, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csdesk.domain.placeholders import PLACEHOLDERS, Filled, fill, placeholders_in, split_name

VALUES = {
    "first_name": "Jane",
    "last_name": "Doe",
    "customer_name": "Jane Doe",
    "order_number": "#1042",
    "tracking_number": "1Z999",
    "carrier": "UPS",
    "agent_name": "Ann",
    "store_name": "Demo Shop",
}


def test_fills_known_placeholders() -> None:
    result = fill(
        "Hi {first_name}, order {order_number} left with {carrier} ({tracking_number}). "
        "{agent_name} at {store_name}",
        VALUES,
    )
    assert result == Filled(
        "Hi Jane, order #1042 left with UPS (1Z999). Ann at Demo Shop",
        (),
    )
    assert result.complete


def test_missing_value_stays_visible_and_is_reported() -> None:
    result = fill("Hi {first_name}, your parcel {tracking_number}", {"first_name": "Jane"})
    assert result.text == "Hi Jane, your parcel {tracking_number}"
    assert result.missing == ("tracking_number",)
    assert not result.complete


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_values_count_as_missing(blank: str | None) -> None:
    result = fill("Hi {first_name},", {"first_name": blank})
    assert result.text == "Hi {first_name},"
    assert result.missing == ("first_name",)


def test_unknown_and_misspelt_placeholders_are_reported() -> None:
    result = fill("Hi {frist_name} {First_Name}", VALUES)
    assert result.text == "Hi {frist_name} {First_Name}"
    assert result.missing == ("frist_name", "First_Name")


def test_missing_reported_once_in_order_of_appearance() -> None:
    result = fill("{b} {a} {b} {a}", {})
    assert result.missing == ("b", "a")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{", "{"),
        ("}", "}"),
        ("{{", "{"),
        ("}}", "}"),
        ("a { b", "a { b"),
        ("{}", "{}"),
        ("{ first_name }", "{ first_name }"),
        ("{first name}", "{first name}"),
        ("{1}", "{1}"),
        ("{first_name", "{first_name"),
        ("first_name}", "first_name}"),
        ("{{first_name}}", "{first_name}"),
        ("{{{first_name}}}", "{Jane}"),
        ("{{ not a placeholder }}", "{ not a placeholder }"),
        ("price: {{ 5 € }", "price: { 5 € }"),
    ],
)
def test_stray_and_escaped_braces(template: str, expected: str) -> None:
    result = fill(template, VALUES)
    assert result.text == expected
    assert result.missing == ()


def test_values_are_not_expanded_again() -> None:
    result = fill("Hi {first_name}", {"first_name": "{last_name} {{x}}", "last_name": "Doe"})
    assert result.text == "Hi {last_name} {{x}}"
    assert result.missing == ()


def test_placeholders_in() -> None:
    assert placeholders_in("Hi {first_name}, {{escaped}} {order_number} {first_name} {") == (
        "first_name",
        "order_number",
    )
    assert placeholders_in("no placeholders {}") == ()


def test_known_names_are_unique_identifiers() -> None:
    assert len(set(PLACEHOLDERS)) == len(PLACEHOLDERS)
    for name in PLACEHOLDERS:
        assert placeholders_in("{" + name + "}") == (name,)
    for name in (
        "first_name",
        "last_name",
        "customer_name",
        "order_number",
        "tracking_number",
        "carrier",
        "agent_name",
        "store_name",
    ):
        assert name in PLACEHOLDERS


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Jane Doe", ("Jane", "Doe")),
        ("  Jane   van  der Berg ", ("Jane", "van der Berg")),
        ("Cher", ("Cher", "")),
        ("", ("", "")),
        ("   ", ("", "")),
    ],
)
def test_split_name(full: str, parts: tuple[str, str]) -> None:
    assert split_name(full) == parts


@given(
    st.text(alphabet=st.sampled_from(list("{}ab_ 1")), max_size=40),
    st.dictionaries(st.sampled_from(["a", "b", "ab", "a_1"]), st.text(max_size=5)),
)
def test_never_raises_and_reports_only_placeholders_in_the_template(
    template: str, values: dict[str, str]
) -> None:
    result = fill(template, values)
    assert set(result.missing) <= set(placeholders_in(template))
    if not placeholders_in(template):
        # Only escapes changed: every "{{" or "}}" became one brace.
        assert len(result.text) <= len(template)
