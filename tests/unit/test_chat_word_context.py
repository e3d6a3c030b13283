"""The chat widget's "You" and "Agent" carry a msgctxt (``NP_``), so a translator tells them
from the desk's own "You" and "Agent": the widget's words are looked up under the context,
never under the context-less entry, and the markers stay the English text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from csdesk.i18n import NP_, InContext
from csdesk.server import catalogues
from csdesk.server.chat import texts
from tests.unit.test_survey_language_paths import _mo


@pytest.fixture
def german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    localedir = tmp_path / "translations"
    _mo(
        localedir / "de" / "LC_MESSAGES" / "csdesk.mo",
        {
            "": "Content-Type: text/plain; charset=UTF-8\n",
            "You": "Sie (Desk)",
            "Agent": "Agent (Desk)",
            "chat widget\x04You": "Sie",
            "chat widget\x04Agent": "Mitarbeiter",
            "Send": "Senden",
        },
    )
    monkeypatch.setattr(catalogues, "default_localedir", lambda: localedir)
    catalogues.translator.cache_clear()
    texts.widget_strings.cache_clear()
    try:
        yield
    finally:
        catalogues.translator.cache_clear()
        texts.widget_strings.cache_clear()


def test_a_marked_word_is_its_english_text() -> None:
    word = NP_("chat widget", "You")
    assert isinstance(word, InContext) and word == "You" and word.context == "chat widget"
    assert json.dumps({"you": word}) == '{"you": "You"}'


def test_the_widget_words_are_looked_up_under_their_context(german: None) -> None:
    body, _etag = texts.widget_strings("de")
    strings = json.loads(body)["strings"]
    assert (strings["you"], strings["agent"], strings["send"]) == ("Sie", "Mitarbeiter", "Senden")
    assert catalogues.tr("de", "You") == "Sie (Desk)"  # the desk's word, no context


def test_without_a_contexted_entry_the_word_stays_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    localedir = tmp_path / "translations"
    header = {"": "Content-Type: text/plain; charset=UTF-8\n"}
    _mo(localedir / "de" / "LC_MESSAGES" / "csdesk.mo", {**header, "You": "Sie (Desk)"})
    monkeypatch.setattr(catalogues, "default_localedir", lambda: localedir)
    catalogues.translator.cache_clear()
    try:
        assert catalogues.tr("de", texts.WIDGET["you"]) == "You"
    finally:
        catalogues.translator.cache_clear()
