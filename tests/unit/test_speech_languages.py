"""Speech picks the voice of a message's language: real espeak-ng voices, real text."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from csdesk.speech import SpeechService, SpeechState, pyttsx3_factory
from csdesk.speech.engine import Voice
from csdesk.speech.voices import voice_for
from tests.helpers.requirements import require
from tests.server.languages.test_detect import SAMPLES
from tests.unit.test_speech_engine import _require_real_engine, _wav_stats

pytestmark = pytest.mark.timeout(120)

#: The espeak-ng voice each served language is read with.
ESPEAK = {
    "en": "gmw/en",
    "de": "gmw/de",
    "fr": "roa/fr",
    "es": "roa/es",
    "nl": "gmw/nl",
    "ar": "sem/ar",
    "it": "roa/it",
    "pt": "roa/pt",
}


def test_choice_prefers_the_exact_tag_then_the_main_voice() -> None:
    voices = (
        Voice("en-scot", "English (Scotland)", ("en-gb-scotland",), None),
        Voice("en", "English", ("en-gb",), None),
        Voice("pt", "Portuguese", ("pt",), None),
        Voice("ptbr", "Portuguese (Brazil)", ("pt-br",), None),
        Voice("de-win", "Hedda", ("de_DE",), None),
    )
    assert voice_for(voices, "pt-BR") == voices[3]
    assert voice_for(voices, "pt") == voices[2]
    assert voice_for(voices, "en") == voices[1]
    assert voice_for(voices, "de") == voices[4]
    assert voice_for(voices, "de-AT") == voices[4]
    assert voice_for(voices, "ar") is None
    assert voice_for(voices, "") is None and voice_for(voices, None) is None


@pytest.fixture(scope="module")
def service() -> Iterator[SpeechService]:
    _require_real_engine()
    svc = SpeechService(pyttsx3_factory(), call_timeout=20.0)
    svc.start()
    status = svc.wait_until_ready(20.0)
    if status.state is SpeechState.UNAVAILABLE and not svc.list_voices():
        require(False, f"the real engine did not start: {status.reason}")
    yield svc
    svc.close()


def _engine_voice(service: SpeechService) -> object:
    """The voice the engine holds now, asked on its own thread (the service's internals)."""
    return service._runner.call(lambda e: e.getProperty("voice"), 10.0, what="a probe")


@pytest.mark.parametrize("code", sorted(ESPEAK))
def test_each_language_has_its_espeak_voice_and_is_read_with_it(
    service: SpeechService, tmp_path: Path, code: str
) -> None:
    voice = voice_for(service.list_voices(), code)
    assert voice is not None and voice.id == ESPEAK[code]
    text = SAMPLES[code]
    own = service.render_to_file(text, tmp_path / "own.wav", voice_id=voice.id)
    assert _engine_voice(service) == ESPEAK[code]
    duration, rms = _wav_stats(own)
    assert duration > 1.0 and rms > 300


def test_the_agents_voice_comes_back_after_a_language_voice(
    service: SpeechService, tmp_path: Path
) -> None:
    text = "Your parcel is on its way"
    before = _wav_stats(service.render_to_file(text, tmp_path / "a.wav"))[0]
    agents = _engine_voice(service)
    german = _wav_stats(service.render_to_file(text, tmp_path / "de.wav", voice_id="gmw/de"))[0]
    assert _engine_voice(service) == "gmw/de"
    after = _wav_stats(service.render_to_file(text, tmp_path / "b.wav"))[0]
    assert _engine_voice(service) == agents
    assert after == pytest.approx(before, abs=0.1)
    assert abs(german - before) > 0.2  # the German voice reads English words differently


def test_speak_chooses_the_voice_or_says_it_falls_back(tmp_path: Path) -> None:
    _require_real_engine()
    # A stand-in player that plays nothing: machines without a sound card have no player.
    service = SpeechService(pyttsx3_factory(), player=[sys.executable, "-c", "pass"])
    service.start()
    assert service.wait_until_ready(20.0).available
    german = service.speak(SAMPLES["de"], language="de")
    assert german is not None and german.voice_id == "gmw/de" and not german.voice_missing
    klingon = service.speak("nuqneH", language="tlh")
    assert klingon is not None and klingon.voice_id is None and klingon.voice_missing
    plain = service.speak("Hello")
    assert plain is not None and plain.voice_id is None and not plain.voice_missing
    service.close()
