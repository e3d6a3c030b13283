"""Text-to-speech for announcements (pyttsx3 on a worker thread) and the rules for what to say.

No Qt here: the ui layer connects the service's listeners to Qt signals in ``ui/bridge.py``.
"""

from csdesk.speech.engine import EngineFactory, TTSEngine, Voice, pyttsx3_factory
from csdesk.speech.events import Finished, SpeechFailure, SpeechState, SpeechStatus, Utterance
from csdesk.speech.service import Playback, SpeechService, SpeechUnavailableError

__all__ = [
    "EngineFactory",
    "Finished",
    "Playback",
    "SpeechFailure",
    "SpeechService",
    "SpeechState",
    "SpeechStatus",
    "SpeechUnavailableError",
    "TTSEngine",
    "Utterance",
    "Voice",
    "pyttsx3_factory",
]
