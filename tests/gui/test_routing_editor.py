"""The routing rules editor by keyboard against a real server (issue 14): the supervisor opens
it with Ctrl+Alt+E and sees the demo rules in order, moves one down with Alt+Down (the server's
order changes), dry-runs a rule ("Would have matched N of the last M conversations"), writes a
new rule and saves it through the outbox, and sets an agent's languages; an agent cannot open
it. It fits a 1366×768 screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
ALT = Qt.KeyboardModifier.AltModifier


@dataclass
class Shop:
    server: ServerProcess
    db_url: str


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("routing")
    url = seed_demo_db(d / "demo.db", customers=20)
    server = ServerProcess(url, log_path=d / "server.log").start()
    try:
        yield Shop(server, url)
    finally:
        server.stop()


def _server_rules(url: str) -> list[m.RoutingRule]:
    state = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
    try:
        with state.reads() as s:
            R = m.RoutingRule
            return list(
                s.scalars(select(R).where(R.deleted_at.is_(None)).order_by(R.position, R.id))
            )
    finally:
        state.engine.dispose()


def _skills(url: str, user_id: str) -> list[str] | None:
    state = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
    try:
        with state.reads() as s:
            row = s.get(m.AgentSkills, user_id)
            return list(row.languages) if row is not None else None
    finally:
        state.engine.dispose()


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.setFocus()  # no window manager offscreen: a dialog is not activated by itself
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def _key(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = ALT) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def test_a_supervisor_orders_tests_and_writes_rules_by_keyboard(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.routing_editor import RoutingEditor

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    qtbot.waitUntil(sam.synced, timeout=40_000)
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    ui = w.routing_desk
    with qtbot.waitSignal(ui.loaded, timeout=40_000) as loaded:
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_E, CTRL_ALT)
    assert loaded.args == [4]
    dialog = ui.dialog
    assert isinstance(dialog, RoutingEditor) and dialog.isVisible()
    assert dialog.width() <= 1366 and dialog.height() <= 768
    texts = [dialog.rule_list.item(n).text() for n in range(dialog.rule_list.count())]
    assert texts[0].startswith("1. German to German speakers (on): when language de")
    assert "Stops here." in texts[2]
    assert dialog.name.text() == "German to German speakers"  # the first rule is loaded
    assert audit(dialog) == []  # names, plain text, no ids (tests/gui/…windows_audit.py)

    # Alt+Down in the list moves the first rule below the second, on the server too.
    _focus(qtbot, dialog.rule_list)
    first = dialog.current_id()
    _key(qtbot, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: _server_rules(shop.db_url)[1].id == first, timeout=40_000)
    qtbot.waitUntil(
        lambda: (
            dialog.rule_list.count() == 4
            and dialog.rule_list.item(1).text().startswith("2. German")
        ),
        timeout=40_000,
    )

    # Dry run of the chosen rule's conditions (German): the server counts recent conversations.
    _focus(qtbot, dialog.rule_list)
    with qtbot.waitSignal(ui.dry_run_done, timeout=40_000) as ran:
        _key(qtbot, Qt.Key.Key_D)
    assert ran.args[0].startswith("Would have matched ")
    assert " of the last " in ran.args[0] and dialog.result_label.text() == ran.args[0]

    # A new rule, typed in and saved.
    _key(qtbot, Qt.Key.Key_N)  # a button's mnemonic clicks it (animated: a moment later)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name, timeout=5_000)
    assert dialog.name.text() == "" and dialog.current_id() is None
    qtbot.keyClicks(dialog.name, "Chargebacks <b>now</b>")
    _key(qtbot, Qt.Key.Key_Y)
    assert QApplication.focusWidget() is dialog.keywords
    qtbot.keyClicks(dialog.keywords, "chargeback, dispute")
    _key(qtbot, Qt.Key.Key_P)
    assert QApplication.focusWidget() is dialog.priority
    dialog.priority.setCurrentIndex(dialog.priority.findData("urgent"))
    _key(qtbot, Qt.Key.Key_T)  # stop after this rule
    qtbot.waitUntil(dialog.stop.isChecked, timeout=5_000)
    with qtbot.waitSignal(ui.queued, timeout=40_000):
        _key(qtbot, Qt.Key.Key_S)

    def saved() -> m.RoutingRule | None:
        return next(
            (r for r in _server_rules(shop.db_url) if r.name == "Chargebacks <b>now</b>"), None
        )

    qtbot.waitUntil(lambda: saved() is not None, timeout=40_000)
    rule = saved()
    assert rule is not None
    assert rule.conditions == {"keywords": ["chargeback", "dispute"]}
    assert rule.actions == {"priority": "urgent"} and rule.stop and rule.position == 5
    qtbot.waitUntil(lambda: dialog.rule_list.count() == 5, timeout=40_000)
    assert dialog.rule_list.item(4).text().startswith("5. Chargebacks <b>now</b> (on)")

    # Agent skills: Mateo gets French too.
    dialog.tabs.setCurrentIndex(1)
    assert audit(dialog) == []
    _focus(qtbot, dialog.agent)
    dialog.agent.setCurrentIndex(dialog.agent.findText("Mateo Ruiz"))
    mateo = str(dialog.agent.currentData())
    assert dialog.skill_languages.text() == "en, es, de"
    _key(qtbot, Qt.Key.Key_L)
    assert QApplication.focusWidget() is dialog.skill_languages
    # A mnemonic selects the field's text: End, then type after it.
    _key(qtbot, Qt.Key.Key_End, Qt.KeyboardModifier.NoModifier)
    qtbot.keyClicks(dialog.skill_languages, ", fr")
    assert dialog.skill_languages.text() == "en, es, de, fr"
    with qtbot.waitSignal(ui.queued, timeout=40_000) as queued:
        _key(qtbot, Qt.Key.Key_S)
    assert queued.args == ["agent.skills.set"]
    qtbot.waitUntil(lambda: _skills(shop.db_url, mateo) == ["en", "es", "de", "fr"], timeout=40_000)


def test_an_agent_cannot_open_the_editor(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    demo = desk_factory(shop.server, "demo")
    w = demo.window
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_E, CTRL_ALT)
    qtbot.wait(200)  # nothing to wait for: the refusal is said at once, on this thread
    assert w.routing_desk.dialog is None
