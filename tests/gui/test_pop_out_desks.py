"""The main window's conversation desks in a pop-out (docs/pop-out.md), against real servers:
macros (Ctrl+Alt+A with its preview, a favourite key, Ctrl+Alt+Z), send later and a reminder
(Ctrl+Shift+Return, Ctrl+Alt+Shift+R), WhatsApp templates (Ctrl+Shift+M), translation of a
message and of the reply (Ctrl+Alt+J, Ctrl+Alt+Shift+J) and read aloud (Ctrl+Shift+R), each
acting on the pop-out's conversation (not the main window's), said in the pop-out, with the
focus back in the pop-out after each dialog."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.storage import models as m
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.macro_dialog import MacroDialog
from csdesk.ui.panels.time_choice import TimeChoiceDialog
from csdesk.ui.panels.translate_dialog import TranslateReplyDialog
from csdesk.ui.pop_out_window import PopOutWindow
from tests.a11y.conftest import FakeEngine, speaking_desk  # noqa: F401
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_pop_out import _activate, _pop_out
from tests.gui.test_scheduled_send import _status
from tests.gui.test_shortcut_clashes import clashes
from tests.gui.test_supervisor_windows_audit import audit
from tests.gui.test_translate_desk import (  # noqa: F401
    LT_KEY,
    Shop,
    _german,
    lt,
    shop,
)
from tests.helpers.fakes.translation import FakeLibreTranslate, rendered
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor

pytestmark = pytest.mark.timeout(240)
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL_ALT = CTRL | Qt.KeyboardModifier.AltModifier
CTRL_ALT_SHIFT = CTRL_ALT | SHIFT

#: The desks' keys a pop-out answers to, as the main window does.
DESK_KEYS = (
    "macro_apply", "macro_undo", "macro_favourite_1", "macro_favourite_9", "canned_manage",
    "macro_manage", "send_later", "scheduled_list", "remind_me", "reminders", "template",
    "translate_message", "translate_reply", "read_aloud", "stop_speech", "pause_speech",
)  # fmt: skip


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    _activate(qtbot, widget.window())
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def _back_in(qtbot: QtBot, pop: PopOutWindow, widget: QWidget) -> None:
    """The dialog closed: the pop-out is the active window again, ``widget`` has the focus."""
    qtbot.waitUntil(
        lambda: QApplication.activeWindow() is pop and QApplication.focusWidget() is widget,
        timeout=5_000,
    )


def _open_elsewhere(qtbot: QtBot, w: MainWindow, cid: str) -> None:
    """The main window moves on to another conversation: the pop-out's desks must not care."""
    w.open_conversation(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=20_000)


def test_macros_send_later_reminders_and_templates_act_on_the_pop_outs_conversation(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    lena = Visitor.start(demo_server.url, name="Lena Desks")
    cid = str(lena.say("My order arrived broken")["conversation_id"])
    other = str(Visitor.start(demo_server.url, name="Olaf Other").say("Hi")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    pop = _pop_out(qtbot, w, cid)
    heard: list[str] = []
    pop.announced.connect(heard.append)
    main_heard: list[str] = []
    w.announced.connect(main_heard.append)
    for action in DESK_KEYS:  # the same keys as the main window, and no clash in the window
        assert pop.actions_[action].shortcuts() == w.actions_[action].shortcuts(), action
    assert clashes("pop-out", pop) == [] and audit(pop) == []
    _open_elsewhere(qtbot, w, other)

    # Ctrl+Alt+A from the thread: the macro dialog over the pop-out, previewing its
    # conversation; "Close as spam" applied by Enter, offline so that Ctrl+Alt+Z takes it back.
    assert desk.engine.stop()
    ui = pop.macro_desk
    assert ui is not w.macro_desk
    thread = pop.conversation.messages
    _focus(qtbot, thread)
    with qtbot.waitSignal(ui.previewed, timeout=20_000):
        qtbot.keyClick(thread, Qt.Key.Key_A, CTRL_ALT)
    dialog = ui.dialog
    assert isinstance(dialog, MacroDialog) and dialog.parent() is pop and audit(dialog) == []
    assert w.macro_desk.dialog is None
    spam = next(
        n for n in range(dialog.list.count()) if dialog.list.item(n).text().startswith("Close as")
    )
    dialog.list.setCurrentRow(spam)
    assert "• Resolve the conversation" in dialog.preview.toPlainText().splitlines()
    with qtbot.waitSignal(ui.applied, timeout=20_000):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    _back_in(qtbot, pop, thread)
    local = desk.ws.conversation(cid)
    assert local is not None and local.status == "resolved" and "spam" in local.tags
    still = desk.ws.conversation(other)
    assert still is not None and still.status != "resolved"  # the main window's: untouched
    assert any(t.startswith("Macro Close as spam applied") for t in heard)
    assert not any(t.startswith("Macro Close as spam applied") for t in main_heard)
    with qtbot.waitSignal(ui.undone, timeout=20_000) as undone:
        qtbot.keyClick(thread, Qt.Key.Key_Z, CTRL_ALT)
    assert undone.args == [True]
    back = desk.ws.conversation(cid)
    assert back is not None and back.status != "resolved" and "spam" not in back.tags
    assert "Macro Close as spam taken back." in heard
    desk.engine.start()

    # A favourite key opens the same preview on that macro (or says none is on it); Escape
    # closes it and the focus is back in the thread.
    said = len(heard)
    qtbot.keyClick(thread, Qt.Key.Key_1, CTRL_ALT)
    qtbot.waitUntil(
        lambda: ui.dialog is not None or "No macro is on that key yet." in heard[said:],
        timeout=20_000,
    )
    if ui.dialog is not None:
        favourite = ui.dialog
        assert favourite.list.currentItem() is not None
        assert "Ctrl+Alt+1" in favourite.list.currentItem().text()
        qtbot.keyClick(favourite.list, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
        _back_in(qtbot, pop, thread)
    assert not pop.isHidden()  # the dialog's Escape did not close the window

    # Send later from the pop-out's composer: scheduled for its conversation, shown above its
    # composer; the reply has left the composer and the focus is back in it.
    sched = pop.scheduled_desk
    assert sched is not w.scheduled_desk
    composer = pop.conversation.composer
    composer.start(note=False)
    _focus(qtbot, composer.text)
    qtbot.keyClicks(composer.text, "We send a new one on Monday.")
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, CTRL | SHIFT)
    qtbot.waitUntil(lambda: isinstance(sched.dialog, TimeChoiceDialog), timeout=5_000)
    when = sched.dialog
    assert isinstance(when, TimeChoiceDialog) and when.parent() is pop and audit(when) == []
    with qtbot.waitSignal(sched.scheduled, timeout=20_000) as scheduled:
        qtbot.keyClick(when.choices, Qt.Key.Key_Return)  # the first quick choice
    sid = scheduled.args[0]
    assert composer.text.toPlainText() == ""
    _back_in(qtbot, pop, composer.text)
    qtbot.waitUntil(lambda: sched.strip.isVisibleTo(pop), timeout=10_000)
    assert "We send a new one on Monday." in sched.strip.text()
    assert any(t.startswith("Reply scheduled for") for t in heard)
    qtbot.waitUntil(
        lambda: _status(demo_server, m.ScheduledMessage, sid) == "scheduled", timeout=40_000
    )
    with desk.ws.cache.session() as s:
        row = s.get(m.ScheduledMessage, sid)
        assert row is not None and row.conversation_id == cid

    # A reminder on the pop-out's conversation (Ctrl+Alt+Shift+R).
    _focus(qtbot, thread)
    qtbot.keyClick(thread, Qt.Key.Key_R, CTRL_ALT_SHIFT)
    qtbot.waitUntil(lambda: isinstance(sched.dialog, TimeChoiceDialog), timeout=5_000)
    remind = sched.dialog
    assert isinstance(remind, TimeChoiceDialog) and remind.parent() is pop
    with qtbot.waitSignal(sched.reminded, timeout=20_000) as reminded:
        qtbot.keyClick(remind.choices, Qt.Key.Key_Return)
    _back_in(qtbot, pop, thread)
    assert any(t.startswith("You will be reminded at") for t in heard)
    with desk.ws.cache.session() as s:
        reminder = s.get(m.Reminder, reminded.args[0])
        assert reminder is not None and reminder.conversation_id == cid

    # Ctrl+Shift+M: templates are for this conversation; it is a chat, so the pop-out says so.
    said = len(heard)
    qtbot.keyClick(thread, Qt.Key.Key_M, CTRL | SHIFT)
    assert "Templates are only for WhatsApp conversations." in heard[said:]
    pop.close()
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)


def test_a_whatsapp_pop_out_opens_the_template_dialog_over_itself(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.template_dialog import TemplateDialog

    desk = desk_factory(demo_server, "demo")
    w = desk.window
    with desk.ws.cache.session() as s:
        cid = s.query(m.Conversation.id).filter(m.Conversation.channel == "whatsapp").first()
    assert cid is not None
    pop = w.pop_outs.pop_out(cid[0])
    qtbot.waitUntil(lambda: pop.open_conv is not None, timeout=20_000)
    thread = pop.conversation.messages
    _focus(qtbot, thread)
    qtbot.keyClick(thread, Qt.Key.Key_M, CTRL | SHIFT)
    qtbot.waitUntil(lambda: pop.findChild(TemplateDialog) is not None, timeout=5_000)
    dialog = pop.findChild(TemplateDialog)
    assert dialog is not None and dialog.isVisible() and audit(dialog) == []
    assert w.findChild(TemplateDialog) is None or not any(
        d.isVisible() and d.parent() is w for d in w.findChildren(TemplateDialog)
    )
    dialog.reject()
    _back_in(qtbot, pop, thread)
    pop.close()


def test_translation_in_a_pop_out(
    qtbot: QtBot,
    shop: Shop,  # noqa: F811
    lt: FakeLibreTranslate,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    ann = desk_factory(shop.server, "demo")
    cid, msg = _german(ann)
    w = ann.window
    pop = w.pop_outs.pop_out(cid)
    qtbot.waitUntil(
        lambda: (
            pop.open_conv is not None
            and pop.conversation.model.rowCount() == len(pop.open_conv.messages)
        ),
        timeout=20_000,
    )
    assert pop.translate_desk is not w.translate_desk
    heard: list[str] = []
    pop.announced.connect(heard.append)

    # Ctrl+Alt+J outside the thread: the customer's last message, German, into English; the
    # translation comes back through the sync into the pop-out's thread.
    composer = pop.conversation.composer
    _focus(qtbot, composer.text)
    with qtbot.waitSignal(pop.translate_desk.translated, timeout=30_000) as got:
        qtbot.keyClick(composer.text, Qt.Key.Key_J, CTRL_ALT)
    expected = f"Translated from German by LibreTranslate: {rendered(msg.body_text, 'en')}"
    assert got.args == [msg.id, expected.strip()]
    assert expected.strip() in heard
    assert pop.notice_label.text() == "Message translated."

    def shown() -> str:
        model = pop.conversation.model
        row = next(r for r in range(model.rowCount()) if model.message(r).id == msg.id)  # type: ignore[union-attr]
        return str(model.index(row).data(Qt.ItemDataRole.AccessibleTextRole))

    qtbot.waitUntil(lambda: expected.strip() in shown(), timeout=30_000)

    # Ctrl+Alt+Shift+J: the reply into the customer's language, compared over the pop-out;
    # Alt+U uses it and the focus is back in the pop-out.
    draft = "Your parcel left our warehouse this morning."
    composer.start(note=False)
    _focus(qtbot, composer.text)
    qtbot.keyClicks(composer.text, draft)
    with qtbot.waitSignal(pop.translate_desk.draft_shown, timeout=30_000):
        qtbot.keyClick(composer.text, Qt.Key.Key_J, CTRL_ALT_SHIFT)
    dialog = pop.translate_desk.dialog
    assert isinstance(dialog, TranslateReplyDialog) and dialog.parent() is pop
    assert dialog.translation.toPlainText() == rendered(draft, "de")
    assert audit(dialog) == []
    with qtbot.waitSignal(pop.translate_desk.draft_used, timeout=10_000):
        qtbot.keyClick(dialog.translation, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    assert composer.text.toPlainText() == rendered(draft, "de")
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pop, timeout=5_000)
    assert w.conversation.composer.text.toPlainText() == ""  # the main window's: untouched
    assert [r.json()["target"] for r in lt.requests] == ["en", "de"]
    assert LT_KEY and lt.violations == []
    pop.close()


def test_read_aloud_in_a_pop_out_reads_its_own_thread(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    speaking_desk: Callable[..., object],  # noqa: F811
) -> None:
    engines: list[FakeEngine] = []

    def factory() -> FakeEngine:
        engines.append(FakeEngine())
        return engines[-1]

    made = speaking_desk(demo_server, factory=factory, speak_inbound="none")
    w: MainWindow = made.window  # type: ignore[attr-defined]
    queued: list[str] = made.queued  # type: ignore[attr-defined]
    ida = Visitor.start(demo_server.url, name="Ida Aloud")
    cid = str(ida.say("Please read me out")["conversation_id"])
    other = str(Visitor.start(demo_server.url, name="Uwe Quiet").say("Hush")["conversation_id"])
    pop = _pop_out(qtbot, w, cid)
    _open_elsewhere(qtbot, w, other)
    thread = pop.conversation.messages
    _focus(qtbot, thread)
    thread.setCurrentIndex(pop.conversation.model.index(0))
    sentence = pop.conversation.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "Please read me out" in sentence
    qtbot.keyClick(thread, Qt.Key.Key_R, CTRL | SHIFT)
    assert queued[-1] == " ".join(sentence.split())
    qtbot.waitUntil(lambda: bool(engines) and queued[-1] in engines[0].spoken, timeout=10_000)

    # Nothing selected in the pop-out's thread: said there, not read from the main window's.
    thread.setCurrentIndex(pop.conversation.model.index(-1))
    heard: list[str] = []
    pop.announced.connect(heard.append)
    qtbot.keyClick(thread, Qt.Key.Key_R, CTRL | SHIFT)
    assert "No message is selected." in heard
    pop.close()


def test_merge_and_split_from_a_pop_out_and_its_customer_pane(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.merge_dialog import MergeDialog, SplitDialog
    from tests.gui.test_conversation_merge import _seed, _server_conv

    email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    pop = w.pop_outs.pop_out(chat)
    qtbot.waitUntil(lambda: pop.open_conv is not None, timeout=20_000)
    heard: list[str] = []
    pop.announced.connect(heard.append)
    ui = pop.conversation_merge
    assert ui is not w.conversation_merge
    for action in ("conversation_merge", "conversation_unmerge", "conversation_split",
                   "focus_customer"):  # fmt: skip
        assert pop.actions_[action].shortcuts() == w.actions_[action].shortcuts(), action

    # Ctrl+3: the customer beside the conversation, the focus there; Ctrl+3 again hides it.
    thread = pop.conversation.messages
    _focus(qtbot, thread)
    assert not pop.customer.isVisible()
    qtbot.keyClick(thread, Qt.Key.Key_3, CTRL)
    assert pop.customer.isVisible() and pop.customer.hasFocus()
    assert pop.customer.accessibleName() == "Customer"
    shown = pop.customer.toPlainText()
    assert "Conversations" in shown and "Parcel late" in shown  # the customer's other one
    assert clashes("pop-out customer", pop) == [] and audit(pop) == []
    # A conversation link in the pane opens in the main window (the pop-out stays on its own).
    # (The main window's first list, arriving meanwhile, may open its own first row: after
    # it is in, ask again until the main window shows this one.)
    qtbot.waitUntil(lambda: w.shown_view is not None, timeout=20_000)

    def in_main() -> bool:
        if w.open_conv is not None and w.open_conv.id == email:
            return True
        if w.open_id != email:
            pop.customer.anchorClicked.emit(QUrl(f"csdesk://conversation/{email}"))
        return False

    qtbot.waitUntil(in_main, timeout=30_000)
    assert pop.cid == chat
    _focus(qtbot, pop.customer)
    qtbot.keyClick(pop.customer, Qt.Key.Key_3, CTRL)
    assert not pop.customer.isVisible() and thread.hasFocus()

    # Ctrl+Alt+Shift+E: merged into the email conversation from the pop-out; the window goes
    # on with that one (filed under it, sending), the focus back in its thread.
    _focus(qtbot, thread)
    with qtbot.waitSignal(ui.listed, timeout=20_000) as listed:
        qtbot.keyClick(thread, Qt.Key.Key_E, CTRL_ALT_SHIFT)
    assert listed.args == [1]
    dialog = ui.dialog
    assert isinstance(dialog, MergeDialog) and dialog.parent() is pop and audit(dialog) == []
    with qtbot.waitSignal(ui.merged, timeout=20_000) as merged:
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert merged.args == [email]
    _back_in(qtbot, pop, thread)
    qtbot.waitUntil(lambda: pop.open_id == email and pop.cid == email, timeout=20_000)
    assert set(w.pop_outs.windows) == {email} and w.pop_outs.windows[email] is pop
    assert any(t.startswith('Merged into the Email conversation "Parcel late"') for t in heard)
    qtbot.waitUntil(lambda: pop.conversation.model.rowCount() == 4, timeout=20_000)
    assert pop.stopped is None and not pop.gone.isVisibleTo(pop)
    assert pop.actions_["send"].isEnabled() and not pop.conversation.composer.text.isReadOnly()
    assert "Parcel late" in pop.windowTitle()
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (email, 0), timeout=40_000)
    qtbot.waitUntil(desk.synced, timeout=40_000)

    # Ctrl+Alt+Shift+X on a message of the pop-out's thread: split off.
    model = pop.conversation.model
    row = next(r for r in range(model.rowCount()) if model.message(r).body_text == "chat at 10")  # type: ignore[union-attr]
    _focus(qtbot, thread)
    thread.setCurrentIndex(model.index(row, 0))
    qtbot.keyClick(thread, Qt.Key.Key_X, CTRL_ALT_SHIFT)
    qtbot.waitUntil(lambda: isinstance(ui.dialog, SplitDialog), timeout=5_000)
    split_dialog = ui.dialog
    assert isinstance(split_dialog, SplitDialog) and split_dialog.parent() is pop
    assert "chat at 10" in split_dialog.text.text()
    with qtbot.waitSignal(ui.split, timeout=20_000) as split:
        qtbot.keyClick(split_dialog, Qt.Key.Key_Return)
    _back_in(qtbot, pop, thread)
    qtbot.waitUntil(
        lambda: all(model.message(r).body_text != "chat at 10" for r in range(model.rowCount())),  # type: ignore[union-attr]
        timeout=20_000,
    )
    assert any(t.startswith("The message was split off into a new conversation") for t in heard)
    qtbot.waitUntil(lambda: _server_conv(demo_server, split.args[0]) == (None, 2), timeout=40_000)
    pop.close()
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)


def test_a_rebuilt_window_pops_out_again_with_the_macro_to_take_back(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """A language change rebuilds the main window (``take_over``): the pop-outs come back, and
    Ctrl+Alt+Z in each still takes back the macro applied there."""
    cid = str(Visitor.start(demo_server.url, name="Rita Rebuilt").say("Hi")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    old = desk.window
    pop = old.pop_outs.pop_out(cid)
    qtbot.waitUntil(lambda: pop.open_conv is not None, timeout=20_000)
    batch = (["m-1", "m-2"], "Close as spam")
    pop.macro_desk.last_batch = batch
    new = MainWindow(desk.ws, old.bridge, old.theme)
    qtbot.addWidget(new)
    new.take_over(old)
    assert not old.pop_outs.windows and set(new.pop_outs.windows) == {cid}
    again = new.pop_outs.windows[cid]
    assert again is not pop and again.macro_desk.last_batch == batch
    new.close()
    qtbot.waitUntil(lambda: not new.pop_outs.windows, timeout=5_000)
