"""What the desk speaks and how it words it (pure rules, no audio)."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterator

import pytest

from csdesk import i18n
from csdesk.domain.enums import Channel
from csdesk.speech.policy import (
    InboundScope,
    SpeechEventKind,
    SpeechPrefs,
    inbound_announcement,
    script_step_announcement,
    should_speak,
    sla_announcement,
    speakable,
    training_line_announcement,
)

INBOUND = SpeechEventKind.INBOUND_MESSAGE


def _speak(
    kind: SpeechEventKind,
    prefs: SpeechPrefs,
    *,
    screen_reader: bool = False,
    mine: bool = False,
    on_demand: bool = False,
) -> bool:
    return should_speak(
        kind, prefs, screen_reader_active=screen_reader, assigned_to_me=mine, on_demand=on_demand
    )


@pytest.mark.parametrize(
    ("scope", "mine", "expected"),
    [
        (InboundScope.ALL, False, True),
        (InboundScope.ALL, True, True),
        (InboundScope.MINE, True, True),
        (InboundScope.MINE, False, False),
        (InboundScope.NONE, True, False),
        (InboundScope.NONE, False, False),
    ],
)
def test_inbound_scope(scope: InboundScope, mine: bool, expected: bool) -> None:
    assert _speak(INBOUND, SpeechPrefs(speak_inbound=scope), mine=mine) is expected


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (SpeechEventKind.SLA_WARNING, "speak_sla_warnings"),
        (SpeechEventKind.SCRIPT_STEP, "speak_script_steps"),
        (SpeechEventKind.TRAINING_LINE, "speak_training_lines"),
    ],
)
def test_each_kind_follows_its_own_switch(kind: SpeechEventKind, field: str) -> None:
    on = SpeechPrefs(**{field: True})  # type: ignore[arg-type]
    off = SpeechPrefs(**{field: False})  # type: ignore[arg-type]
    assert _speak(kind, on) is True
    assert _speak(kind, off) is False


def test_screen_reader_silences_automatic_speech_when_asked() -> None:
    everything = SpeechPrefs(
        speak_inbound=InboundScope.ALL,
        speak_sla_warnings=True,
        speak_script_steps=True,
        speak_training_lines=True,
        only_on_demand_when_screen_reader=True,
    )
    for kind in SpeechEventKind:
        assert _speak(kind, everything, screen_reader=True, mine=True) is False
        assert _speak(kind, everything, screen_reader=False, mine=True) is True


def test_screen_reader_does_not_matter_when_the_agent_wants_both() -> None:
    prefs = SpeechPrefs(speak_inbound=InboundScope.ALL, only_on_demand_when_screen_reader=False)
    assert _speak(INBOUND, prefs, screen_reader=True) is True


def test_an_explicit_request_always_speaks() -> None:
    silent = SpeechPrefs(
        speak_inbound=InboundScope.NONE,
        speak_sla_warnings=False,
        speak_script_steps=False,
        speak_training_lines=False,
        only_on_demand_when_screen_reader=True,
    )
    for kind in SpeechEventKind:
        assert _speak(kind, silent, screen_reader=True, on_demand=True) is True
        assert _speak(kind, silent, screen_reader=False, on_demand=False) is False


def test_defaults_speak_only_my_conversations() -> None:
    prefs = SpeechPrefs()
    assert _speak(INBOUND, prefs, mine=True) is True
    assert _speak(INBOUND, prefs, mine=False) is False
    assert _speak(SpeechEventKind.SLA_WARNING, prefs) is True
    assert _speak(SpeechEventKind.SCRIPT_STEP, prefs) is False


# --- wording ----------------------------------------------------------------------------------


def test_inbound_announcement_names_channel_and_sender() -> None:
    assert (
        inbound_announcement("whatsapp", "Jane Doe", "Where is my order?")
        == "New WhatsApp message from Jane Doe: Where is my order?"
    )
    assert inbound_announcement("email", "Bob", "Refund") == "New email from Bob: Refund"


def test_every_channel_has_its_own_sentence() -> None:
    sentences = {inbound_announcement(c.value, "Jane", "hi") for c in Channel}
    assert len(sentences) == len(Channel)
    assert all(s.startswith("New ") and s.endswith("Jane: hi") for s in sentences)
    assert inbound_announcement("carrier-pigeon", "Jane", "hi") == "New message from Jane: hi"


def test_inbound_announcement_fills_in_missing_parts() -> None:
    assert inbound_announcement("sms", "  ", "") == "New SMS from unknown sender: attachment only"


def test_links_are_named_not_spelled_and_whitespace_collapsed() -> None:
    text = "Tracking:\n https://carrier.example/track?id=123&x=y  and www.shop.example/faq  thanks"
    assert speakable(text) == "Tracking: link and link thanks"


def test_long_text_is_cut_at_a_word_boundary() -> None:
    text = "word " * 100
    spoken = speakable(text, max_chars=23)
    assert spoken == "word word word word…"
    assert len(spoken) <= 24
    one_long_word = speakable("x" * 50, max_chars=10)
    assert one_long_word == "x" * 10 + "…"


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (5, "SLA warning: reply to Jane Doe due in 5 minutes."),
        (1, "SLA warning: reply to Jane Doe due in 1 minute."),
        (0, "SLA breached: reply to Jane Doe is due now."),
        (-1, "SLA breached: reply to Jane Doe is 1 minute overdue."),
        (-12, "SLA breached: reply to Jane Doe is 12 minutes overdue."),
    ],
)
def test_sla_announcement(minutes: int, expected: str) -> None:
    assert sla_announcement("Jane Doe", minutes) == expected


def test_script_and_training_lines() -> None:
    assert script_step_announcement(2, 3, "Verify the order number") == (
        "Step 2, at most 3 more: Verify the order number"
    )
    assert script_step_announcement(4, 0, "Thank you") == "Step 4, the last: Thank you"
    assert training_line_announcement("Jane", "My parcel never arrived") == (
        "Jane says: My parcel never arrived"
    )
    assert training_line_announcement("", "Hello") == "Customer says: Hello"


class _Shouting(gettext.NullTranslations):
    """A catalogue that upper-cases everything outside ``{placeholders}``."""

    def gettext(self, message: str) -> str:
        return re.sub(r"[^{}]+(?=\{|$)", lambda m: m.group().upper(), message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


class _Broken(gettext.NullTranslations):
    """A catalogue whose translator mangled every placeholder."""

    def gettext(self, message: str) -> str:
        return message.replace("{", "{X")

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


@pytest.fixture
def catalogue() -> Iterator[Callable[[gettext.NullTranslations], None]]:
    yield i18n.use_translations
    i18n.use_translations(gettext.NullTranslations())


def test_wording_is_translated_at_call_time(
    catalogue: Callable[[gettext.NullTranslations], None],
) -> None:
    catalogue(_Shouting())
    assert inbound_announcement("whatsapp", "Jane", "hi") == "NEW WHATSAPP MESSAGE FROM Jane: hi"
    assert sla_announcement("Jane", 3) == "SLA WARNING: REPLY TO Jane DUE IN 3 MINUTES."
    assert sla_announcement("Jane", 0) == "SLA BREACHED: REPLY TO Jane IS DUE NOW."
    assert script_step_announcement(1, 2, "Greet") == "STEP 1, AT MOST 2 MORE: Greet"
    assert speakable("see https://x.example") == "see LINK"


def test_a_broken_translation_falls_back_to_the_source_sentence(
    catalogue: Callable[[gettext.NullTranslations], None],
) -> None:
    catalogue(_Broken())
    assert inbound_announcement("sms", "Jane", "hi") == "New SMS from Jane: hi"
    assert sla_announcement("Jane", -2) == "SLA breached: reply to Jane is 2 minutes overdue."
    assert training_line_announcement("Jane", "hi") == "Jane says: hi"


def test_activate_without_catalogue_falls_back_to_source_strings() -> None:
    translations = i18n.activate(["xx"], localedir=None)
    try:
        assert type(translations) is gettext.NullTranslations
        assert i18n._("Light") == "Light"
        assert i18n.ngettext("minute", "minutes", 2) == "minutes"
        assert i18n.N_("Dark") == "Dark"
    finally:
        i18n.use_translations(gettext.NullTranslations())
