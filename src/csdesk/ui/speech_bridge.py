"""Speech for the window: the service's worker-thread events as Qt signals, and one gate that
applies the agent's preferences before anything is queued.

The :class:`~csdesk.speech.SpeechService` reports from its own threads. Widgets may only be
touched on the GUI thread, so :class:`SpeechBridge` re-emits each report as a signal of a QObject
living on the GUI thread (Qt then queues the slot call), exactly like ``ui/bridge.py`` does for
sync. PySide6 6.12.0 crashes when such signals cross threads, which is why it is pinned below it.

:class:`Speaker` is the only door to the queue: automatic speech (new messages, SLA warnings,
announcements) passes :func:`csdesk.speech.policy.should_speak`, so speech never talks over a
running screen reader unless the agent asked for it; "read aloud" always speaks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAccessible

from csdesk import settings as opts
from csdesk.i18n import _, ngettext
from csdesk.settings import Settings
from csdesk.speech import (
    SpeechService,
    SpeechState,
    SpeechStatus,
    Utterance,
    Voice,
)
from csdesk.speech.policy import InboundScope, SpeechEventKind, SpeechPrefs, should_speak

__all__ = ["Speaker", "SpeechBridge", "SpeechOptions", "brief"]

log = logging.getLogger(__name__)


class SpeechBridge(QObject):
    """Signals: ``status(SpeechStatus)``, ``started(Utterance)``, ``finished(Finished)``,
    ``error(SpeechFailure)`` — always delivered on the GUI thread.

    Create it on the GUI thread, before the service starts, so no early report is lost."""

    status = Signal(object)
    started = Signal(object)
    finished = Signal(object)
    error = Signal(object)

    def __init__(self, service: SpeechService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._disconnect = [
            service.on_status.connect(lambda s: self._emit(self.status, s)),
            service.on_started.connect(lambda u: self._emit(self.started, u)),
            service.on_finished.connect(lambda f: self._emit(self.finished, f)),
            service.on_error.connect(lambda e: self._emit(self.error, e)),
        ]

    def _emit(self, signal: SignalInstance, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the bridge was deleted with its window: nobody listens any more
            log.debug("speech event dropped: its bridge is gone")

    def detach(self) -> None:
        """Stop relaying, so a closing service cannot emit into a deleted object."""
        for disconnect in self._disconnect:
            disconnect()
        self._disconnect = []


@dataclass(frozen=True, slots=True)
class SpeechOptions:
    """What the agent chose; a value, so the settings page can build one and apply it."""

    enabled: bool = True
    prefs: SpeechPrefs = field(default_factory=SpeechPrefs)
    brief: bool = False
    rate: int = 180
    volume: float = 1.0
    voice_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SpeechOptions:
        return cls(
            enabled=settings.get(opts.SPEECH_ENABLED),
            prefs=SpeechPrefs(
                speak_inbound=InboundScope(settings.get(opts.SPEAK_INBOUND)),
                speak_sla_warnings=settings.get(opts.SPEAK_SLA_WARNINGS),
                speak_script_steps=settings.get(opts.SPEAK_SCRIPT_STEPS),
                speak_training_lines=settings.get(opts.SPEAK_TRAINING_LINES),
                only_on_demand_when_screen_reader=settings.get(
                    opts.ONLY_ON_DEMAND_WHEN_SCREEN_READER
                ),
            ),
            brief=settings.get(opts.ANNOUNCEMENT_VERBOSITY) == "brief",
            rate=settings.get(opts.SPEECH_RATE),
            volume=settings.get(opts.SPEECH_VOLUME),
            voice_id=settings.get(opts.SPEECH_VOICE_ID),
        )


def brief(text: str) -> str:
    """The short form of an announcement: its first sentence, or what precedes a colon that
    introduces quoted content ("New message from Ann: …" becomes "New message from Ann").

    Agents who hear many announcements a minute asked for the gist only; the full text stays
    on screen.
    """
    head, sep, _rest = text.partition(": ")
    if sep and len(head) >= 12:
        return head
    for end in (". ", "? ", "! "):
        cut = text.find(end)
        if cut > 0:
            return text[: cut + 1]
    return text


def screen_reader_running() -> bool:
    """Qt knows an assistive technology is listening (Orca, NVDA, VoiceOver)."""
    return bool(QAccessible.isActive())


class Speaker(QObject):
    """The window's voice: owns nothing but the rules; the service is owned by whoever built it.

    Signals: ``queued(str)`` — text just handed to the speech queue (a log and the tests use it);
    ``status_changed(SpeechStatus)`` — the engine became available or unavailable.
    """

    queued = Signal(str)
    status_changed = Signal(object)
    #: A sentence for the agent: a message's language has no voice installed, so it is read
    #: with the agent's own voice (``SpeechService.speak(language=…)``).
    voice_notice = Signal(str)

    def __init__(
        self,
        service: SpeechService,
        options: SpeechOptions | None = None,
        *,
        screen_reader_active: Callable[[], bool] = screen_reader_running,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.options = options or SpeechOptions()
        self.screen_reader_active = screen_reader_active
        self.bridge = SpeechBridge(service, self)
        self.bridge.status.connect(self.status_changed)
        self._started = False
        self.apply(self.options)

    # --- life ------------------------------------------------------------------------------

    def start(self, run: Callable[[Callable[[], None]], object]) -> None:
        """Start the service through ``run`` (a background-task runner): creating the engine
        loads a C library and may take a while, so never on the GUI thread."""
        if not self._started:
            self._started = True
            run(self.service.start)

    def close(self) -> None:
        self.bridge.detach()
        self.service.close(timeout=0.5)

    @property
    def status(self) -> SpeechStatus:
        return self.service.status

    def voices(self) -> tuple[Voice, ...]:
        return self.service.list_voices()

    def status_text(self) -> str:
        status = self.service.status
        if status.state is SpeechState.AVAILABLE:
            count = len(self.voices())
            return ngettext(
                "Speech is available ({n} voice).", "Speech is available ({n} voices).", count
            ).format(n=count)
        if status.state is SpeechState.STARTING:
            return _("Speech is starting…")
        return status.reason or _("Speech is unavailable.")

    def apply(self, options: SpeechOptions) -> None:
        """Take new preferences at once; the engine picks up rate, volume and voice before its
        next utterance."""
        self.options = options
        self.service.rate = options.rate
        self.service.volume = options.volume
        self.service.voice_id = options.voice_id

    # --- speaking ----------------------------------------------------------------------------

    def _queue(self, text: str, *, priority: bool = False, language: str | None = None) -> bool:
        utterance: Utterance | None = self.service.speak(text, priority=priority, language=language)
        if utterance is None:
            return False
        if utterance.voice_missing and language:
            self.voice_notice.emit(
                _("No voice for language {language} is installed; read with your voice.").format(
                    language=language
                )
            )
        self.queued.emit(utterance.text)
        return True

    def _shape(self, text: str) -> str:
        return brief(text) if self.options.brief else text

    def automatic(
        self,
        kind: SpeechEventKind,
        text: str,
        *,
        assigned_to_me: bool = False,
        language: str | None = None,
    ) -> bool:
        """News the agent did not ask for (a new message, an SLA warning); True if queued."""
        if not self.options.enabled:
            return False
        if not should_speak(
            kind,
            self.options.prefs,
            screen_reader_active=self.screen_reader_active(),
            assigned_to_me=assigned_to_me,
            on_demand=False,
        ):
            return False
        return self._queue(
            self._shape(text), priority=kind is SpeechEventKind.SLA_WARNING, language=language
        )

    def announcement(self, text: str, *, assertive: bool = False) -> bool:
        """What the window tells a screen reader; spoken too when no screen reader speaks it
        (or the agent wants both)."""
        if not self.options.enabled:
            return False
        if self.screen_reader_active() and self.options.prefs.only_on_demand_when_screen_reader:
            return False
        return self._queue(self._shape(text), priority=assertive)

    def on_demand(self, text: str, *, language: str | None = None) -> bool:
        """The agent asked ("read aloud"): say it now, whatever the preferences (a paused
        voice resumes: asking to hear something is asking for the voice back); ``language``:
        the text's, read by that language's voice."""
        self.service.interrupt()
        self.service.resume()
        return self._queue(text, priority=True, language=language)

    # Translation (issue 13): a message in its language's voice, then its translation in
    # the agent's.
    def on_demand_parts(self, parts: list[tuple[str, str | None]]) -> bool:
        """Like :meth:`on_demand` for several texts, each ``(text, language)`` read in turn by
        its language's voice; True if any was queued."""
        self.service.interrupt()
        self.service.resume()
        queued = [self._queue(text, priority=True, language=lang) for text, lang in parts]
        return any(queued)

    def stop(self) -> None:
        """Silence and forget what was waiting; a pause ends too, so the next thing the agent
        wants to hear is not held back by a pause they no longer remember."""
        self.service.interrupt()
        self.service.resume()

    @property
    def paused(self) -> bool:
        return self.service.is_paused

    def toggle_pause(self) -> bool:
        """Pause speech (the current sentence is said again from its start on resume) or
        resume it; returns True when speech is now paused."""
        if self.service.is_paused:
            self.service.resume()
            return False
        self.service.pause()
        return True
