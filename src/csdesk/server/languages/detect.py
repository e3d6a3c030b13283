"""Which language a customer wrote in, offline, when the channel does not say.

lingua-language-detector ships its models inside its wheel, so detection needs no download and
no network. It is restricted to the languages the shop serves (``CSDESK_LANGUAGES``, default
``en,de,fr,es,nl,ar,it,pt``): choosing among eight languages instead of seventy-five is both
more accurate on short messages (no "Dutch or Afrikaans?") and lighter, since lingua loads
only the models of the languages it is given.

The input is bounded (the first ``MAX_CHARS`` characters, quoted lines, links and addresses
left out) and the answer is taken only when it is confident: at least ``MIN_LETTERS`` letters,
a top confidence of at least ``MIN_CONFIDENCE`` and a lead of ``MIN_LEAD`` over the runner-up.
"ok", "thanks" or an order number say nothing, and ``detect`` returns None for them: the
customer keeps the language known before (or none).

lingua loads its models on the first detection (about 3 s and 150 MB on our 2-core box), so a
server warms them up in the background at start (``warm_up``; ``CSDESK_LANGUAGE_WARMUP=0``
skips it, as the test servers do): otherwise the first customer message after a restart
reaches the agents seconds late.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from lingua import LanguageDetector

log = logging.getLogger(__name__)

ENV_LANGUAGES: Final = "CSDESK_LANGUAGES"
ENV_WARMUP: Final = "CSDESK_LANGUAGE_WARMUP"
_WARMUP_TEXT: Final = "Good morning, where is the parcel I ordered last week?"
DEFAULT_LANGUAGES: Final = ("en", "de", "fr", "es", "nl", "ar", "it", "pt")
MAX_CHARS: Final = 4096
MIN_LETTERS: Final = 12
MIN_CONFIDENCE: Final = 0.5
MIN_LEAD: Final = 0.2

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[#\d][\w-]*\d\w*")


class LanguageConfigError(ValueError):
    """``CSDESK_LANGUAGES`` names a language the detector does not know."""


def served_languages(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The ISO 639-1 codes the shop serves, from ``CSDESK_LANGUAGES`` (comma-separated)."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_LANGUAGES, "").strip()
    if not raw:
        return DEFAULT_LANGUAGES
    codes = tuple(dict.fromkeys(c.strip().lower() for c in raw.split(",") if c.strip()))
    return codes or DEFAULT_LANGUAGES


def clean(text: str) -> str:
    """The part of ``text`` worth reading: bounded, without quotes, links, addresses, numbers."""
    lines = [ln for ln in text[:MAX_CHARS].splitlines() if not ln.lstrip().startswith(">")]
    return _NOISE.sub(" ", "\n".join(lines))


class Detector:
    """A lazily built lingua detector over ``languages``; thread-safe, built once."""

    def __init__(self, languages: Iterable[str] = DEFAULT_LANGUAGES) -> None:
        self.languages = tuple(languages)
        self._lock = threading.Lock()
        self._detector: LanguageDetector | None = None
        self._check()

    def _check(self) -> None:
        from lingua import IsoCode639_1

        unknown = [c for c in self.languages if not hasattr(IsoCode639_1, c.upper())]
        if unknown:
            raise LanguageConfigError(
                f"{ENV_LANGUAGES}: not an ISO 639-1 language code lingua knows: "
                + ", ".join(sorted(unknown))
            )
        if len(self.languages) < 2:
            raise LanguageConfigError(f"{ENV_LANGUAGES}: name at least two languages")

    def _built(self) -> LanguageDetector:
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                langs = [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                    for c in self.languages
                ]
                self._detector = LanguageDetectorBuilder.from_languages(*langs).build()
            return self._detector

    def detect(self, text: str) -> str | None:
        """The ISO 639-1 code ``text`` is confidently written in, else None."""
        sample = clean(text)
        if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
            return None
        values = self._built().compute_language_confidence_values(sample)
        if not values:
            return None
        top = values[0]
        second = values[1].value if len(values) > 1 else 0.0
        if top.value < MIN_CONFIDENCE or top.value - second < MIN_LEAD:
            return None
        return str(top.language.iso_code_639_1.name).lower()


_shared: dict[tuple[str, ...], Detector] = {}
_shared_lock = threading.Lock()


def detector(environ: Mapping[str, str] | None = None) -> Detector:
    """The process's detector for the configured languages (models load on first use)."""
    langs = served_languages(environ)
    with _shared_lock:
        found = _shared.get(langs)
        if found is None:
            found = _shared[langs] = Detector(langs)
        return found


def detect(text: str) -> str | None:
    """:meth:`Detector.detect` with the configured languages."""
    return detector().detect(text)


def warm_up(environ: Mapping[str, str] | None = None) -> threading.Thread | None:
    """Load the models on a background thread now (None: switched off, or the configured
    languages are wrong, which the first detection reports)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_WARMUP, "1").strip() == "0":
        return None
    try:
        shared = detector(env)
    except LanguageConfigError:
        return None

    def run() -> None:
        try:
            shared.detect(_WARMUP_TEXT)
        except Exception:  # never take the server down for a warm-up
            log.exception("could not load the language models ahead of time")

    thread = threading.Thread(target=run, name="language-warm-up", daemon=True)
    thread.start()
    return thread
