"""Scheduled send and follow-up reminders in the window against a real server
(docs/scheduled-send.md): a reply written in the composer is scheduled by keyboard (Send
later, Enter on the first quick choice) while offline, shows above the composer as
"Scheduled for …" at once and on the server as held once back online; in the list Enter
edits its text and Delete cancels it. A reminder set a moment ahead is made due by the
server's round and announced by the desk (notice line and screen reader); the Reminders
list shows it in a sentence and Delete dismisses it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import Sort, View
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.ui.panels.sentence_list import SentenceListDialog
from csdesk.ui.panels.time_choice import TimeChoiceDialog
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def sched_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The demo store, with the round that sends and reminds every 0.2 s."""
    d = tmp_path_factory.mktemp("sched")
    url = seed_demo_db(d / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")
        server = ServerProcess(url, log_path=d / "server.log").start()
    yield server
    server.stop()


def _server_row(server: ServerProcess, model: type[m.Base], ident: str) -> m.Base | None:
    state = ServerState.build(ServerConfig(db_url=server.db_url, listen_notify=False))
    try:
        with state.reads() as s:
            return s.get(model, ident)
    finally:
        state.engine.dispose()


def _status(server: ServerProcess, model: type[m.Base], ident: str) -> str | None:
    row = _server_row(server, model, ident)
    return getattr(row, "status", None)


def _open_text_conversation(qtbot: QtBot, desk: Desk) -> str:
    w = desk.window
    with desk.ws.cache.session() as s:
        skip = set(s.scalars(select(m.Conversation.id).where(m.Conversation.channel == "phone")))
        skip |= set(s.scalars(select(m.ScheduledMessage.conversation_id)))  # the demo's own
    cid = next(c for c in desk.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST) if c not in skip)
    w.open_conversation(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)
    return cid


def test_a_reply_scheduled_by_keyboard_shows_and_is_cancelled(
    qtbot: QtBot,
    sched_server: ServerProcess,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(sched_server, "demo")
    w = desk.window
    ui = w.scheduled_desk
    _open_text_conversation(qtbot, desk)
    assert w.actions_["send_later"].shortcut() == QKeySequence("Ctrl+Shift+Return")
    composer = w.conversation.composer
    assert desk.engine.stop()  # offline: the request waits in the outbox, shown at once
    composer.text.setFocus()
    qtbot.keyClicks(composer.text, "We will <b>ship</b> on Monday.")
    w.actions_["send_later"].trigger()  # the registry's Ctrl+Shift+Return
    qtbot.waitUntil(lambda: isinstance(ui.dialog, TimeChoiceDialog), timeout=5_000)
    dialog = ui.dialog
    assert isinstance(dialog, TimeChoiceDialog) and audit(dialog) == []
    assert dialog.choices.item(0).text().startswith("In 1 hour: ")
    with qtbot.waitSignal(ui.scheduled, timeout=20_000) as scheduled:
        qtbot.keyClick(dialog.choices, Qt.Key.Key_Return)  # the first quick choice
    sid = scheduled.args[0]
    assert composer.text.toPlainText() == ""  # it left the composer
    qtbot.waitUntil(lambda: ui.strip.isVisible(), timeout=10_000)
    assert ui.strip.textFormat() == Qt.TextFormat.PlainText
    assert ui.strip.text().startswith("Scheduled for ")
    assert "We will <b>ship</b> on Monday." in ui.strip.text()
    assert _server_row(sched_server, m.ScheduledMessage, sid) is None  # not pushed yet
    desk.engine.start()
    qtbot.waitUntil(lambda: _status(sched_server, m.ScheduledMessage, sid) == "scheduled",
                    timeout=40_000)  # fmt: skip

    # The list: Enter edits its text (the time kept), Delete cancels it.
    w.actions_["scheduled_list"].trigger()  # the registry's Ctrl+Alt+Shift+S
    qtbot.waitUntil(lambda: isinstance(ui.dialog, SentenceListDialog), timeout=10_000)
    listing = ui.dialog
    assert isinstance(listing, SentenceListDialog)
    qtbot.keyClick(listing.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(ui.dialog, TimeChoiceDialog), timeout=10_000)
    editing = ui.dialog
    assert isinstance(editing, TimeChoiceDialog) and editing.text is not None
    assert audit(editing) == []
    assert editing.text.toPlainText() == "We will <b>ship</b> on Monday."
    editing.text.setPlainText("We will ship on Tuesday.")
    editing.accept()
    qtbot.waitUntil(lambda: "Tuesday" in ui.strip.text(), timeout=10_000)

    def server_text() -> str:
        row = _server_row(sched_server, m.ScheduledMessage, sid)
        return getattr(row, "body_text", "")

    qtbot.waitUntil(lambda: server_text() == "We will ship on Tuesday.", timeout=40_000)

    # Delete cancels it; the strip goes, the server has it cancelled.
    w.actions_["scheduled_list"].trigger()
    qtbot.waitUntil(lambda: isinstance(ui.dialog, SentenceListDialog), timeout=10_000)
    listing = ui.dialog
    assert isinstance(listing, SentenceListDialog) and audit(listing) == []
    assert listing.list.count() == 1
    assert listing.list.item(0).text().startswith("Scheduled for ")
    qtbot.keyClick(listing.list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not ui.strip.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: _status(sched_server, m.ScheduledMessage, sid) == "cancelled",
                    timeout=40_000)  # fmt: skip


def test_a_reminder_is_announced_when_due_and_dismissed(
    qtbot: QtBot,
    sched_server: ServerProcess,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(sched_server, "demo")
    w = desk.window
    ui = w.scheduled_desk
    cid = _open_text_conversation(qtbot, desk)
    w.actions_["remind_me"].trigger()  # the registry's Ctrl+Alt+Shift+R
    qtbot.waitUntil(lambda: isinstance(ui.dialog, TimeChoiceDialog), timeout=5_000)
    dialog = ui.dialog
    assert isinstance(dialog, TimeChoiceDialog) and audit(dialog) == []
    assert dialog.condition is not None and dialog.condition.isChecked()  # on by default
    texts = [dialog.choices.item(n).text() for n in range(dialog.choices.count())]
    assert texts[0].startswith("In 2 hours: ") and texts[2].startswith("In 2 days: ")
    # A moment ahead: the server's round makes it due, the desk announces it.
    dialog.choices.setCurrentRow(dialog.choices.count() - 1)  # a date and time of my choice
    soon = datetime.now(UTC) + timedelta(seconds=1)
    dialog.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(soon.timestamp())))
    with qtbot.waitSignal(ui.reminded, timeout=20_000) as reminded:
        qtbot.keyClick(dialog.choices, Qt.Key.Key_Return)
    rid = reminded.args[0]
    with qtbot.waitSignal(ui.announced, timeout=60_000) as announced:
        pass
    assert announced.args == [rid]
    assert w.notice_label.text().startswith("Reminder: follow up with ")
    row = _server_row(sched_server, m.Reminder, rid)
    assert isinstance(row, m.Reminder) and row.status == "due" and row.conversation_id == cid
    assert row.owner_id == desk.ws.me.id

    w.actions_["reminders"].trigger()  # the registry's Ctrl+Alt+Shift+L
    qtbot.waitUntil(lambda: isinstance(ui.dialog, SentenceListDialog), timeout=10_000)
    listing = ui.dialog
    assert isinstance(listing, SentenceListDialog) and audit(listing) == []
    assert listing.list.item(0).text().startswith("Due since ")
    qtbot.keyClick(listing.list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: _status(sched_server, m.Reminder, rid) == "dismissed",
                    timeout=40_000)  # fmt: skip


def test_a_whatsapp_reply_past_the_24_hour_window_is_not_scheduled(
    qtbot: QtBot,
    sched_server: ServerProcess,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(sched_server, "demo")
    w = desk.window
    ui = w.scheduled_desk
    old = datetime.now(UTC) - timedelta(hours=25)
    with desk.ws.cache.session() as s:
        cid = s.scalars(
            select(m.Conversation.id).where(
                m.Conversation.channel == "whatsapp", m.Conversation.last_inbound_at < old
            )
        ).first()
    assert cid is not None  # the demo has WhatsApp conversations gone quiet
    w._open_from_customer(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)
    composer = w.conversation.composer
    composer.text.setPlainText("Are you still there?")
    w.actions_["send_later"].trigger()
    qtbot.waitUntil(lambda: isinstance(ui.dialog, TimeChoiceDialog), timeout=5_000)
    dialog = ui.dialog
    assert isinstance(dialog, TimeChoiceDialog)
    with qtbot.waitSignal(
        w.announced, timeout=10_000, check_params_cb=lambda t: t.startswith("Not scheduled")
    ) as said:
        qtbot.keyClick(dialog.choices, Qt.Key.Key_Return)
    assert "WhatsApp allows free text only until" in said.args[0]
    assert composer.text.toPlainText() == "Are you still there?"  # kept for a template
    with desk.ws.cache.session() as s:
        held = s.scalars(
            select(m.ScheduledMessage.id).where(m.ScheduledMessage.conversation_id == cid)
        ).all()
    assert held == []
