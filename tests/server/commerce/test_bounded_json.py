"""Store bodies parsed within bounds: size, depth, number length, clean text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from csdesk.server.commerce.bounded_json import Malformed, depth_of, loads, loads_list, loads_object


def test_depth_ignores_brackets_inside_strings() -> None:
    assert depth_of(b'{"a": "[[[{{{\\"[", "b": [[1]]}') == 3
    assert depth_of(b"[]") == 1
    assert depth_of(b'"x"') == 0


def test_a_normal_body_parses_with_exact_decimals() -> None:
    value = loads(b'{"total": "1.50", "price": 0.1, "qty": 3}', what="the order")
    assert value == {"total": "1.50", "price": Decimal("0.1"), "qty": 3}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (b'{"a":' * 65 + b"1" + b"}" * 65, "nested deeper"),
        (b'{"n": ' + b"9" * 100 + b"}", "digits"),
        (b'{"n": 1.' + b"5" * 100 + b"}", "characters"),
        (b'{"n": NaN}', "NaN"),
        (b'{"n": -Infinity}', "-Infinity"),
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b'Notice: Undefined index in wp-content\n{"id": 1}', "not JSON"),  # PHP notice first
        (b"\xff\xfe{}", "not JSON"),
        (b"", "not JSON"),
    ],
)
def test_hostile_bodies_are_malformed(body: bytes, why: str) -> None:
    with pytest.raises(Malformed, match=why):
        loads(body, what="the page")


def test_size_is_checked_before_parsing() -> None:
    with pytest.raises(Malformed, match="over the 100"):
        loads(b"[" + b"1," * 100 + b"1]", what="the page", max_bytes=100)


def test_nul_and_lone_surrogates_become_replacement_characters() -> None:
    value = loads_object(b'{"name": "A\\u0000na", "note": "\\ud800x"}', what="the customer")
    assert value == {"name": "A\ufffdna", "note": "\ufffdx"}


def test_shape_checks() -> None:
    with pytest.raises(Malformed, match="not a JSON object"):
        loads_object(b"[]", what="the order")
    with pytest.raises(Malformed, match="not a JSON array"):
        loads_list(b"{}", what="the page")
