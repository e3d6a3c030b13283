"""Language detection with real text in each served language, and its confidence rules."""

from __future__ import annotations

import pytest

from csdesk.server.languages.detect import (
    DEFAULT_LANGUAGES,
    MAX_CHARS,
    Detector,
    LanguageConfigError,
    clean,
    served_languages,
)

SAMPLES = {
    "en": "Hi, my parcel has not arrived yet and the tracking page has not changed for a week.",
    "de": "Hallo, mein Paket ist noch nicht angekommen und die Sendungsverfolgung steht still.",
    "fr": "Bonjour, je n'ai toujours pas reçu mon colis et le suivi ne bouge plus depuis lundi.",
    "es": "Hola, mi pedido todavía no ha llegado y el seguimiento no cambia desde hace días.",
    "nl": "Hoi, mijn pakket is nog steeds niet aangekomen en de track-and-trace zegt niets.",
    "ar": "مرحبا، لم يصل طردي بعد ولم تتغير صفحة التتبع منذ أسبوع.",
    "it": "Buongiorno, il mio pacco non è ancora arrivato e il tracciamento è fermo da giorni.",
    "pt": "Olá, a minha encomenda ainda não chegou e o rastreamento não muda há uma semana.",
}


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DEFAULT_LANGUAGES)


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_served_language_is_recognised(detector: Detector, code: str) -> None:
    assert detector.detect(SAMPLES[code]) == code


@pytest.mark.parametrize("text", ["ok", "thanks", "Danke!", "👍", "FH-100234", "", "\x00\ud800"])
def test_short_or_empty_text_says_nothing(detector: Detector, text: str) -> None:
    assert detector.detect(text) is None


def test_quotes_links_and_numbers_are_not_read(detector: Detector) -> None:
    quoted = "\n".join(["> " + SAMPLES["en"]] * 5)
    text = "Vielen Dank, das hat geholfen, bis bald!\n" + quoted + "\nhttps://example.com/track"
    assert detector.detect(text) == "de"
    assert "example.com" not in clean(text)


def test_input_is_bounded(detector: Detector) -> None:
    # Only the first MAX_CHARS characters are read: a long French mail with an English tail.
    text = (SAMPLES["fr"] + " ") * (MAX_CHARS // len(SAMPLES["fr"]) + 1) + SAMPLES["en"] * 50
    assert len(clean(text)) <= MAX_CHARS
    assert detector.detect(text) == "fr"


def test_restricted_to_the_shops_languages() -> None:
    only = Detector(("en", "de"))
    # Spanish is not served: the closest served language is not confidently it either.
    assert only.detect(SAMPLES["es"]) in (None, "en", "de")
    assert only.detect(SAMPLES["de"]) == "de"


def test_configuration() -> None:
    assert served_languages({}) == DEFAULT_LANGUAGES
    assert served_languages({"CSDESK_LANGUAGES": " DE, en ,de"}) == ("de", "en")
    with pytest.raises(LanguageConfigError, match="xx"):
        Detector(("en", "xx"))
    with pytest.raises(LanguageConfigError, match="two"):
        Detector(("en",))


def test_warm_up_loads_the_models_in_the_background_unless_switched_off() -> None:
    from csdesk.server.languages.detect import ENV_LANGUAGES, ENV_WARMUP, detector, warm_up

    assert warm_up({ENV_WARMUP: "0"}) is None
    assert warm_up({ENV_LANGUAGES: "en,xx"}) is None  # the first detection reports it
    env = {ENV_LANGUAGES: "en,de"}
    thread = warm_up(env)
    assert thread is not None and thread.daemon
    thread.join(120)
    assert not thread.is_alive()
    assert detector(env)._detector is not None  # built: the first message does not wait
    assert detector(env).detect("Wo ist mein Paket? Ich habe es letzte Woche bestellt.") == "de"
