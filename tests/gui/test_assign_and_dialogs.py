"""Issue 9 item 33: the assign dialog offers only teammates who can read the conversation
(not the trainee, not the administrator) and starts on a sensible one, never on "Nobody";
replying to an unassigned conversation takes it (a setting, on by default).
Item 37: the snooze, assign and canned dialogs are named, and gone once answered. The outside
review: their pick-lists are named by the question, and My reviews has no Tab stop that says
nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog, QListView, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk import settings as opts
from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.settings import Settings
from csdesk.storage import models as m
from csdesk.ui.main_window import MainWindow
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess


def _open(qtbot: QtBot, w: MainWindow, view: str, cid: str) -> None:
    w.views.choose(list(ALL_VIEWS).index(view))
    qtbot.waitUntil(lambda: w.shown_view == view and cid in w.model.ids(), timeout=10_000)
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)


def _unassigned_email(desk: Desk, skip: set[str]) -> str:
    with desk.engine.cache.session() as s:
        return next(
            cid
            for cid in s.scalars(
                select(m.Conversation.id).where(
                    m.Conversation.assignee_id.is_(None),
                    m.Conversation.status == "open",
                    m.Conversation.channel == "email",
                    m.Conversation.deleted_at.is_(None),
                )
            )
            if cid not in skip
        )


def _answer(qtbot: QtBot, action: Callable[[], None], respond: Callable[[QDialog], None]) -> None:
    """Run ``action``, which opens a modal dialog (at once, or after a worker loaded its
    contents), and ``respond`` to the dialog once it shows."""
    done: list[bool] = []
    watch = QTimer()
    watch.setInterval(20)

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible():
            watch.stop()
            respond(dialog)
            done.append(True)

    watch.timeout.connect(check)
    watch.start()
    try:
        action()
        qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    finally:
        watch.stop()


def test_assign_offers_who_can_read_it_and_starts_on_a_teammate(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    cid = _unassigned_email(desk, set())
    _open(qtbot, w, View.UNASSIGNED, cid)
    seen: dict[str, object] = {}

    def look(dialog: QDialog) -> None:
        assert isinstance(dialog, QInputDialog)
        seen.update(
            name=dialog.objectName(),
            title=dialog.accessibleName(),
            items=dialog.comboBoxItems(),
            value=dialog.textValue(),
        )
        dialog.reject()

    _answer(qtbot, lambda: w.actions_["assign_other"].trigger(), look)
    labels = seen["items"]
    assert isinstance(labels, list)
    # Each teammate shows their status ("Sam Okafor — Available"); available ones first.
    items = [str(x).split(" — ")[0] for x in labels]
    seen["value"] = str(seen["value"]).split(" — ")[0]
    assert "Robin Trainee" not in items and "Store Admin" not in items
    assert {"Sam Okafor", "Alex Morgan", "Mateo Ruiz"} <= set(items)
    assert items[-1] == "Nobody (unassign)" and seen["value"] != "Nobody (unassign)"
    assert seen["value"] != "Demo Agent"  # the first teammate, not the one asking
    assert seen["name"] == "assign_dialog" and seen["title"] == "Assign to"

    # An assigned conversation starts on its assignee.
    w.actions_["assign_me"].trigger()
    qtbot.waitUntil(
        lambda: w.open_conv is not None and w.open_conv.assignee_id == desk.ws.me.id,
        timeout=10_000,
    )
    _answer(qtbot, lambda: w.actions_["assign_other"].trigger(), look)
    assert str(seen["value"]).split(" — ")[0] == "Demo Agent"


def test_replying_to_an_unassigned_conversation_takes_it_unless_switched_off(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk], tmp_path: Path
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    me = desk.ws.me.id
    heard: list[str] = []
    w.announced.connect(heard.append)

    def reply(cid: str) -> None:
        _open(qtbot, w, View.UNASSIGNED, cid)
        w.conversation.composer.start(note=False)
        w.conversation.composer.text.setPlainText("Looking into it now.")
        w.actions_["send"].trigger()
        qtbot.waitUntil(lambda: "Reply queued for sending" in heard, timeout=10_000)

    first = _unassigned_email(desk, set())
    reply(first)
    qtbot.waitUntil(
        lambda: (c := desk.ws.conversation(first)) is not None and c.assignee_id == me,
        timeout=10_000,
    )
    assert "Assigned to you" in heard

    heard.clear()
    w.settings = Settings(tmp_path / "settings.json", {opts.ASSIGN_ON_REPLY.key: False})
    second = _unassigned_email(desk, {first})
    reply(second)
    qtbot.waitUntil(desk.synced, timeout=20_000)
    conv = desk.ws.conversation(second)
    assert conv is not None and conv.assignee_id is None
    assert "Assigned to you" not in heard


def test_snooze_assign_canned_and_tags_dialogs_are_named_and_not_left_behind(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    cid = _unassigned_email(desk, set())
    _open(qtbot, w, View.UNASSIGNED, cid)
    names: list[str] = []

    def cancel(dialog: QDialog) -> None:
        names.append(dialog.accessibleName())
        dialog.reject()

    for action in ("snooze", "assign_other", "canned", "tags"):
        _answer(qtbot, w.actions_[action].trigger, cancel)
    assert names == ["Snooze", "Assign to", "Canned responses", "Tags"]
    qtbot.waitUntil(lambda: not w.findChildren(QDialog), timeout=5_000)


def _said(widget: QWidget) -> str:
    """What a screen reader says a widget is called."""
    face = QAccessible.queryAccessibleInterface(widget)
    assert face is not None
    return face.text(QAccessible.Text.Name)


def test_pick_lists_are_named_by_their_question(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """The outside review: the lists of these dialogs were an unnamed "list"."""
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    cid = _unassigned_email(desk, set())
    _open(qtbot, w, View.UNASSIGNED, cid)
    names: dict[str, str] = {}

    def look(dialog: QDialog) -> None:
        view = next(v for v in dialog.findChildren(QListView) if v.isVisible())
        names[dialog.windowTitle()] = _said(view)
        dialog.reject()

    for action in ("snooze", "assign_other", "priority", "go_to_view", "set_status"):
        _answer(qtbot, w.actions_[action].trigger, look)
    assert names == {
        "Snooze": "Snooze until",
        "Assign to": "Assign this conversation to",
        "Priority": "Priority",
        "Go to view": "Show the conversations of",
        "My status": "Set your status (every desk sees it)",
    }


def _tab_stops(qtbot: QtBot, dialog: QDialog) -> list[QWidget]:
    """Where Tab goes in ``dialog``, once round from its focus widget (a table takes Tab
    from cell to cell first, so a widget may hold it for several presses)."""
    first = dialog.focusWidget()
    assert first is not None
    stops = [first]
    for _press in range(200):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        assert now is not None and dialog.isAncestorOf(now)
        if now is first:
            return stops
        if now is not stops[-1]:
            stops.append(now)
    raise AssertionError(f"Tab never came back round: {stops}")


def test_my_reviews_has_no_tab_stop_that_says_nothing(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """The outside review: Tab in My reviews (Ctrl+Alt+M) landed on an empty label, which a
    screen reader announced as nothing; once a review is open it holds the review's summary
    and is a Tab stop, to read and select."""
    sam = desk_factory(demo_server, "sam")
    w = sam.window
    with qtbot.waitSignal(w.qa_desk.reviews_shown, timeout=20_000):
        w.actions_["qa_my_reviews"].trigger()
    mine = w.qa_desk.dialog
    assert mine is not None and mine.list.count() > 0
    qtbot.waitUntil(mine.list.hasFocus, timeout=5_000)
    stops = _tab_stops(qtbot, mine)
    assert [s.objectName() for s in stops if not _said(s)] == []
    assert mine.summary not in stops
    with qtbot.waitSignal(w.qa_desk.detail_shown, timeout=10_000):
        qtbot.keyClick(mine.list, Qt.Key.Key_Return)
    stops = _tab_stops(qtbot, mine)
    assert [s.objectName() for s in stops if not _said(s)] == []
    assert mine.summary in stops and _said(mine.summary) == mine.summary.text()
    mine.reject()


def test_the_setting_is_in_the_settings_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    from csdesk.ui.appearance import Appearance
    from csdesk.ui.panels.settings import SettingsDialog

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = Settings(tmp_path / "settings.json", {})
    dialog = SettingsDialog(settings, Appearance(app, settings), None)
    qtbot.addWidget(dialog)
    assert dialog.assign_on_reply.isChecked()  # on by default
    dialog.assign_on_reply.click()
    assert settings.get(opts.ASSIGN_ON_REPLY) is False
