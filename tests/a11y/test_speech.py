"""Speech in the window: what gets queued, by whose rule, and what a screen reader changes."""

from __future__ import annotations

import ctypes.util
import importlib.util
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import ALL_VIEWS, Sort, View
from csdesk.app.thread import MessageView
from csdesk.protocol import Entity
from csdesk.speech import Finished, pyttsx3_factory
from csdesk.speech.policy import inbound_announcement
from csdesk.sync.events import ChangeSet
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.speech_bridge import SpeechOptions
from tests.a11y.conftest import FakeEngine, SpeakingDesk, broken_factory
from tests.helpers.requirements import require
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

Make = Callable[..., SpeakingDesk]
Item = tuple[str, MessageView]


def _inbound(desk: SpeakingDesk, view: View) -> Item:
    """A conversation of ``view`` and its latest inbound message."""
    for cid in desk.ws.ordered_ids(view, Sort.NEWEST):
        conv = desk.ws.conversation(cid)
        assert conv is not None
        inbound = [m for m in conv.messages if m.direction == "in" and not m.is_note]
        if inbound:
            return cid, inbound[-1]
    raise AssertionError(f"the demo store has no inbound message in {view}")


def _arrive(qtbot: QtBot, desk: SpeakingDesk, *items: Item) -> None:
    """Publish what the sync engine publishes when these messages arrive; wait until handled."""
    speech = desk.window.speech
    assert speech is not None
    before = {msg.id: speech.looked_at[msg.id] for _c, msg in items}
    pairs = [(Entity.CONVERSATION, cid) for cid, _m in items]
    pairs += [(Entity.MESSAGE, msg.id) for _c, msg in items]
    desk.window.bridge.changes.emit(ChangeSet.of(pairs))
    qtbot.waitUntil(
        lambda: all(speech.looked_at[mid] > n for mid, n in before.items()), timeout=10_000
    )


def _sentence(msg: MessageView) -> str:
    return inbound_announcement(msg.channel, msg.author_name, msg.body_text)


def _open_first(qtbot: QtBot, desk: SpeakingDesk) -> None:
    w = desk.window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(
        lambda: w.shown_view == View.ALL_OPEN and w.model.rowCount() > 0, timeout=10_000
    )
    w.inbox.step(1)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.model.rowCount() > 0,
        timeout=10_000,
    )


@pytest.mark.parametrize(
    ("scope", "mine_spoken", "other_spoken"),
    [("all", True, True), ("mine", True, False), ("none", False, False)],
)
def test_new_inbound_messages_are_queued_per_preference(
    qtbot: QtBot,
    demo_server: ServerProcess,
    speaking_desk: Make,
    scope: str,
    mine_spoken: bool,
    other_spoken: bool,
) -> None:
    desk = speaking_desk(demo_server, speak_inbound=scope)
    speech = desk.window.speech
    assert speech is not None
    mine = _inbound(desk, View.MINE)
    other = _inbound(desk, View.UNASSIGNED)

    # Sign-in brings the whole backlog: nothing older than the window is news.
    _arrive(qtbot, desk, mine, other)
    assert _sentence(mine[1]) not in desk.queued
    assert _sentence(other[1]) not in desk.queued

    speech.since = LONG_AGO  # from here on these messages count as just arrived
    _arrive(qtbot, desk, mine, other)
    assert (_sentence(mine[1]) in desk.queued) is mine_spoken
    assert (_sentence(other[1]) in desk.queued) is other_spoken
    # Heard once: the same message in a later sync batch is not read again.
    count = len(desk.queued)
    _arrive(qtbot, desk, mine, other)
    assert len(desk.queued) == count


def test_read_aloud_speaks_the_selected_message(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    engines: list[FakeEngine] = []

    def factory() -> FakeEngine:
        engines.append(FakeEngine())
        return engines[-1]

    desk = speaking_desk(demo_server, factory=factory, speak_inbound="none")
    w = desk.window
    _open_first(qtbot, desk)
    view = w.conversation.messages
    view.setFocus()
    view.setCurrentIndex(w.conversation.model.index(0))
    sentence = w.conversation.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    qtbot.keyClick(view, Qt.Key.Key_R, CTRL_SHIFT)
    assert desk.queued[-1] == " ".join(sentence.split())
    qtbot.waitUntil(lambda: bool(engines) and desk.queued[-1] in engines[0].spoken, timeout=10_000)
    assert w.actions_["read_aloud"].shortcut().toString() == "Ctrl+Shift+R"


def test_screen_reader_running_keeps_automatic_speech_quiet(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    desk = speaking_desk(demo_server, screen_reader=True, speak_inbound="all")
    w = desk.window
    speech = w.speech
    assert speech is not None
    speech.since = LONG_AGO
    mine = _inbound(desk, View.MINE)
    _arrive(qtbot, desk, mine)
    w.say("Assigned to you")
    assert desk.queued == []  # the screen reader already says these
    _open_first(qtbot, desk)
    w.conversation.messages.setCurrentIndex(w.conversation.model.index(0))
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R, CTRL_SHIFT)
    assert len(desk.queued) == 1  # asked for: spoken anyway

    # The agent may want both voices: the rule is a preference.
    desk.settings.set_key("only_on_demand_when_screen_reader", False)
    desk.speaker.apply(SpeechOptions.from_settings(desk.settings))
    w.say("Assigned to you")
    assert desk.queued[-1] == "Assigned to you"


def test_brief_announcements_keep_the_gist(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    desk = speaking_desk(demo_server, announcement_verbosity="brief")
    said: list[str] = []
    desk.window.announced.connect(said.append)
    desk.window.say("New message from Ann Lee: where is my parcel? It is late.")
    assert said == ["New message from Ann Lee"]
    assert desk.queued[-1] == "New message from Ann Lee"


def test_unavailable_engine_gives_a_notice_not_a_hang(
    qtbot: QtBot,
    demo_server: ServerProcess,
    speaking_desk: Make,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every text the notice label shows: the label holds the latest notice only, and on a
    # loaded box (CI) a poll of its current text once never saw this one within 10 s.
    shown: list[str] = []
    set_text = PlainLabel.setText

    def recording(label: PlainLabel, text: str) -> None:
        if label.objectName() == "notice":
            shown.append(text)
        set_text(label, text)

    monkeypatch.setattr(PlainLabel, "setText", recording)
    desk = speaking_desk(demo_server, factory=broken_factory)
    w = desk.window
    qtbot.waitUntil(lambda: any("could not start" in t for t in shown), timeout=10_000)
    assert any("libespeak-ng" in t for t in shown if "could not start" in t)
    said: list[str] = []
    w.announced.connect(said.append)
    _open_first(qtbot, desk)
    w.conversation.messages.setCurrentIndex(w.conversation.model.index(0))
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R, CTRL_SHIFT)
    assert any("could not start" in text for text in said)
    assert desk.queued == []


def test_real_engine_reads_the_selected_message(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    require(importlib.util.find_spec("pyttsx3") is not None, "pyttsx3 is not installed")
    require(ctypes.util.find_library("espeak-ng") is not None, "libespeak-ng is not installed")
    # A stand-in player: succeeds only for a real, non-empty WAV (no sound card needed).
    player = [
        sys.executable,
        "-c",
        "import sys, wave; sys.exit(0 if wave.open(sys.argv[1]).getnframes() > 0 else 1)",
    ]
    desk = speaking_desk(demo_server, factory=pyttsx3_factory(), player=player)
    finished: list[Finished] = []
    desk.speaker.bridge.finished.connect(finished.append)
    qtbot.waitUntil(lambda: desk.speaker.status.available, timeout=20_000)
    assert desk.speaker.voices()
    w = desk.window
    _open_first(qtbot, desk)
    w.conversation.messages.setCurrentIndex(w.conversation.model.index(0))
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R, CTRL_SHIFT)
    text = desk.queued[-1]
    qtbot.waitUntil(
        lambda: any(f.utterance.text == text and f.completed for f in finished), timeout=60_000
    )


def test_sla_warnings_are_spoken_once_per_stage(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    desk = speaking_desk(demo_server, speak_inbound="none")
    speech = desk.window.speech
    assert speech is not None
    at_risk = desk.ws.ordered_ids(View.SLA_AT_RISK, Sort.SLA_DUE)
    mine = desk.ws.assigned_to_me(at_risk)
    assert mine, "the demo store has no at-risk conversation assigned to the demo agent"

    def sla_lines() -> list[str]:
        return [t for t in desk.queued if t.startswith("SLA ")]

    speech.check_sla()
    qtbot.waitUntil(lambda: len(sla_lines()) > 0, timeout=10_000)
    first = sla_lines()
    assert len(first) <= 3  # a burst is capped, not read out in full
    speech.check_sla()  # the next clock tick: nothing new to say
    qtbot.wait(500)
    assert sla_lines() == first

    desk.settings.set_key("speak_sla_warnings", False)
    desk.speaker.apply(SpeechOptions.from_settings(desk.settings))
    speech._sla_stage.clear()
    speech.check_sla()
    qtbot.wait(500)
    assert sla_lines() == first


def test_pause_holds_speech_and_resume_carries_on(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    engines: list[FakeEngine] = []

    def factory() -> FakeEngine:
        engines.append(FakeEngine())
        return engines[-1]

    desk = speaking_desk(demo_server, factory=factory, speak_inbound="none")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    qtbot.waitUntil(lambda: bool(engines), timeout=10_000)

    qtbot.keyClick(w.inbox.list, Qt.Key.Key_Space, CTRL_SHIFT)
    assert desk.speaker.paused and said[-1] == "Speech paused."
    w.say("Reply sent to Ann Lee")  # speech would normally follow the announcement
    assert desk.queued[-1] == "Reply sent to Ann Lee"
    qtbot.wait(300)
    assert "Reply sent to Ann Lee" not in engines[0].spoken  # held while paused

    qtbot.keyClick(w.inbox.list, Qt.Key.Key_Space, CTRL_SHIFT)
    assert not desk.speaker.paused and said[-1] == "Speech resumed."
    qtbot.waitUntil(lambda: "Reply sent to Ann Lee" in engines[0].spoken, timeout=10_000)

    # Stop also ends a pause, so what the agent asks for next is heard.
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_Space, CTRL_SHIFT)
    assert desk.speaker.paused
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_S, CTRL_SHIFT)
    assert not desk.speaker.paused
    assert w.actions_["pause_speech"].shortcut().toString() == "Ctrl+Shift+Space"


def test_a_messages_language_picks_its_voice_or_tells_the_agent(
    qtbot: QtBot, demo_server: ServerProcess, speaking_desk: Make
) -> None:
    engines: list[FakeEngine] = []

    def factory() -> FakeEngine:
        engines.append(FakeEngine())
        return engines[-1]

    desk = speaking_desk(demo_server, factory=factory, speak_inbound="none")
    w = desk.window
    assert w.speech is not None
    speaker = w.speech.speaker
    qtbot.waitUntil(lambda: speaker.voices() != (), timeout=20_000)
    assert speaker.on_demand("Bonjour, mon colis n'est pas arrivé.", language="fr")
    french = ("Bonjour, mon colis n'est pas arrivé.", "fr")
    qtbot.waitUntil(lambda: bool(engines) and french in engines[0].said_with, timeout=20_000)
    assert "No voice" not in w.notice_label.text()
    # The fake engine has no German voice: read with the agent's voice, and said so.
    assert speaker.on_demand("Mein Paket ist nicht angekommen.", language="de")
    notice = "No voice for language de is installed; read with your voice."
    qtbot.waitUntil(lambda: w.notice_label.text() == notice, timeout=20_000)
    # Read with the agent's (the engine's own) voice; other news may be spoken after it.
    german = ("Mein Paket ist nicht angekommen.", "en")
    qtbot.waitUntil(lambda: german in engines[0].said_with, timeout=20_000)
