"""Translation on the desk against a real server whose translation provider is the
LibreTranslate fake of the server tests (issue 13): Ctrl+Alt+J translates a German message
into the agent's language, shows it labelled under the original and keeps the agent's place;
a second desk gets it through the sync and shows it without asking again; Ctrl+Alt+Shift+J
translates the reply draft into the customer's language, side by side, the (edited)
translation replaces the draft and Ctrl+Z brings the draft back; "Keep original" changes
nothing; no provider, the provider's 429 and 500 and an unreachable server are said in plain
words and change nothing; the translation is read with the agent's language's voice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import Sort, View
from csdesk.app.present import MessageTexts
from csdesk.app.thread import MessageView
from csdesk.app.translation import last_inbound
from csdesk.i18n import set_language
from csdesk.server.channels.egress import ENV_TRUSTED
from csdesk.server.channels.vault import ENV_KEY
from csdesk.server.cli import main
from csdesk.ui.main_window import MainWindow
from csdesk.ui.models.thread_model import TEXTS_ROLE
from csdesk.ui.panels.translate_dialog import TranslateReplyDialog
from tests.a11y.conftest import FakeEngine, SpeakingDesk, speaking_desk  # noqa: F401
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.fakes.translation import FakeLibreTranslate, rendered
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
LT_KEY = "lt-desk-key-77"
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
CTRL_ALT_SHIFT = CTRL_ALT | Qt.KeyboardModifier.ShiftModifier


@dataclass
class Shop:
    server: ServerProcess
    db_url: str
    lt: FakeLibreTranslate

    def provider(self, on: bool) -> None:
        """Configure the LibreTranslate fake as the server's provider, or remove it."""
        if on:
            args = ["add", "libretranslate", "--url", self.lt.url, "--api-key", LT_KEY]
        else:
            args = ["remove", "libretranslate"]
        assert main(["translation", *args, "--db", self.db_url]) == 0


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("xlate")
    url = seed_demo_db(d / "demo.db", customers=20)
    lt = FakeLibreTranslate(LT_KEY).start()
    with pytest.MonkeyPatch.context() as env:
        # The server's vault key (the provider's API key is stored encrypted with it) and its
        # outbound rules, which exempt exactly the fake's loopback origin.
        env.setenv(ENV_KEY, Fernet.generate_key().decode())
        env.setenv(ENV_TRUSTED, lt.url)
        env.setenv("CSDESK_TRANSLATION_TIMEOUT", "5")
        server = ServerProcess(url, log_path=d / "server.log").start()
        found = Shop(server, url, lt)
        found.provider(True)
        try:
            yield found
        finally:
            server.stop()
            lt.stop()


@pytest.fixture
def lt(shop: Shop) -> Iterator[FakeLibreTranslate]:
    shop.lt.clear()
    yield shop.lt
    shop.lt.clear()


def _german(ws_desk: Desk | SpeakingDesk, skip: set[str] | None = None) -> tuple[str, MessageView]:
    """A conversation whose customer's last message is German, and that message."""
    for cid in ws_desk.ws.ordered_ids(View.EVERYWHERE, Sort.NEWEST):
        if skip and cid in skip:
            continue
        conv = ws_desk.ws.conversation(cid)
        assert conv is not None
        msg = last_inbound(conv)
        if msg is not None and msg.language == "de" and not msg.translations:
            return cid, msg
    raise AssertionError("the demo store has no German message left")


def _open(qtbot: QtBot, w: MainWindow, cid: str) -> None:
    w.open_conversation(cid)
    qtbot.waitUntil(
        lambda: (
            w.open_conv is not None
            and w.open_conv.id == cid
            and w.conversation.model.rowCount() == len(w.open_conv.messages)
        ),
        timeout=20_000,
    )


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.window().activateWindow()
    widget.setFocus()  # no window manager offscreen: a window is not activated by itself
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def _row(w: MainWindow, mid: str) -> int:
    model = w.conversation.model
    return next(r for r in range(model.rowCount()) if model.message(r).id == mid)  # type: ignore[union-attr]


def _texts(w: MainWindow, mid: str) -> MessageTexts:
    texts = w.conversation.model.index(_row(w, mid)).data(TEXTS_ROLE)
    assert isinstance(texts, MessageTexts)
    return texts


def test_a_message_is_translated_shown_and_synced_to_a_second_desk(
    qtbot: QtBot,
    shop: Shop,
    lt: FakeLibreTranslate,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    ann = desk_factory(shop.server, "demo")
    bob = desk_factory(shop.server, "mateo")
    cid, msg = _german(ann)
    w, other = ann.window, bob.window
    _open(qtbot, w, cid)
    _open(qtbot, other, cid)  # open on the second desk before: it must update by itself
    assert _texts(other, msg.id).translation == ""

    # On the message in the thread (not the last row: the agent's place must be kept).
    view = w.conversation.messages
    _focus(qtbot, view)
    row = _row(w, msg.id)
    view.setCurrentIndex(w.conversation.model.index(row))
    ui = w.translate_desk
    with qtbot.waitSignal(ui.translated, timeout=30_000) as got:
        qtbot.keyClick(view, Qt.Key.Key_J, CTRL_ALT)
    expected = f"Translated from German by LibreTranslate: {rendered(msg.body_text, 'en')}"
    assert got.args == [msg.id, expected.strip()]
    (sent,) = lt.requests
    assert sent.json() == {
        "q": msg.body_text,
        "source": "de",
        "target": "en",
        "format": "text",
        "api_key": LT_KEY,
    }
    assert lt.violations == []
    qtbot.waitUntil(lambda: _texts(w, msg.id).translation == expected.strip(), timeout=20_000)
    texts = _texts(w, msg.id)
    assert texts.body == msg.body_text  # the original is kept, above the translation
    index = w.conversation.model.index(row)
    assert expected.strip() in index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert view.currentIndex().row() == row  # the agent's place is kept
    assert "Message translated" in w.notice_label.text()

    # The second desk: through the sync, under the original, without a request of its own.
    qtbot.waitUntil(lambda: _texts(other, msg.id).translation == expected.strip(), timeout=30_000)
    # Outside the thread (the views): the customer's last message. Not the inbox list: the
    # conversation was opened directly, so the list has nothing current, and Qt makes a list's
    # first row current when it gets the focus, which opened that conversation (a CI run).
    _focus(qtbot, other.views)
    assert other.open_id == cid
    with qtbot.waitSignal(other.translate_desk.translated, timeout=10_000) as again:
        qtbot.keyClick(other.views, Qt.Key.Key_J, CTRL_ALT)
    assert again.args == [msg.id, expected.strip()]
    assert len(lt.requests) == 1


def test_the_reply_draft_is_translated_compared_and_used(
    qtbot: QtBot,
    shop: Shop,
    lt: FakeLibreTranslate,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    ann = desk_factory(shop.server, "demo")
    cid, _msg = _german(ann)
    w = ann.window
    _open(qtbot, w, cid)
    composer = w.conversation.composer
    composer.start(note=False)
    _focus(qtbot, composer.text)
    draft = "Your parcel <b>left</b> our warehouse this morning."
    qtbot.keyClicks(composer.text, draft)
    ui = w.translate_desk
    with qtbot.waitSignal(ui.draft_shown, timeout=30_000):
        qtbot.keyClick(composer.text, Qt.Key.Key_J, CTRL_ALT_SHIFT)
    (sent,) = lt.requests
    assert sent.json() == {
        "q": draft,
        "source": "auto",
        "target": "de",  # the customer's language, as the server detected it
        "format": "text",
        "api_key": LT_KEY,
    }
    dialog = ui.dialog
    assert isinstance(dialog, TranslateReplyDialog) and dialog.isVisible()
    assert dialog.original.toPlainText() == draft and dialog.original.isReadOnly()
    assert dialog.translation.toPlainText() == rendered(draft, "de")
    assert dialog.width() <= 1366 and dialog.height() <= 768
    assert audit(dialog) == []
    assert composer.text.toPlainText() == draft  # nothing changes before the agent chooses
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.translation, timeout=5_000)
    qtbot.keyClick(dialog.translation, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.translation, " Gruss")
    with qtbot.waitSignal(ui.draft_used, timeout=10_000) as used:
        qtbot.keyClick(dialog.translation, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    chosen = rendered(draft, "de") + " Gruss"
    assert used.args == [chosen]
    assert composer.text.toPlainText() == chosen
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
    _focus(qtbot, composer.text)
    qtbot.keyClick(composer.text, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert composer.text.toPlainText() == draft  # one Ctrl+Z: the agent's own words again

    # "Keep original" (Escape) leaves the draft as it is.
    with qtbot.waitSignal(ui.draft_shown, timeout=30_000):
        qtbot.keyClick(composer.text, Qt.Key.Key_J, CTRL_ALT_SHIFT)
    dialog = ui.dialog
    assert dialog is not None
    dialog.keep.click()
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
    assert composer.text.toPlainText() == draft
    assert "kept as you wrote it" in w.notice_label.text()
    assert len(lt.requests) == 2 and lt.violations == []


def test_failures_are_said_plainly_and_change_nothing(
    qtbot: QtBot,
    shop: Shop,
    lt: FakeLibreTranslate,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    ann = desk_factory(shop.server, "demo")
    cid, msg = _german(ann)
    w = ann.window
    ui = w.translate_desk
    _open(qtbot, w, cid)
    said: list[str] = []
    w.announced.connect(said.append)
    composer = w.conversation.composer
    composer.start(note=False)
    _focus(qtbot, composer.text)
    draft = "We are sorry for the delay."
    qtbot.keyClicks(composer.text, draft)

    def fails(key_mods: Qt.KeyboardModifier) -> str:
        with qtbot.waitSignal(ui.failed, timeout=30_000) as failed:
            qtbot.keyClick(composer.text, Qt.Key.Key_J, key_mods)
        text = str(failed.args[0])
        assert w.notice_label.text() == text and text in said  # shown and announced
        assert ui.dialog is None and composer.text.toPlainText() == draft
        return text

    # The provider answers 429 (its rate limit), then 500 (down).
    lt.fail(429)
    assert "Too many translations just now" in fails(CTRL_ALT_SHIFT)
    lt.fail(500)
    assert fails(CTRL_ALT) == "The translation service is not working right now. Try again later."
    assert lt.arrived == 2  # both reached it and were refused
    conv = ann.ws.conversation(cid)
    assert conv is not None and all(not m.translations for m in conv.messages if m.id == msg.id)

    # No provider configured on the server.
    shop.provider(False)
    try:
        assert "No translation service is set up on the server" in fails(CTRL_ALT_SHIFT)
        assert "No translation service is set up on the server" in fails(CTRL_ALT)
    finally:
        shop.provider(True)
    assert lt.arrived == 2

    # The server cannot be reached: "needs the server", nothing queued, nothing sent later.
    ann.engine.api.base_url = "http://127.0.0.1:9"
    text = fails(CTRL_ALT_SHIFT)
    assert text.startswith("Translation needs the server")
    assert fails(CTRL_ALT).startswith("Translation needs the server")
    assert ann.engine.status.pending == 0 and lt.arrived == 2


def test_the_translation_is_read_with_the_agents_voice(
    qtbot: QtBot,
    shop: Shop,
    lt: FakeLibreTranslate,
    speaking_desk: Callable[..., SpeakingDesk],  # noqa: F811
) -> None:
    engines: list[FakeEngine] = []

    def factory() -> FakeEngine:
        engines.append(FakeEngine())  # voices: English and French
        return engines[-1]

    desk = speaking_desk(shop.server, "priya", factory=factory, speak_inbound="none")
    w = desk.window
    cid, msg = _german(desk)
    _open(qtbot, w, cid)
    set_language("fr")  # the agent reads French
    try:
        _focus(qtbot, w.inbox.list)
        with qtbot.waitSignal(w.translate_desk.translated, timeout=30_000) as got:
            qtbot.keyClick(w.inbox.list, Qt.Key.Key_J, CTRL_ALT)
        text = str(got.args[1])
        assert rendered(msg.body_text, "fr") in text
        assert lt.requests[-1].json()["target"] == "fr"
        spoken = " ".join(text.split())
        qtbot.waitUntil(lambda: (spoken, "fr") in engines[0].said_with, timeout=10_000)

        # Read aloud on the message: the German original in its voice, then the translation
        # in the agent's (the fake has no German voice: the agent's voice, with a notice).
        qtbot.waitUntil(lambda: _texts(w, msg.id).translation != "", timeout=20_000)
        view = w.conversation.messages
        _focus(qtbot, view)
        view.setCurrentIndex(w.conversation.model.index(_row(w, msg.id)))
        w.actions_["read_aloud"].trigger()
        qtbot.waitUntil(lambda: engines[0].said_with[-1] == (spoken, "fr"), timeout=10_000)
    finally:
        set_language("en")
