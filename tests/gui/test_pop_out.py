"""Pop a conversation out into its own window (docs/pop-out.md), by keyboard, against a real
demo server: two windows at once, a reply from one reaches the server, a customer's message
arrives live and is announced, Escape and Ctrl+W close a window with the focus back in the main
window and the draft kept; a conversation merged away by a teammate says so and stops sending;
sign-out closes them all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.app import conversation_merge as merging
from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.domain.bidi import FSI, PDI
from csdesk.protocol import MutationType
from csdesk.storage import models as m
from csdesk.ui.main_window import MainWindow
from csdesk.ui.models.thread_model import TEXTS_ROLE
from csdesk.ui.pop_out_window import PopOutWindow, title_text
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_conversation_merge import _seed, _state
from tests.gui.test_shortcut_clashes import clashes
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor

pytestmark = pytest.mark.timeout(240)
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_ALT_SHIFT = CTRL | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier


def _activate(qtbot: QtBot, window: QWidget) -> None:
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)


def _open(qtbot: QtBot, w: MainWindow, cid: str) -> None:
    """Open ``cid`` by choosing it in the list (All open), as the agent does."""
    if w.shown_view != View.ALL_OPEN:
        w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(
        lambda: w.shown_view == View.ALL_OPEN and w.model.row_of(cid) is not None,
        timeout=20_000,
    )
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == cid,
        timeout=20_000,
    )


def _pop_out(qtbot: QtBot, w: MainWindow, cid: str) -> PopOutWindow:
    """Ctrl+Alt+Shift+O in the inbox list: ``cid``'s window, loaded."""
    _open(qtbot, w, cid)
    w.inbox.list.setFocus()
    _activate(qtbot, w)
    with qtbot.waitSignal(w.pop_outs.opened, timeout=10_000) as opened:
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_O, CTRL_ALT_SHIFT)
    assert opened.args == [cid]
    pop = w.pop_outs.windows[cid]
    qtbot.waitUntil(lambda: pop.open_conv is not None, timeout=20_000)
    return pop


def _bodies(pop: PopOutWindow) -> list[str]:
    model = pop.conversation.model
    return [model.index(n, 0).data(TEXTS_ROLE).body for n in range(model.rowCount())]


def _server_messages(server: ServerProcess, cid: str) -> list[tuple[str, str]]:
    """(direction, text) of the conversation's messages on the server."""
    state = _state(server)
    try:
        with state.reads() as s:
            rows = s.query(m.Message).filter(m.Message.conversation_id == cid).all()
            return [(x.direction, x.body_text) for x in rows]
    finally:
        state.engine.dispose()


def test_two_pop_outs_reply_live_news_and_closing_by_keyboard(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    pia = Visitor.start(demo_server.url, name="Pia Popout")
    first = str(pia.say("Where is my parcel?")["conversation_id"])
    otto = Visitor.start(demo_server.url, name="Otto Popout")
    second = str(otto.say("I want to change my address")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    menu = Qt.ContextMenuPolicy.ActionsContextMenu  # the menu entries: list and thread
    for where in (w.inbox.list, w.conversation.messages):
        assert where.contextMenuPolicy() == menu and w.actions_["pop_out"] in where.actions()
    assert w.actions_["pop_out"].text() == "Pop out conversation"

    # A reply half-written in the main window goes with the conversation into its window.
    _open(qtbot, w, first)
    w.conversation.messages.setFocus()
    _activate(qtbot, w)
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R)
    assert w.conversation.composer.text.hasFocus()
    qtbot.keyClicks(w.conversation.composer.text, "Let me check")
    pop1 = _pop_out(qtbot, w, first)
    assert pop1.conversation.composer.text.toPlainText() == "Let me check"
    assert w.conversation.composer.text.toPlainText() == ""
    assert "Pia Popout" in pop1.windowTitle()
    assert pop1.accessibleName() == "Conversation with Pia Popout"
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pop1, timeout=5_000)
    assert pop1.conversation.messages.hasFocus()
    heard1: list[str] = []
    pop1.announced.connect(heard1.append)

    # A second window; asking for the first again brings it to the front, no third window.
    pop2 = _pop_out(qtbot, w, second)
    assert pop2 is not pop1 and set(w.pop_outs.windows) == {first, second}
    assert "Otto Popout" in pop2.windowTitle()
    assert _pop_out(qtbot, w, first) is pop1
    assert len(w.pop_outs.windows) == 2
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pop1, timeout=5_000)
    for pop in (pop1, pop2):
        assert audit(pop) == []
        assert clashes("pop-out", pop) == []

    # A reply from the second window, by keyboard: R, the text, Ctrl+Return; on the server.
    _activate(qtbot, pop2)
    pop2.conversation.messages.setFocus()
    qtbot.keyClick(pop2.conversation.messages, Qt.Key.Key_R)
    assert pop2.conversation.composer.text.hasFocus()
    qtbot.keyClicks(pop2.conversation.composer.text, "Your new address is saved")
    qtbot.keyClick(pop2.conversation.composer.text, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(
        lambda: ("out", "Your new address is saved") in _server_messages(demo_server, second),
        timeout=40_000,
    )
    qtbot.waitUntil(lambda: pop2.conversation.composer.text.toPlainText() == "", timeout=5_000)
    qtbot.waitUntil(lambda: "Your new address is saved" in _bodies(pop2), timeout=10_000)

    # The customer writes: the message appears live in the first window and is announced.
    pia.say("Hello? Anyone?")
    qtbot.waitUntil(lambda: "Hello? Anyone?" in _bodies(pop1), timeout=30_000)
    qtbot.waitUntil(
        lambda: any(t.startswith("New message from") and "Hello? Anyone?" in t for t in heard1),
        timeout=10_000,
    )

    # Escape closes the first window; the focus is back in the main window where it was, and
    # the draft is in the main window's composer (it shows that conversation, empty).
    _activate(qtbot, pop1)
    pop1.conversation.messages.setFocus()
    qtbot.keyClick(pop1.conversation.messages, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: first not in w.pop_outs.windows, timeout=5_000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5_000)
    assert w.inbox.list.hasFocus()
    assert w.conversation.current is not None and w.conversation.current.id == first
    assert w.conversation.composer.text.toPlainText() == "Let me check"

    # Ctrl+W closes the second with a draft; the main window shows another conversation, so
    # the draft is kept and comes back when the conversation is popped out again.
    _activate(qtbot, pop2)
    qtbot.keyClicks(pop2.conversation.composer.text, "One more thing")
    qtbot.keyClick(pop2.conversation.composer.text, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)
    assert second in w.pop_outs.drafts
    again = _pop_out(qtbot, w, second)
    qtbot.waitUntil(
        lambda: again.conversation.composer.text.toPlainText() == "One more thing", timeout=5_000
    )

    # Signing out closes every pop-out.
    w.sign_out_requested.emit()
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)


def test_a_conversation_merged_away_says_so_and_stops_sending(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    mateo = desk_factory(demo_server, "mateo", show=False)
    w = desk.window
    pop = _pop_out(qtbot, w, chat)
    heard: list[str] = []
    pop.announced.connect(heard.append)
    assert pop.stopped is None and pop.conversation.composer.send.isEnabled()

    # A teammate merges it into the customer's other conversation.
    merging.merge(mateo.ws, chat, email)
    qtbot.waitUntil(lambda: pop.stopped is not None, timeout=40_000)
    assert "merged into another conversation" in pop.stopped
    assert pop.gone.isVisibleTo(pop) and pop.gone.text() == pop.stopped
    assert any("merged into another conversation" in t for t in heard)
    composer = pop.conversation.composer
    assert not composer.send.isEnabled() and composer.text.isReadOnly()
    assert not composer.canned.isEnabled() and not composer.attach.isEnabled()
    assert not pop.actions_["send"].isEnabled() and not pop.actions_["resolve"].isEnabled()
    assert all(not b.isEnabled() for b in pop.conversation.buttons)
    for action in ("macro_apply", "send_later", "template", "conversation_merge"):
        assert not pop.actions_[action].isEnabled(), action  # the desks send nothing either
    assert pop.actions_["read_aloud"].isEnabled() and pop.actions_["focus_customer"].isEnabled()
    assert audit(pop) == []

    # Nothing is sent from it, even if asked directly.
    before = _server_messages(demo_server, email)
    pop.send("Should not go", False, "")
    assert heard.count(pop.stopped) >= 2
    qtbot.waitUntil(desk.synced, timeout=20_000)
    assert _server_messages(demo_server, email) == before

    # "Open it in the main window": the conversation it went into opens there.
    pop.follow.click()
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=20_000)
    pop.close()
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)


def test_a_conversation_deleted_meanwhile_is_refused_and_stops_the_window(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    _email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    admin = desk_factory(demo_server, "admin", show=False)
    w = desk.window
    pop = _pop_out(qtbot, w, chat)
    heard: list[str] = []
    pop.announced.connect(heard.append)

    # An administrator deletes it while this desk is offline; a reply is written meanwhile.
    assert desk.engine.stop(10)
    admin.ws.engine.enqueue(MutationType.CONVERSATION_DELETE, {"conversation_id": chat})
    qtbot.waitUntil(admin.synced, timeout=30_000)
    composer = pop.conversation.composer
    composer.text.setPlainText("Are you still there?")
    _activate(qtbot, pop)
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: composer.text.toPlainText() == "", timeout=10_000)  # queued

    # Back online: the server refuses the reply; the window shows why and stops sending.
    desk.engine.start()
    qtbot.waitUntil(
        lambda: "deleted by an administrator" in pop.conversation.rejection.text(), timeout=40_000
    )
    qtbot.waitUntil(lambda: pop.stopped is not None, timeout=20_000)
    assert pop.gone.isVisibleTo(pop) and "Nothing can be sent from this window" in pop.stopped
    assert any("Nothing can be sent from this window" in t for t in heard)
    assert not composer.send.isEnabled() and composer.text.isReadOnly()
    assert ("out", "Are you still there?") not in _server_messages(demo_server, chat)


def test_a_note_in_a_pop_out_mentions_a_teammate_chosen_by_keyboard(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    uma = Visitor.start(demo_server.url, name="Uma Mention")
    cid = str(uma.say("My refund is missing")["conversation_id"])
    alex = desk_factory(demo_server, "alex", show=False)
    desk = desk_factory(demo_server, "demo")
    pop = _pop_out(qtbot, desk.window, cid)
    heard: list[str] = []
    pop.announced.connect(heard.append)
    completer = pop.mention_desk.completer
    qtbot.waitUntil(lambda: bool(completer._teammates), timeout=20_000)
    _activate(qtbot, pop)
    pop.conversation.messages.setFocus()
    qtbot.keyClick(pop.conversation.messages, Qt.Key.Key_N)  # an internal note
    text = pop.conversation.composer.text
    assert pop.conversation.composer.note.isChecked() and text.hasFocus()
    qtbot.keyClicks(text, "Refund twice? @al")
    assert completer.list.isVisible()
    qtbot.keyClick(text, Qt.Key.Key_Return)  # chooses Alex Morgan
    assert text.toPlainText() == "Refund twice? @Alex Morgan "
    qtbot.keyClick(text, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: "1 teammate will be notified" in heard, timeout=10_000)
    state = _state(demo_server)
    try:

        def mentioned() -> list[str]:
            with state.reads() as s:
                return [r.user_id for r in s.query(m.Mention).join(
                    m.Message, m.Message.id == m.Mention.message_id
                ).filter(m.Message.conversation_id == cid).all()]  # fmt: skip

        qtbot.waitUntil(lambda: mentioned() == [alex.ws.me.id], timeout=40_000)
    finally:
        state.engine.dispose()


def test_a_window_rebuilt_in_another_language_pops_them_out_again(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    rhea = Visitor.start(demo_server.url, name="Rhea Rebuild")
    cid = str(rhea.say("Is my order on its way?")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    old = desk.window
    pop = _pop_out(qtbot, old, cid)
    pop.conversation.composer.text.setPlainText("Kept across the rebuild")

    new = MainWindow(desk.ws, old.bridge, old.theme)  # as Controller.rebuild_window does
    qtbot.addWidget(new)
    new.take_over(old)
    assert not old.pop_outs.windows
    again = new.pop_outs.windows[cid]
    assert again is not pop and again.parent() is new
    qtbot.waitUntil(lambda: again.open_conv is not None, timeout=20_000)
    qtbot.waitUntil(
        lambda: again.conversation.composer.text.toPlainText() == "Kept across the rebuild",
        timeout=5_000,
    )
    new.close()  # closing the main window closes its pop-outs
    assert not new.pop_outs.windows


def test_the_title_is_one_plain_isolated_line() -> None:
    title = title_text("\u202eAna\nEvil [*]", "Refund\r\nnow")
    assert "\n" not in title and "\r" not in title
    assert title.startswith(FSI) and PDI in title
    assert "[*][*]" in title  # shown as typed, not Qt's "modified" placeholder
    assert title_text("", "") == "Unknown customer — csdesk"
    assert title_text("Ana", "x" * 200).count("x") < 100
