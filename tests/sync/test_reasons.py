"""``csdesk.sync.reasons.localized``: a refusal in the desk's language, the English message
whenever the template is missing, does not fit its params, or tries to reach into objects."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from csdesk.i18n import use_translations
from csdesk.sync.reasons import localized

TEMPLATE = "Only {left} of {title} can still be returned ({ordered} ordered)."
GERMAN = "Nur noch {left} von {title} können zurückgegeben werden ({ordered} bestellt)."


def german() -> gettext.GNUTranslations:
    catalog = Catalog(locale="de", domain="csdesk")
    catalog.add(TEMPLATE, GERMAN)
    catalog.add("{name} has already taken this conversation.", "{name} hat dieses Gespräch schon.")
    catalog.add("Evil {x}", "Böse {x.__class__}")
    catalog.add("The server refused this action.", "Der Server hat diese Aktion abgelehnt.")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@pytest.fixture
def de() -> Iterator[None]:
    use_translations(german())
    try:
        yield
    finally:
        use_translations(gettext.NullTranslations())


PARAMS = {"left": 2, "title": "'Mug'", "ordered": 3}
ENGLISH = "Only 2 of 'Mug' can still be returned (3 ordered)."


def reason(**extra: object) -> dict[str, object]:
    return {"code": "invalid", "message": ENGLISH, **extra}


def test_the_template_is_translated_and_filled(de: None) -> None:
    got = localized(reason(template=TEMPLATE, params=PARAMS))
    assert got == "Nur noch 2 von 'Mug' können zurückgegeben werden (3 bestellt)."


def test_without_a_catalogue_the_template_formats_to_the_english() -> None:
    assert localized(reason(template=TEMPLATE, params=PARAMS)) == ENGLISH


def test_an_unknown_template_is_formatted_in_english(de: None) -> None:
    r = {"code": "x", "message": "m", "template": "Left {n}.", "params": {"n": 1}}
    assert localized(r) == "Left 1."


@pytest.mark.parametrize(
    "extra",
    [
        {},  # a server from before templates
        {"template": TEMPLATE},  # params missing
        {"template": TEMPLATE, "params": {"left": 1}},  # some params missing
        {"template": TEMPLATE, "params": ["not", "a", "dict"]},
        {"template": TEMPLATE, "params": {**PARAMS, "title": {"nested": 1}}},
        {"template": 42, "params": PARAMS},
        {"template": "", "params": PARAMS},
        {"template": "{x.__class__}", "params": {"x": "a"}},
        {"template": "{x[0]}", "params": {"x": "a"}},
        {"template": "{0}", "params": {"x": "a"}},
        {"template": "{x!r}", "params": {"x": "a"}},
        {"template": "{x:>99999999}", "params": {"x": "a"}},
        {"template": "{x:{y}}", "params": {"x": "a", "y": "5"}},
        {"template": "{", "params": {"x": "a"}},
        {"template": "x" * 5000, "params": {}},
    ],
)
def test_anything_unexpected_falls_back_to_the_english(extra: dict[str, object]) -> None:
    assert localized(reason(**extra)) == ENGLISH


def test_a_hostile_translation_falls_back_too(de: None) -> None:
    r = {"code": "x", "message": "Evil a", "template": "Evil {x}", "params": {"x": "a"}}
    assert localized(r) == "Evil a"


def test_a_message_that_is_not_text_gives_empty_text() -> None:
    assert localized({"code": "x", "message": None}) == ""
