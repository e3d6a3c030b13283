"""The text-to-speech service: a queue, a worker thread, and an engine that may misbehave.

Callers (the GUI thread included) only ever touch the queue under a lock, so no call blocks on
the engine. The worker thread takes utterances in order and hands each to the engine thread
(:mod:`csdesk.speech.runner`) under a deadline; a missed deadline turns the service unavailable
rather than freezing anything. When the engine cannot start, the service is unavailable from the
beginning and every call is a harmless no-op, so the desktop works the same without speech.

Two ways to make sound, chosen per driver (:class:`Playback`):

* ``ENGINE``: ``say()`` + ``runAndWait()``; interruption calls the engine's ``stop()``. Used for
  SAPI5 and NSSpeechSynthesizer, whose ``stop()`` works.
* ``FILE``: render each utterance to a WAV and play it with an external player
  (:mod:`csdesk.speech.playback`). Used for espeak, whose pyttsx3 driver plays from inside the
  library's callback, cannot be interrupted, and can deadlock in ``stop()``.

The pyttsx3 traps (empty ``runAndWait()``, early return on espeak, the sticky save target) are
handled on the engine thread by :mod:`csdesk.speech.session`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from csdesk.i18n import _
from csdesk.speech.engine import (
    EngineFactory,
    TTSEngine,
    Voice,
    driver_name,
    pyttsx3_factory,
    voices_of,
)
from csdesk.speech.events import (
    Finished,
    Listeners,
    SpeechFailure,
    SpeechState,
    SpeechStatus,
    Utterance,
)
from csdesk.speech.playback import PlaybackError, find_player, play_file, wav_duration
from csdesk.speech.runner import EngineFailed, EngineHung, EngineThread
from csdesk.speech.session import EngineSession, Outcome, VoiceSettings
from csdesk.speech.voices import voice_for

__all__ = ["Playback", "SpeechService", "SpeechUnavailableError"]

_log = logging.getLogger(__name__)

MIN_RATE, MAX_RATE, DEFAULT_RATE = 80, 450, 200


def _hung_reason() -> str:
    return _("Speech is unavailable: the text-to-speech engine stopped responding.")


class Playback(StrEnum):
    AUTO = "auto"
    ENGINE = "engine"
    FILE = "file"


class SpeechUnavailableError(RuntimeError):
    """Only :meth:`SpeechService.render_to_file` raises it: a caller who asked for a file must
    know it got none. Everything else quietly does nothing while speech is unavailable."""


@dataclass(slots=True)
class _Render:
    text: str
    target: Path
    future: Future[Path]
    voice_id: str | None = None


class SpeechService:
    """Speaks queued text on its own threads; see the module docstring for the design.

    Listeners (plain callables, run on the worker thread): ``on_started`` (Utterance),
    ``on_finished`` (Finished), ``on_error`` (SpeechFailure), ``on_status`` (SpeechStatus; also
    fired on the thread that calls :meth:`close`).
    """

    def __init__(
        self,
        engine_factory: EngineFactory | None = None,
        *,
        playback: Playback = Playback.AUTO,
        player: Sequence[str] | None = None,
        call_timeout: float = 10.0,
        max_queue: int = 20,
    ) -> None:
        self.on_started: Listeners[Utterance] = Listeners("started")
        self.on_finished: Listeners[Finished] = Listeners("finished")
        self.on_error: Listeners[SpeechFailure] = Listeners("error")
        self.on_status: Listeners[SpeechStatus] = Listeners("status")
        self._playback = playback
        self._player = tuple(player) if player else None
        self._call_timeout = call_timeout
        self._max_queue = max_queue
        self._cond = threading.Condition()
        self._queue: deque[Utterance] = deque()
        self._renders: deque[_Render] = deque()
        self._status = SpeechStatus(SpeechState.STARTING)
        self._engine_ok = False  # renders work even when there is no audio player
        self._paused = False
        self._closed = False
        self._current: Utterance | None = None
        self._cancel = threading.Event()
        self._requeue_current = False
        self._settings = VoiceSettings()
        self._voices: tuple[Voice, ...] = ()
        self._session = EngineSession()
        self._tmpdir: Path | None = None
        self._runner = EngineThread(engine_factory or pyttsx3_factory())
        self._worker = threading.Thread(target=self._run, name="csdesk-speech", daemon=True)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the threads; separate from ``__init__`` so listeners can connect first."""
        self._runner.start()
        self._worker.start()

    def wait_until_ready(self, timeout: float) -> SpeechStatus:
        """Block until the engine has started or failed (for background tasks and tests)."""
        with self._cond:
            self._cond.wait_for(lambda: self._status.state is not SpeechState.STARTING, timeout)
            return self._status

    def close(self, timeout: float = 2.0) -> None:
        """Stop speaking, drop the queue and end the threads; safe to call twice."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._queue.clear()
            self._requeue_current = False
            self._cancel.set()
            self._fail_renders(_("The speech service was closed."))
            self._cond.notify_all()
        self._set_status(
            SpeechStatus(SpeechState.UNAVAILABLE, _("Speech is turned off.")), closing=True
        )
        self._runner.close()
        if self._worker.is_alive() and self._worker is not threading.current_thread():
            self._worker.join(timeout)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # --- state ---------------------------------------------------------------------------

    @property
    def status(self) -> SpeechStatus:
        with self._cond:
            return self._status

    @property
    def is_paused(self) -> bool:
        with self._cond:
            return self._paused

    def pending(self) -> tuple[Utterance, ...]:
        """Queued utterances in the order they will be spoken (not the current one)."""
        with self._cond:
            return tuple(self._queue)

    def list_voices(self) -> tuple[Voice, ...]:
        """Voices read once at start-up, so this never waits for a busy engine."""
        with self._cond:
            return self._voices

    # --- settings (applied by the engine thread before the next utterance) ---------------

    @property
    def rate(self) -> int:
        with self._cond:
            return self._settings.rate or DEFAULT_RATE

    @rate.setter
    def rate(self, words_per_minute: int) -> None:
        with self._cond:
            clamped = max(MIN_RATE, min(MAX_RATE, int(words_per_minute)))
            self._settings = replace(self._settings, rate=clamped)

    @property
    def volume(self) -> float:
        with self._cond:
            return 1.0 if self._settings.volume is None else self._settings.volume

    @volume.setter
    def volume(self, level: float) -> None:
        with self._cond:
            self._settings = replace(self._settings, volume=max(0.0, min(1.0, float(level))))

    @property
    def voice_id(self) -> str | None:
        with self._cond:
            return self._settings.voice_id

    @voice_id.setter
    def voice_id(self, voice_id: str | None) -> None:
        with self._cond:
            self._settings = replace(self._settings, voice_id=voice_id or None)

    # --- speaking ------------------------------------------------------------------------

    def speak(
        self, text: str, *, priority: bool = False, language: str | None = None
    ) -> Utterance | None:
        """Queue ``text``; priority text goes ahead of ordinary text (it does not interrupt).

        With ``language`` the text is read by a voice of that language (``voices.voice_for``);
        when none is installed, by the agent's voice, and the utterance says so
        (``voice_missing``) for the caller to tell the agent.

        Returns None when nothing was queued (blank text, or speech unavailable). When the queue
        is full the oldest ordinary utterance is dropped: after a burst, recent news matters.
        """
        text = " ".join(text.split())
        if not text:
            return None
        with self._cond:
            if self._closed or self._status.state is SpeechState.UNAVAILABLE:
                return None
            utterance = Utterance(text, priority, language=language)
            if language and self._voices:
                voice = voice_for(self._voices, language)
                utterance = replace(
                    utterance, voice_id=voice.id if voice else None, voice_missing=voice is None
                )
            if priority:
                position = sum(1 for queued in self._queue if queued.priority)
                self._queue.insert(position, utterance)
            else:
                self._queue.append(utterance)
            while len(self._queue) > self._max_queue:
                ordinary = [queued for queued in self._queue if not queued.priority]
                dropped = ordinary[0] if ordinary else self._queue[-1]
                self._queue.remove(dropped)
                _log.debug("speech queue full; dropped %r", dropped.text[:40])
            self._cond.notify_all()
        return utterance

    def interrupt(self) -> None:
        """Drop everything queued and stop the current utterance."""
        with self._cond:
            self._queue.clear()
            self._requeue_current = False
            if self._current is not None:
                self._cancel.set()

    def pause(self) -> None:
        """Hold the queue; the current utterance stops and is spoken again from its start on
        :meth:`resume`, since no engine can resume mid-utterance through pyttsx3."""
        with self._cond:
            if self._paused:
                return
            self._paused = True
            if self._current is not None and not self._cancel.is_set():
                self._requeue_current = True
                self._cancel.set()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def render_to_file(
        self,
        text: str,
        path: Path | str,
        *,
        timeout: float | None = None,
        voice_id: str | None = None,
    ) -> Path:
        """Render ``text`` to a WAV file at ``path``; blocks, so call it from a background task.

        Renders wait only for the utterance being spoken, not for the queue, and ignore pause.
        Raises :class:`SpeechUnavailableError` when there is no engine, ``TimeoutError`` when it
        takes longer than ``timeout`` (default: derived from the text length). ``voice_id``
        reads this one text with another voice than the agent's (a language's voice).
        """
        target = Path(path)
        if not " ".join(text.split()):
            raise ValueError("nothing to render: text is blank")
        if not target.parent.is_dir():
            raise FileNotFoundError(f"directory does not exist: {target.parent}")
        job = _Render(" ".join(text.split()), target, Future(), voice_id)
        with self._cond:
            unusable = self._closed or (
                self._status.state is SpeechState.UNAVAILABLE and not self._engine_ok
            )
            if unusable:
                raise SpeechUnavailableError(self._status.reason)
            self._renders.append(job)
            busy = self._current.text if self._current is not None else ""
            self._cond.notify_all()
        if timeout is None:
            timeout = self._budget(job.text) + self._budget(busy) + self._call_timeout
        try:
            return job.future.result(timeout)
        except TimeoutError:
            job.future.cancel()  # still queued: skip it rather than write the file later
            raise

    # --- worker thread -------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._start_engine()
            while self._engine_ok:
                work = self._next_work()
                if work is None:
                    break
                if isinstance(work, _Render):
                    self._do_render(work)
                else:
                    self._do_speak(work)
        except Exception:  # a bug here must not take speech down silently
            _log.exception("speech worker crashed")
            self._disable(_("Speech stopped after an internal error."))

    def _start_engine(self) -> None:
        def probe(engine: TTSEngine) -> tuple[tuple[Voice, ...], str]:
            self._session.attach(engine)
            return voices_of(engine), driver_name(engine)

        try:
            voices, driver = self._runner.call(probe, self._call_timeout, what="start-up")
        except EngineFailed as exc:
            self._disable(
                _(
                    "Speech is unavailable: the text-to-speech engine could not start ({detail})."
                ).format(detail=exc)
            )
            return
        except EngineHung:
            self._disable(_hung_reason())
            return
        mode = self._playback
        if mode is Playback.AUTO:
            mode = Playback.FILE if driver == "espeak" else Playback.ENGINE
        self._playback = mode
        status = SpeechStatus(SpeechState.AVAILABLE)
        if mode is Playback.FILE:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="csdesk-speech-"))
            self._player = self._player or find_player()
            if self._player is None:
                status = SpeechStatus(
                    SpeechState.UNAVAILABLE,
                    _(
                        "Speech is unavailable: no audio player was found "
                        "(install PipeWire, PulseAudio or alsa-utils)."
                    ),
                )
        with self._cond:
            self._voices = voices
            self._engine_ok = True
            if status.state is SpeechState.UNAVAILABLE:
                self._queue.clear()
        self._set_status(status)

    def _next_work(self) -> _Render | Utterance | None:
        with self._cond:
            while True:
                if self._closed or not self._engine_ok:
                    return None
                if self._renders:
                    return self._renders.popleft()
                if self._queue and not self._paused:
                    utterance = self._queue.popleft()
                    self._current = utterance
                    self._cancel.clear()
                    self._requeue_current = False
                    return utterance
                self._cond.wait()

    def _do_speak(self, utterance: Utterance) -> None:
        self.on_started.emit(utterance)
        completed = False
        try:
            if self._playback is Playback.FILE:
                completed = self._speak_via_file(utterance)
            else:
                completed = self._speak_via_engine(utterance)
        except EngineHung:
            self._disable(_hung_reason())
        except PlaybackError as exc:
            self.on_error.emit(SpeechFailure(str(exc), utterance))
        except Exception as exc:
            _log.warning("speaking failed", exc_info=True)
            self.on_error.emit(SpeechFailure(f"{type(exc).__name__}: {exc}", utterance))
        with self._cond:
            self._current = None
            if self._requeue_current and not completed and not self._closed:
                self._queue.appendleft(utterance)
            self._requeue_current = False
        self.on_finished.emit(Finished(utterance, completed))

    def _speak_via_engine(self, utterance: Utterance) -> bool:
        budget = self._budget(utterance.text, playback=True)
        settings, voices = self._snapshot(utterance.voice_id)
        stop_sent = False

        def poll() -> None:
            nonlocal stop_sent
            if self._cancel.is_set() and not stop_sent:
                stop_sent = True
                self._runner.stop_speaking(timeout=1.0)

        outcome = self._runner.wait(
            self._runner.submit(
                lambda engine: self._session.say(
                    engine, utterance.text, settings, voices, budget, self._cancel.is_set
                )
            ),
            budget + self._call_timeout,
            poll=poll,
            what="an utterance",
        )
        self._report(outcome, utterance)
        return outcome.completed and not self._cancel.is_set()

    def _speak_via_file(self, utterance: Utterance) -> bool:
        assert self._tmpdir is not None and self._player is not None
        wav = self._tmpdir / f"utterance-{utterance.id}.wav"
        try:
            outcome = self._render_on_engine(utterance.text, wav, utterance.voice_id)
            self._report(outcome, utterance)
            if self._cancel.is_set() or not outcome.completed:
                return False
            return play_file(
                self._player,
                wav,
                should_stop=self._cancel.is_set,
                timeout=wav_duration(wav) * 1.5 + self._call_timeout,
            )
        finally:
            wav.unlink(missing_ok=True)

    def _do_render(self, job: _Render) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        scratch = Path(tempfile.mkdtemp(prefix="csdesk-render-"))
        try:
            wav = scratch / "render.wav"
            outcome = self._render_on_engine(job.text, wav, job.voice_id)
            self._report(outcome, None)
            if not outcome.completed:
                raise RuntimeError("the speech engine did not finish the recording")
            # Move into place only when complete, so the target is never half written.
            shutil.move(wav, job.target)
            job.future.set_result(job.target)
        except EngineHung:
            job.future.set_exception(SpeechUnavailableError(_hung_reason()))
            self._disable(_hung_reason())
        except Exception as exc:
            job.future.set_exception(exc)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _render_on_engine(self, text: str, wav: Path, voice_id: str | None = None) -> Outcome:
        budget = self._budget(text)
        settings, voices = self._snapshot(voice_id)
        return self._runner.wait(
            self._runner.submit(
                lambda engine: self._session.record(engine, text, wav, settings, voices, budget)
            ),
            budget + self._call_timeout,
            what="a recording",
        )

    # --- helpers -------------------------------------------------------------------------

    def _snapshot(self, voice_id: str | None = None) -> tuple[VoiceSettings, tuple[Voice, ...]]:
        """The settings to speak with; ``voice_id`` (a message's language) overrides the voice
        for this one utterance, the agent's own voice coming back with the next."""
        with self._cond:
            settings = self._settings
            if voice_id is not None:
                settings = replace(settings, voice_id=voice_id)
            return settings, self._voices

    def _report(self, outcome: Outcome, utterance: Utterance | None) -> None:
        for problem in outcome.problems:
            self.on_error.emit(SpeechFailure(problem, utterance))
        if not outcome.finished:
            reason = "the speech engine never reported the end of an utterance"
            self._runner.mark_hung(reason)
            raise EngineHung(reason)

    def _budget(self, text: str, *, playback: bool = False) -> float:
        """Seconds an utterance may take: its spoken length (twice, if played) plus slack."""
        if not text:
            return 0.0
        spoken = len(text.split()) * 60.0 / self.rate
        return self._call_timeout + spoken * (2.0 if playback else 1.0)

    def _disable(self, reason: str) -> None:
        with self._cond:
            self._engine_ok = False
            self._queue.clear()
            self._fail_renders(reason)
            self._cond.notify_all()
        self._set_status(SpeechStatus(SpeechState.UNAVAILABLE, reason))

    def _fail_renders(self, reason: str) -> None:
        while self._renders:
            job = self._renders.popleft()
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(SpeechUnavailableError(reason))

    def _set_status(self, status: SpeechStatus, *, closing: bool = False) -> None:
        with self._cond:
            if status == self._status or (self._closed and not closing):
                return
            self._status = status
            self._cond.notify_all()
        self.on_status.emit(status)
