"""Which installed voice reads a given language.

Voices name their languages as tags (espeak-ng: ``de``, ``en-gb``, ``fr-fr``, ``pt-br``; SAPI5 and
NSSpeechSynthesizer: ``de-DE``, ``en_US``). A message's language is a tag too (``de``,
``pt-BR``), detected on the server. The best voice is one whose tag is exactly the language,
else one of the same primary language (``pt-BR`` read by ``pt``, ``de`` by ``de-de``), the
shortest tag first (the language's main voice, not ``en-gb-scotland``). None when no voice
speaks the language: the caller then uses the agent's own voice and says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from csdesk.speech.engine import Voice

__all__ = ["normalise", "voice_for"]


def normalise(tag: str) -> str:
    return tag.strip().replace("_", "-").lower()


def voice_for(voices: Iterable[Voice], language: str | None) -> Voice | None:
    """The voice that should read ``language``, or None; see the module docstring."""
    if not language:
        return None
    wanted = normalise(language)
    primary = wanted.split("-")[0]
    if not primary:
        return None
    exact: list[Voice] = []
    near: list[tuple[int, str, Voice]] = []
    for voice in voices:
        for tag in (normalise(t) for t in voice.languages):
            if tag == wanted:
                exact.append(voice)
            elif tag.split("-")[0] == primary:
                near.append((len(tag), voice.id, voice))
    if exact:
        return exact[0]
    return min(near, key=lambda n: (n[0], n[1]))[2] if near else None
