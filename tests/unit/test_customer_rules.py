"""One set of rules for a customer edit, used by the desk's dialog, its local effect and the
server: what is refused, and the spelling what passes is stored in."""

from __future__ import annotations

import pytest

from csdesk.customer_rules import FieldError, clean_fields


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": " \t "}, "name"),
        ({"email": "ann"}, "email"),
        ({"email": "ann@@example.com"}, "email"),
        ({"email": "ann@localhost"}, "email"),
        ({"phone": "020 7946 0958"}, "phone"),  # national: which country?
        ({"phone": "+1"}, "phone"),
        ({"language": "e"}, "language"),
        ({"language": "english please"}, "language"),
        ({"language": "x" * 17}, "language"),
    ],
)
def test_refused_with_the_field_named(fields: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as caught:
        clean_fields(fields)
    assert caught.value.field == field and caught.value.message


def test_stored_in_canonical_spelling() -> None:
    assert clean_fields(
        {
            "name": "  Ann Lee ",
            "email": " Ann.Lee@Example.COM ",
            "phone": "+44 20 7946 0958",
            "language": "pt-BR",
            "tags": [" vip", "vip", "", "late "],
            "notes": "  kept as written  ",
        }
    ) == {
        "name": "Ann Lee",
        "email": "Ann.Lee@example.com",
        "phone": "+442079460958",
        "language": "pt-BR",
        "tags": ["vip", "late"],
        "notes": "  kept as written  ",
    }
    assert clean_fields({"email": "", "phone": None}) == {"email": None, "phone": None}
    assert clean_fields({}) == {}
