"""SpeechService: queue logic against a fake engine, failure modes, and the real pyttsx3/espeak.

The fake engine lets a test hold an utterance "in the speaker" (``gate``) so queue order,
priority, interruption and pause can be observed deterministically. The real-engine tests render
and check actual audio; they skip without espeak-ng, except on CI where they must run.
"""

from __future__ import annotations

import array
import ctypes.util
import hashlib
import importlib.util
import math
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

import pytest

from csdesk.speech import (
    Finished,
    Playback,
    SpeechFailure,
    SpeechService,
    SpeechState,
    SpeechStatus,
    SpeechUnavailableError,
    Utterance,
    pyttsx3_factory,
)
from csdesk.speech.engine import TTSEngine, clear_pending_save
from tests.helpers.requirements import require

pytestmark = pytest.mark.timeout(60)  # threads are involved: a bug must fail, not hang CI

ENGINE_THREAD = "csdesk-tts-engine"
T = TypeVar("T")


# --- fakes ----------------------------------------------------------------------------------


def _write_tone(path: str, seconds: float = 0.3) -> None:
    rate = 16000
    samples = array.array(
        "h",
        (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(rate * seconds))),
    )
    with wave.open(path, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())


class FakeEngine:
    """Behaves like a pyttsx3 engine that speaks until ``gate`` opens or ``stop()`` is called."""

    driver_name = "fake"

    def __init__(self, *, hold: bool = False, hang: bool = False, mute: bool = False) -> None:
        self.gate = threading.Event()
        if not hold:
            self.gate.set()
        self.hang = hang  # runAndWait never returns
        self.mute = mute  # never sends finished-utterance
        self.speaking = threading.Event()
        self.started: list[str] = []
        self.spoken: list[str] = []
        self.properties: dict[str, object] = {"rate": 200, "volume": 1.0, "voice": "en"}
        self.voices = [
            SimpleNamespace(id="en", name="English", languages=["en"], gender="Male"),
            SimpleNamespace(id="de", name="German", languages=["de"], gender=None),
        ]
        self.voice_queries = 0
        self.empty_runs = 0
        self.stop_calls = 0
        self.call_threads: set[str] = set()
        self._pending: list[tuple[str, str | None]] = []
        self._stop = threading.Event()
        self._callbacks: dict[str, list[Callable[..., object]]] = {}

    def _on_call(self) -> None:
        self.call_threads.add(threading.current_thread().name)

    def say(self, text: str, name: str | None = None) -> None:
        self._on_call()
        self._pending.append((text, None))

    def save_to_file(self, text: str, filename: str, name: str | None = None) -> None:
        self._on_call()
        self._pending.append((text, filename))

    def runAndWait(self) -> None:
        self._on_call()
        if not self._pending:
            self.empty_runs += 1  # the real espeak driver may hang here
            return
        if self.hang:
            threading.Event().wait()
        for text, filename in self._pending:
            self._stop.clear()
            self.started.append(text)
            self.speaking.set()
            completed = True
            while not self.gate.wait(0.005):
                if self._stop.is_set():
                    completed = False
                    break
            if filename is not None and completed:
                _write_tone(filename)
            if completed:
                self.spoken.append(text)
            self.speaking.clear()
            if not self.mute:
                for callback in self._callbacks.get("finished-utterance", []):
                    callback(name=None, completed=completed)
        self._pending.clear()

    def stop(self) -> None:
        self.stop_calls += 1
        self._stop.set()

    def getProperty(self, name: str) -> object:
        self._on_call()
        if name == "voices":
            self.voice_queries += 1
            return self.voices
        return self.properties[name]

    def setProperty(self, name: str, value: str | float) -> None:
        self._on_call()
        self.properties[name] = value

    def connect(self, topic: str, cb: Callable[..., object]) -> dict[str, object]:
        self._on_call()
        self._callbacks.setdefault(topic, []).append(cb)
        return {"topic": topic, "cb": cb}


class Recorder:
    """Collects a service's events and waits for them."""

    def __init__(self, service: SpeechService) -> None:
        self.started: list[Utterance] = []
        self.finished: list[Finished] = []
        self.errors: list[SpeechFailure] = []
        self.statuses: list[SpeechStatus] = []
        self._cond = threading.Condition()
        service.on_started.connect(lambda u: self._add(self.started, u))
        service.on_finished.connect(lambda f: self._add(self.finished, f))
        service.on_error.connect(lambda e: self._add(self.errors, e))
        service.on_status.connect(lambda s: self._add(self.statuses, s))

    def _add(self, bucket: list[T], item: T) -> None:
        with self._cond:
            bucket.append(item)
            self._cond.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait for ``predicate``, re-checking on every event and every 10 ms (for files)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                assert remaining > 0, "timed out waiting for speech events"
                self._cond.wait(min(remaining, 0.01))

    def wait_finished(self, count: int, timeout: float = 5.0) -> None:
        self.wait(lambda: len(self.finished) >= count, timeout)

    def finished_texts(self) -> list[tuple[str, bool]]:
        return [(f.utterance.text, f.completed) for f in self.finished]


Make = Callable[..., tuple[SpeechService, Recorder]]


@pytest.fixture
def make_service() -> Iterator[Make]:
    services: list[SpeechService] = []

    def make(factory: Callable[[], TTSEngine], **options: object) -> tuple[SpeechService, Recorder]:
        options.setdefault("call_timeout", 5.0)
        service = SpeechService(factory, **options)  # type: ignore[arg-type]
        recorder = Recorder(service)
        services.append(service)
        service.start()
        return service, recorder

    yield make
    for service in services:
        service.close()


def _ready(service: SpeechService) -> None:
    assert service.wait_until_ready(5.0).available


# --- queue logic with the fake engine -------------------------------------------------------


def test_utterances_are_spoken_in_order_on_the_engine_thread(make_service: Make) -> None:
    engine = FakeEngine(hold=True)
    service, events = make_service(lambda: engine)
    _ready(service)
    for text in ("one", "two", "three", "four"):
        service.speak(text)
    assert engine.speaking.wait(5)
    engine.gate.set()
    events.wait_finished(4)
    assert engine.spoken == ["one", "two", "three", "four"]
    assert [u.text for u in events.started] == engine.spoken
    assert all(f.completed for f in events.finished)
    assert engine.call_threads == {ENGINE_THREAD}
    assert engine.empty_runs == 0


def test_priority_goes_ahead_of_ordinary_text_but_keeps_its_own_order(make_service: Make) -> None:
    engine = FakeEngine(hold=True)
    service, events = make_service(lambda: engine)
    _ready(service)
    service.speak("current")
    assert engine.speaking.wait(5)
    service.speak("b")
    service.speak("SLA 1", priority=True)
    service.speak("d")
    service.speak("SLA 2", priority=True)
    assert [u.text for u in service.pending()] == ["SLA 1", "SLA 2", "b", "d"]
    engine.gate.set()
    events.wait_finished(5)
    assert engine.spoken == ["current", "SLA 1", "SLA 2", "b", "d"]


def test_interrupt_drops_the_queue_and_stops_the_current_utterance(make_service: Make) -> None:
    engine = FakeEngine(hold=True)
    service, events = make_service(lambda: engine)
    _ready(service)
    service.speak("long message")
    service.speak("queued 1")
    service.speak("queued 2")
    assert engine.speaking.wait(5)
    started = time.monotonic()
    service.interrupt()
    assert time.monotonic() - started < 0.1, "interrupt must not block the caller"
    events.wait_finished(1)
    assert events.finished_texts() == [("long message", False)]
    assert engine.stop_calls == 1
    assert service.pending() == ()
    engine.gate.set()
    service.speak("after")
    events.wait_finished(2)
    assert engine.spoken == ["after"]
    assert [u.text for u in events.started] == ["long message", "after"]


def test_pause_holds_the_queue_and_resume_restarts_the_current_text(make_service: Make) -> None:
    engine = FakeEngine(hold=True)
    service, events = make_service(lambda: engine)
    _ready(service)
    service.speak("first")
    service.speak("second")
    assert engine.speaking.wait(5)
    service.pause()
    events.wait_finished(1)
    assert service.is_paused
    assert events.finished_texts() == [("first", False)]
    assert [u.text for u in service.pending()] == ["first", "second"]
    time.sleep(0.2)
    assert engine.started == ["first"], "nothing may start while paused"
    engine.gate.set()
    service.resume()
    events.wait_finished(3)
    assert engine.started == ["first", "first", "second"]
    assert engine.spoken == ["first", "second"]


def test_pause_while_idle_then_resume(make_service: Make) -> None:
    engine = FakeEngine()
    service, events = make_service(lambda: engine)
    _ready(service)
    service.pause()
    service.speak("held")
    time.sleep(0.2)
    assert engine.started == []
    service.resume()
    events.wait_finished(1)
    assert engine.spoken == ["held"]


def test_interrupt_after_pause_does_not_bring_the_text_back(make_service: Make) -> None:
    engine = FakeEngine(hold=True)
    service, events = make_service(lambda: engine)
    _ready(service)
    service.speak("first")
    assert engine.speaking.wait(5)
    service.pause()
    service.interrupt()
    events.wait_finished(1)
    service.resume()
    time.sleep(0.2)
    assert service.pending() == ()
    assert engine.started == ["first"]


def test_full_queue_drops_the_oldest_ordinary_text(make_service: Make) -> None:
    engine = FakeEngine(hold=True)
    service, _events = make_service(lambda: engine, max_queue=3)
    _ready(service)
    service.speak("current")
    assert engine.speaking.wait(5)
    for text in ("a", "b", "c", "d"):
        service.speak(text)
    service.speak("urgent", priority=True)
    assert [u.text for u in service.pending()] == ["urgent", "c", "d"]


def test_blank_text_is_not_queued(make_service: Make) -> None:
    service, _events = make_service(lambda: FakeEngine())
    _ready(service)
    assert service.speak(" \n\t ") is None
    queued = service.speak("  Order   shipped \n today ")
    assert queued is not None and queued.text == "Order shipped today"


def test_settings_reach_the_engine_before_the_next_utterance(make_service: Make) -> None:
    engine = FakeEngine()
    service, events = make_service(lambda: engine)
    _ready(service)
    service.rate = 300
    service.volume = 0.5
    service.voice_id = "de"
    service.speak("hallo")
    events.wait_finished(1)
    assert engine.properties == {"rate": 300, "volume": 0.5, "voice": "de"}
    assert engine.call_threads == {ENGINE_THREAD}


def test_settings_are_clamped() -> None:
    service = SpeechService(lambda: FakeEngine())
    service.rate = 10
    service.volume = 3.0
    assert (service.rate, service.volume) == (80, 1.0)
    service.rate = 10_000
    service.volume = -1
    assert (service.rate, service.volume) == (450, 0.0)
    service.close()


def test_unknown_voice_is_reported_and_the_current_voice_kept(make_service: Make) -> None:
    engine = FakeEngine()
    service, events = make_service(lambda: engine)
    _ready(service)
    service.voice_id = "klingon"
    service.speak("hello")
    events.wait_finished(1)
    assert engine.properties["voice"] == "en"
    assert engine.spoken == ["hello"]
    assert len(events.errors) == 1 and "klingon" in events.errors[0].message


def test_voices_are_read_once_and_served_from_memory(make_service: Make) -> None:
    engine = FakeEngine()
    service, _events = make_service(lambda: engine)
    _ready(service)
    for _ in range(3):
        voices = service.list_voices()
    assert [v.id for v in voices] == ["en", "de"]
    assert voices[0].name == "English" and voices[0].languages == ("en",)
    assert engine.voice_queries == 1


def test_a_failing_listener_does_not_break_the_others(make_service: Make) -> None:
    engine = FakeEngine()
    service, events = make_service(lambda: engine)

    def explode(_utterance: Utterance) -> None:
        raise RuntimeError("listener bug")

    disconnect_quiet = service.on_started.connect(lambda _u: None)
    service.on_started.connect(explode)
    disconnect_quiet()
    _ready(service)
    service.speak("still spoken")
    events.wait_finished(1)
    assert engine.spoken == ["still spoken"]


def test_render_to_file_with_the_fake_engine_moves_a_finished_file(
    make_service: Make, tmp_path: Path
) -> None:
    engine = FakeEngine()
    service, _events = make_service(lambda: engine)
    _ready(service)
    target = service.render_to_file("hello", tmp_path / "hello.wav")
    assert target == tmp_path / "hello.wav"
    with wave.open(str(target)) as wav:
        assert wav.getnframes() > 0
    with pytest.raises(FileNotFoundError):
        service.render_to_file("hello", tmp_path / "missing" / "x.wav")
    with pytest.raises(ValueError, match="blank"):
        service.render_to_file("   ", tmp_path / "blank.wav")


def test_file_playback_interrupt_kills_the_player(make_service: Make, tmp_path: Path) -> None:
    marker = tmp_path / "played"
    player = [
        sys.executable,
        "-c",
        f"import time; open({str(marker)!r}, 'a').write('x'); time.sleep(30)",
    ]
    engine = FakeEngine()
    service, events = make_service(lambda: engine, playback=Playback.FILE, player=player)
    _ready(service)
    service.speak("long")
    events.wait(lambda: marker.exists())
    started = time.monotonic()
    service.interrupt()
    events.wait_finished(1)
    assert time.monotonic() - started < 3
    assert events.finished_texts() == [("long", False)]


def test_player_failure_is_reported_not_raised(make_service: Make) -> None:
    player = [sys.executable, "-c", "import sys; sys.stderr.write('no soundcards found'); exit(1)"]
    service, events = make_service(lambda: FakeEngine(), playback=Playback.FILE, player=player)
    _ready(service)
    service.speak("hello")
    events.wait_finished(1)
    assert events.finished_texts() == [("hello", False)]
    assert "no soundcards found" in events.errors[0].message
    assert service.status.available


# --- an engine that is missing or stuck -----------------------------------------------------


def test_engine_that_cannot_start_makes_every_call_a_quick_no_op(
    make_service: Make, tmp_path: Path
) -> None:
    def broken() -> TTSEngine:
        raise RuntimeError("libespeak-ng.so.1: cannot open shared object file")

    service, events = make_service(broken)
    status = service.wait_until_ready(5.0)
    assert status.state is SpeechState.UNAVAILABLE
    assert "libespeak-ng.so.1" in status.reason
    assert events.statuses == [status]
    started = time.monotonic()
    assert service.speak("hello") is None
    service.interrupt()
    service.pause()
    service.resume()
    service.rate = 250
    assert service.list_voices() == ()
    with pytest.raises(SpeechUnavailableError, match="could not start"):
        service.render_to_file("hello", tmp_path / "x.wav")
    service.close()
    assert time.monotonic() - started < 1.0


def test_engine_that_hangs_at_start_up_times_out(make_service: Make) -> None:
    def hangs() -> TTSEngine:
        threading.Event().wait()
        raise AssertionError("unreachable")

    service, _events = make_service(hangs, call_timeout=0.3)
    started = time.monotonic()
    status = service.wait_until_ready(5.0)
    assert status.state is SpeechState.UNAVAILABLE
    assert "stopped responding" in status.reason
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("fault", ["hang", "mute"])
def test_engine_that_stops_responding_mid_utterance_disables_speech(
    make_service: Make, fault: str
) -> None:
    engine = FakeEngine(**{fault: True})
    service, events = make_service(lambda: engine, call_timeout=0.3)
    _ready(service)
    started = time.monotonic()
    assert service.speak("hello") is not None
    assert time.monotonic() - started < 0.1, "speak must never wait for the engine"
    events.wait(lambda: bool(events.statuses) and not events.statuses[-1].available, 10)
    assert "stopped responding" in service.status.reason
    events.wait_finished(1)
    assert events.finished_texts() == [("hello", False)]
    assert service.speak("again") is None
    closing = time.monotonic()
    service.close()
    assert time.monotonic() - closing < 3.0


def test_close_is_idempotent_and_reports_once(make_service: Make) -> None:
    service, events = make_service(lambda: FakeEngine())
    _ready(service)
    service.close()
    service.close()
    assert [s.state for s in events.statuses] == [SpeechState.AVAILABLE, SpeechState.UNAVAILABLE]
    assert service.speak("too late") is None


def test_clear_pending_save_resets_the_driver_target() -> None:
    driver = SimpleNamespace(_save_file="/tmp/old.wav")
    engine = SimpleNamespace(proxy=SimpleNamespace(_driver=driver))
    clear_pending_save(engine)
    assert driver._save_file is None
    clear_pending_save(FakeEngine())  # engines without the attribute are left alone


# --- the skip-or-fail helper ----------------------------------------------------------------


def test_require_skips_locally_and_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    require(True, "always there")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="libfoo missing"):
        require(False, "libfoo missing")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="libfoo missing"):
        require(False, "libfoo missing")


# --- the real engine: pyttsx3 + espeak-ng ---------------------------------------------------


def _require_real_engine() -> None:
    require(importlib.util.find_spec("pyttsx3") is not None, "pyttsx3 is not installed")
    if sys.platform.startswith("linux"):
        found = ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")
        require(found is not None, "libespeak-ng is not installed (apt install libespeak-ng1)")


def _wav_stats(path: Path) -> tuple[float, float]:
    """Duration in seconds and RMS of 16-bit mono samples."""
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        duration = wav.getnframes() / wav.getframerate()
    samples = array.array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return duration, rms


@pytest.fixture(scope="module")
def real_service() -> Iterator[SpeechService]:
    _require_real_engine()
    service = SpeechService(pyttsx3_factory(), call_timeout=20.0)
    service.start()
    status = service.wait_until_ready(20.0)
    if status.state is SpeechState.UNAVAILABLE and not service.list_voices():
        require(False, f"the real engine did not start: {status.reason}")
    yield service
    service.close()


@pytest.mark.timeout(60)
def test_real_engine_renders_an_audible_wav(real_service: SpeechService, tmp_path: Path) -> None:
    target = real_service.render_to_file("Hello, your order has shipped", tmp_path / "order.wav")
    duration, rms = _wav_stats(target)
    assert duration > 0.5
    assert rms > 300, f"rendered speech looks silent (RMS {rms:.0f})"


@pytest.mark.timeout(60)
def test_real_render_length_agrees_with_soxi(real_service: SpeechService, tmp_path: Path) -> None:
    require(shutil.which("soxi") is not None, "soxi is not installed (apt install sox)")
    target = real_service.render_to_file("Hello, your order has shipped", tmp_path / "o.wav")
    soxi = subprocess.run(["soxi", "-D", str(target)], capture_output=True, text=True, check=True)
    assert float(soxi.stdout) == pytest.approx(_wav_stats(target)[0], abs=0.01)
    assert float(soxi.stdout) > 0.5


@pytest.mark.timeout(60)
def test_real_engine_applies_rate_and_lists_voices(
    real_service: SpeechService, tmp_path: Path
) -> None:
    voices = real_service.list_voices()
    assert any(v.id.endswith("/en") or "en" in v.languages for v in voices)
    text = "Your refund has been approved and will arrive within five working days"
    try:
        real_service.rate = 120
        slow = _wav_stats(real_service.render_to_file(text, tmp_path / "slow.wav"))[0]
        real_service.rate = 320
        fast = _wav_stats(real_service.render_to_file(text, tmp_path / "fast.wav"))[0]
    finally:
        real_service.rate = 200
    assert slow > fast * 1.5


@pytest.mark.timeout(60)
def test_real_engine_speaks_through_an_interruptible_player(
    real_service: SpeechService, tmp_path: Path
) -> None:
    log = tmp_path / "player.log"
    # A stand-in player: records that it got a real WAV, then "plays" it in real time.
    player = [
        sys.executable,
        "-c",
        "import sys, time, wave\n"
        "w = wave.open(sys.argv[1]); n = w.getnframes(); r = w.getframerate()\n"
        f"open({str(log)!r}, 'a').write(f'{{n / r:.2f}}\\n')\n"
        "time.sleep(n / r)\n",
    ]
    service = SpeechService(pyttsx3_factory(), player=player, call_timeout=20.0)
    events = Recorder(service)
    service.start()
    try:
        assert service.wait_until_ready(20.0).available
        service.speak("Order shipped")
        events.wait_finished(1, timeout=20)
        assert events.finished_texts() == [("Order shipped", True)]
        assert float(log.read_text().split()[0]) > 0.3
        service.speak(" ".join(["This is a long announcement that nobody wants to hear."] * 8))
        events.wait(lambda: len(log.read_text().split()) == 2, timeout=20)
        started = time.monotonic()
        service.interrupt()
        events.wait_finished(2, timeout=5)
        assert time.monotonic() - started < 3
        assert events.finished[1].completed is False
    finally:
        service.close()


@pytest.mark.timeout(60)
def test_real_engine_say_after_render_does_not_write_the_old_file(
    real_service: SpeechService, tmp_path: Path
) -> None:
    """The sticky save target trap, on the engine's own say() path with aplay faked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    played = tmp_path / "aplay.log"
    fake_aplay = bin_dir / "aplay"
    fake_aplay.write_text(f'#!/bin/sh\necho "$1" >> "{played}"\n')
    fake_aplay.chmod(fake_aplay.stat().st_mode | stat.S_IXUSR)
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old_path}"
    service = SpeechService(pyttsx3_factory(), playback=Playback.ENGINE, call_timeout=20.0)
    events = Recorder(service)
    service.start()
    try:
        assert service.wait_until_ready(20.0).available
        rendered = service.render_to_file("First, a recording", tmp_path / "first.wav")
        digest = hashlib.sha256(rendered.read_bytes()).hexdigest()
        service.speak("Then something spoken")
        events.wait_finished(1, timeout=20)
        assert events.finished_texts() == [("Then something spoken", True)]
        assert played.exists() and played.read_text().strip().endswith(".wav")
        assert hashlib.sha256(rendered.read_bytes()).hexdigest() == digest
    finally:
        os.environ["PATH"] = old_path
        service.close()


@pytest.mark.timeout(60)
def test_missing_pyttsx3_driver_means_unavailable_not_an_exception(tmp_path: Path) -> None:
    service = SpeechService(pyttsx3_factory("no_such_driver"), call_timeout=10.0)
    service.start()
    try:
        status = service.wait_until_ready(10.0)
        assert status.state is SpeechState.UNAVAILABLE
        assert "no_such_driver" in status.reason
        assert service.speak("hello") is None
        with pytest.raises(SpeechUnavailableError):
            service.render_to_file("hello", tmp_path / "x.wav")
    finally:
        service.close()
