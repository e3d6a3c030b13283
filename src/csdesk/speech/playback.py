"""Play a rendered WAV with an external player that can be stopped at once.

pyttsx3's espeak driver plays through ``aplay`` from inside espeak's callback thread, where it
can be neither interrupted nor paused, and its ``stop()`` can deadlock in ``espeak_Cancel``. So
for espeak the service renders each utterance to a file and plays it here as a child process,
which an interruption simply terminates.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["PLAYER_CANDIDATES", "PlaybackError", "find_player", "play_file", "wav_duration"]

PLAYER_CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("pw-play",),  # PipeWire
    ("paplay",),  # PulseAudio
    ("aplay", "-q"),  # ALSA (alsa-utils)
    ("afplay",),  # macOS
)


class PlaybackError(RuntimeError):
    pass


def find_player() -> tuple[str, ...] | None:
    """The first installed player, preferring sound servers so other apps keep their audio."""
    for command in PLAYER_CANDIDATES:
        if shutil.which(command[0]):
            return command
    return None


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return wav.getnframes() / rate if rate else 0.0


def play_file(
    command: Sequence[str],
    path: Path,
    *,
    should_stop: Callable[[], bool],
    timeout: float,
) -> bool:
    """Play ``path``; True if it played to the end, False if ``should_stop`` cut it short."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                [*command, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        except OSError as exc:
            raise PlaybackError(f"cannot start audio player {command[0]}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if should_stop():
                _end(process)
                return False
            if time.monotonic() > deadline:
                _end(process)
                raise PlaybackError(f"audio player {command[0]} did not finish in {timeout:.0f} s")
            time.sleep(0.01)
        if process.returncode != 0:
            errors.seek(0)
            detail = errors.read()[-500:].decode(errors="replace").strip()
            raise PlaybackError(
                f"audio player {command[0]} failed (exit {process.returncode}): {detail}"
            )
    return True


def _end(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=1.0)
