"""The slice of pyttsx3 the speech service uses, and the guards for its known traps.

The service talks to a :class:`TTSEngine` built by an injectable factory, so tests drive the
queue logic with a small fake and only a few tests need a real synthesiser. pyttsx3 is imported
inside the factory: a missing module or C library then becomes an "unavailable" status instead of
an import error that would stop the desktop from starting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "EngineFactory",
    "TTSEngine",
    "Voice",
    "clear_pending_save",
    "driver_name",
    "pyttsx3_factory",
    "voices_of",
    "wait_until_idle",
]


class TTSEngine(Protocol):
    """What pyttsx3's ``Engine`` offers and the service relies on."""

    def say(self, text: str, name: str | None = None) -> object: ...

    def save_to_file(self, text: str, filename: str, name: str | None = None) -> None: ...

    def runAndWait(self) -> None: ...  # pyttsx3 spells it so

    def stop(self) -> None: ...

    def getProperty(self, name: str) -> object: ...

    def setProperty(self, name: str, value: str | float) -> None: ...

    def connect(self, topic: str, cb: Callable[..., object]) -> object: ...


EngineFactory = Callable[[], TTSEngine]


def pyttsx3_factory(driver: str | None = None) -> EngineFactory:
    """A factory for pyttsx3's engine; ``driver=None`` picks the platform's default.

    ``pyttsx3.init`` caches one engine per driver name, which is what we want: on espeak a second
    engine re-registers the library's single synthesis callback and leaves the first one waiting
    forever for its "finished" event.
    """

    def create() -> TTSEngine:
        import pyttsx3

        engine: TTSEngine = pyttsx3.init(driver)
        return engine

    return create


def driver_name(engine: TTSEngine) -> str:
    """pyttsx3's driver name (``espeak``, ``sapi5``, ``nsss`` …), or ``""`` for other engines."""
    name = getattr(engine, "driver_name", "")
    return name if isinstance(name, str) else ""


def clear_pending_save(engine: TTSEngine) -> None:
    """Forget the file target of an earlier ``save_to_file``.

    pyttsx3's espeak driver keeps the last target and writes every later ``say()`` into that file
    instead of playing it. The attribute is private, so look for it rather than assume it.
    """
    proxy = getattr(engine, "proxy", None)
    driver = getattr(proxy, "_driver", None)
    if driver is not None and hasattr(driver, "_save_file"):
        driver._save_file = None


def wait_until_idle(engine: TTSEngine, timeout: float = 1.0) -> bool:
    """On espeak, wait until the library's command queue is empty; True when it is.

    ``runAndWait()`` begins with pyttsx3's ``endLoop``, which calls ``espeak_Cancel`` whenever
    espeak reports itself busy, and a just-queued ``setProperty`` or the tail of the previous
    utterance counts as busy. The cancel then silently drops the new rate or voice, and a second
    cancel a moment later cuts the new utterance short with a spurious "finished, incomplete".
    """
    if driver_name(engine) != "espeak":
        return True
    try:
        from pyttsx3.drivers import _espeak
    except Exception:  # pragma: no cover - the engine exists, so the library loaded
        return True
    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


@dataclass(frozen=True, slots=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None


def voices_of(engine: TTSEngine) -> tuple[Voice, ...]:
    """The engine's voices as plain values, safe to hand to another thread."""
    raw = engine.getProperty("voices")
    if not isinstance(raw, list | tuple):
        return ()
    voices: list[Voice] = []
    for item in raw:
        voice_id = getattr(item, "id", None)
        if not isinstance(voice_id, str):
            continue
        name = getattr(item, "name", None)
        languages = getattr(item, "languages", None) or ()
        gender = getattr(item, "gender", None)
        voices.append(
            Voice(
                id=voice_id,
                name=name if isinstance(name, str) else voice_id,
                languages=tuple(str(lang) for lang in languages),
                gender=gender if isinstance(gender, str) else None,
            )
        )
    return tuple(voices)
