"""Issue 9 item 33: the assign dialog offers only teammates who can read the conversation
(not the trainee, not the administrator) and starts on a sensible one, never on "Nobody";
replying to an unassigned conversation takes it (a setting, on by default).
Item 37: the snooze, assign and canned dialogs are named, and gone once answered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog
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
