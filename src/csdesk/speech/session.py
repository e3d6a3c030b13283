"""The work done on the engine thread: apply settings, speak or record, wait for the real end.

Kept apart from the queue logic because these functions run on another thread and talk to the
engine directly. Completion comes from pyttsx3's ``finished-utterance`` event, not from
``runAndWait()`` returning: the espeak driver returns after one 10 ms loop turn while espeak is
still synthesising on its own thread, and writes the WAV (or plays the audio) only at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from csdesk.i18n import _
from csdesk.speech.engine import TTSEngine, Voice, clear_pending_save, wait_until_idle

__all__ = ["EngineSession", "Outcome", "VoiceSettings"]

_WAV_HEADER_BYTES = 44
STOP_GRACE = 0.5
"""After a stop, how long a ``finished`` event may take before we stop waiting for it."""


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    rate: int | None = None
    volume: float | None = None
    voice_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    finished: bool
    """The engine reported the end (or honoured a stop) in time; False means it is stuck."""
    completed: bool
    problems: tuple[str, ...] = ()


class _Completion:
    """The ``finished-utterance`` callback; espeak calls it on its own thread.

    The first report wins: after a cancel, pyttsx3's espeak driver can send a second, contradicting
    one for the same utterance.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.completed = False

    def reset(self) -> None:
        self.completed = False
        self._event.clear()

    def __call__(self, name: object = None, completed: bool = True, **_: object) -> None:
        if not self._event.is_set():
            self.completed = bool(completed)
            self._event.set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


class EngineSession:
    """Engine-thread helpers; one per engine, since it holds the engine's completion callback."""

    def __init__(self) -> None:
        self._completion = _Completion()
        self._applied = VoiceSettings()
        #: The engine's own voice, read before the first change of voice, so that an agent
        #: with no chosen voice gets it back after a message read in another language's voice.
        self._engine_voice: str | None = None

    def attach(self, engine: TTSEngine) -> None:
        engine.connect("finished-utterance", self._completion)

    def say(
        self,
        engine: TTSEngine,
        text: str,
        settings: VoiceSettings,
        voices: tuple[Voice, ...],
        budget: float,
        cancelled: Callable[[], bool],
    ) -> Outcome:
        """Speak through the engine; ``cancelled`` turning true means a stop was requested."""
        if cancelled():  # interrupted while queued for the engine thread
            return Outcome(finished=True, completed=False)
        problems = self._apply(engine, settings, voices)
        self._completion.reset()
        engine.say(text)
        wait_until_idle(engine)
        engine.runAndWait()  # never with an empty queue: that hangs after an earlier run
        return self._await_end(budget, problems, cancelled)

    def record(
        self,
        engine: TTSEngine,
        text: str,
        wav: Path,
        settings: VoiceSettings,
        voices: tuple[Voice, ...],
        budget: float,
    ) -> Outcome:
        """Record to ``wav``; not cancellable, because no stop is sent to a recording engine and
        a late "finished" event would otherwise be taken for the next job's."""
        problems = self._apply(engine, settings, voices)
        self._completion.reset()
        try:
            engine.save_to_file(text, str(wav))
            wait_until_idle(engine)
            engine.runAndWait()
            outcome = self._await_end(budget, problems, lambda: False)
        finally:
            clear_pending_save(engine)
        if outcome.finished and outcome.completed:
            size = wav.stat().st_size if wav.exists() else 0
            if size <= _WAV_HEADER_BYTES:
                raise RuntimeError("the speech engine produced no audio")
        return outcome

    def _await_end(
        self, budget: float, problems: tuple[str, ...], cancelled: Callable[[], bool]
    ) -> Outcome:
        deadline = time.monotonic() + budget
        stopped_at: float | None = None
        while not self._completion.wait(0.01):
            now = time.monotonic()
            if cancelled():
                stopped_at = stopped_at or now
                if now - stopped_at > STOP_GRACE:  # some engines stay silent after a stop
                    return Outcome(finished=True, completed=False, problems=problems)
            elif now > deadline:
                return Outcome(finished=False, completed=False, problems=problems)
        return Outcome(True, self._completion.completed, problems)

    def _apply(
        self, engine: TTSEngine, wanted: VoiceSettings, voices: tuple[Voice, ...]
    ) -> tuple[str, ...]:
        """Set only what changed: each ``setProperty`` is queued work for some drivers."""
        applied = self._applied
        problems: list[str] = []
        if wanted.rate is not None and wanted.rate != applied.rate:
            engine.setProperty("rate", wanted.rate)
        if wanted.volume is not None and wanted.volume != applied.volume:
            engine.setProperty("volume", wanted.volume)
        if wanted.voice_id is None and applied.voice_id is not None and self._engine_voice:
            engine.setProperty("voice", self._engine_voice)
        if wanted.voice_id is not None and wanted.voice_id != applied.voice_id:
            if self._engine_voice is None and applied.voice_id is None:
                current = engine.getProperty("voice")
                self._engine_voice = current if isinstance(current, str) else None
            if voices and wanted.voice_id not in {voice.id for voice in voices}:
                problems.append(
                    _("Voice {voice} is not installed; using the current voice.").format(
                        voice=wanted.voice_id
                    )
                )
            else:
                engine.setProperty("voice", wanted.voice_id)
        self._applied = wanted
        return tuple(problems)
