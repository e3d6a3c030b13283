"""Server texts rendered in the desk's language through the shipped German catalogue
(``resources/translations/de``), the mechanism the desk uses at run time
(``csdesk.i18n.set_language``): a refusal's template with params, a helper's ``Phrase`` and a
server note's phrases; what the catalogue does not have yet stays English (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from csdesk.domain.calls import callback_problem
from csdesk.domain.phrase import Phrase
from csdesk.i18n import set_language
from csdesk.sync.reasons import localized, phrase_text, phrases_text

TAKEN = "{name} has already taken this conversation."
PAST = "The callback time is in the past."


@pytest.fixture
def german() -> Iterator[None]:
    set_language("de")
    try:
        yield
    finally:
        set_language("en")


def test_a_refusal_in_german_from_the_shipped_catalogue(german: None) -> None:
    reason = {
        "code": "already_assigned",
        "message": "Ann has already taken this conversation.",
        "template": TAKEN,
        "params": {"name": "Ann"},
    }
    assert localized(reason) == "Ann hat diese Konversation bereits übernommen."


def test_a_rules_phrase_in_german(german: None) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    problem = callback_problem(now - timedelta(minutes=1), now)
    assert problem == Phrase(PAST)
    assert phrase_text(problem) == "Der Rückrufzeitpunkt liegt in der Vergangenheit."


def test_a_note_line_by_line_translated_or_english(german: None) -> None:
    phrases = [
        {"template": PAST, "params": {}},
        {"template": TAKEN, "params": {"name": "Ann"}},
        # Not in the catalogue (yet): this line alone stays English.
        {"template": "Untranslated line about {what}.", "params": {"what": "X"}},
    ]
    assert phrases_text(phrases, "English body") == "\n".join(
        [
            "Der Rückrufzeitpunkt liegt in der Vergangenheit.",
            "Ann hat diese Konversation bereits übernommen.",
            "Untranslated line about X.",
        ]
    )


def test_the_same_in_english_without_the_catalogue() -> None:
    phrases = [{"template": TAKEN, "params": {"name": "Ann"}}]
    assert phrases_text(phrases, "stored") == "Ann has already taken this conversation."


@pytest.mark.parametrize(
    "phrases",
    [
        None,  # a server from before phrases: the stored English
        [],
        "not a list",
        [{"template": TAKEN, "params": {"other": 1}}],  # {name} cannot be filled
        [{"template": TAKEN, "params": {"name": {"nested": 1}}}],
        [{"template": "{x.__class__}", "params": {"x": "a"}}],
        [{"template": 42, "params": {}}],
        [{"params": {}}],
        ["just text"],
        [{"template": "x", "params": {}}] * 51,  # more lines than a note has
    ],
)
def test_anything_unexpected_shows_the_stored_english(phrases: object) -> None:
    assert phrases_text(phrases, "stored English") == "stored English"


def test_a_hostile_translation_costs_one_line_not_the_note() -> None:
    import gettext
    import io

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from csdesk.i18n import use_translations

    catalog = Catalog(locale="de", domain="csdesk")
    catalog.add("Notified: {names}.", "Benachrichtigt: {names.__class__}.")
    catalog.add(PAST, "Der Rückrufzeitpunkt liegt in der Vergangenheit.")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    use_translations(gettext.GNUTranslations(buf))
    try:
        got = phrases_text(
            [
                {"template": PAST, "params": {}},
                {"template": "Notified: {names}.", "params": {"names": "Ann"}},
            ],
            "stored",
        )
    finally:
        use_translations(gettext.NullTranslations())
    assert got == "Der Rückrufzeitpunkt liegt in der Vergangenheit.\nNotified: Ann."


def test_an_sla_notes_due_time_is_shown_in_the_desks_time_and_format(german: None) -> None:
    """The escalation writes its due time as "2026-12-08 02:04 UTC" (so the stored English
    reads well); the desk shows it in its own zone and language, not as the server wrote it."""
    from datetime import UTC, datetime, timedelta, timezone

    from csdesk.app import formats
    from csdesk.app.server_notes import note_text

    template = "SLA at risk: the first response of “{what}” is due {at}."
    phrases = [{"template": template, "params": {"what": "Parcel", "at": "2026-12-08 02:04 UTC"}}]
    berlin = timezone(timedelta(hours=1))
    shown = phrases_text(phrases, "stored", times=lambda at: formats.datetime_text(at, tz=berlin))
    assert "UTC" not in shown and "08.12.2026" in shown and "03:04" in shown, shown
    assert shown.startswith("SLA gefährdet") or "Parcel" in shown
    # Without ``times`` (and for a value that only looks like one) the text is as written.
    assert "2026-12-08 02:04 UTC" in phrases_text(phrases, "stored")
    odd = [{"template": template, "params": {"what": "P", "at": "2026-13-45 99:99 UTC"}}]
    assert "2026-13-45 99:99 UTC" in note_text(odd, "stored")
    # The desk's own helper uses its local zone.
    local = datetime(2026, 12, 8, 2, 4, tzinfo=UTC).astimezone()
    assert formats.time_text(local) in note_text(phrases, "stored")
