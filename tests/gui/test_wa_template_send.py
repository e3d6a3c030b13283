"""Outside WhatsApp's 24-hour window the desk blocks free text and sends an approved template,
chosen and filled by keyboard, through the live server to (a fake of) Meta's Cloud API."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
import requests
from cryptography.fernet import Fernet
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.signatures import meta_signature
from csdesk.server.channels.vault import ENV_KEY, Vault
from csdesk.storage import models as m
from csdesk.ui.panels.template_dialog import TemplateDialog
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.fakes import FakeGraph
from tests.helpers.server import ServerProcess
from tests.server.channels.support import (
    META_ACCESS_TOKEN,
    META_APP_SECRET,
    META_PAGE_TOKEN,
    META_VERIFY_TOKEN,
    WHATSAPP_NUMBER_ID,
    state_for,
    wait_until,
    whatsapp_message,
)
from tests.server.channels.test_wa_templates import TEMPLATES, WABA_ID

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(META_ACCESS_TOKEN, WHATSAPP_NUMBER_ID, META_PAGE_TOKEN).start()
    fake.waba_id = WABA_ID
    fake.templates = copy.deepcopy(TEMPLATES)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def wa_server(
    tmp_path: Path, graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    """A small demo store whose Meta connection points at the fake Graph API."""
    monkeypatch.setenv(ENV_KEY, Fernet.generate_key().decode())  # the server inherits it
    url = seed_demo_db(tmp_path / "wa.db", customers=5)
    data_dir = tmp_path / "data"
    state = state_for(url, data_dir)
    try:
        with state.writes() as s:
            config_store.save(
                s,
                Vault(data_dir),
                Provider.META,
                {
                    "phone_number_id": WHATSAPP_NUMBER_ID,
                    "waba_id": WABA_ID,
                    "api_base_url": graph.url,
                },
                {
                    "app_secret": META_APP_SECRET,
                    "access_token": META_ACCESS_TOKEN,
                    "verify_token": META_VERIFY_TOKEN,
                },
            )
            s.commit()
    finally:
        state.engine.dispose()
    server = ServerProcess(url, log_path=tmp_path / "server.log").start()
    try:
        yield server
    finally:
        server.stop()


def _old_whatsapp_conversation(server: ServerProcess, wa_id: str, data_dir: Path) -> str:
    """A customer who last wrote 25 hours ago: the window is closed."""
    wamid = f"wamid.OLD{wa_id}"
    payload = whatsapp_message(wamid, wa_id, "Is my order coming?", name="Lucía Ortega")
    msg = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    msg["timestamp"] = str(int(time.time()) - 25 * 3600)
    body = orjson.dumps(payload)
    r = requests.post(
        server.url + "/webhooks/meta",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(META_APP_SECRET, body),
        },
        timeout=20,
    )
    assert r.status_code == 200, r.text
    state = state_for(server.db_url, data_dir)
    try:

        def probe() -> str | None:
            with state.reads() as s:
                return s.scalars(
                    select(m.Message.conversation_id).where(m.Message.provider_message_id == wamid)
                ).first()

        return wait_until(probe, what="the WhatsApp conversation")
    finally:
        state.engine.dispose()


def test_template_by_keyboard_outside_the_window_reaches_meta(
    qtbot: QtBot,
    wa_server: ServerProcess,
    graph: FakeGraph,
    desk_factory: Callable[..., Desk],
    tmp_path: Path,
) -> None:
    wa_id = "34655001122"
    cid = _old_whatsapp_conversation(wa_server, wa_id, tmp_path / "data")
    desk = desk_factory(wa_server, "demo")
    w = desk.window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.row_of(cid) is not None, timeout=20_000)
    w.inbox.list.setFocus()
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == cid,
        timeout=10_000,
    )
    composer = w.conversation.composer
    before = w.conversation.model.rowCount()

    # Free text is blocked, and the notice says what to do instead.
    assert not composer.send.isEnabled()
    assert "24-hour window is closed" in composer.notice.text()
    assert "Ctrl+Shift+M" in composer.notice.text()
    assert composer.template.isVisibleTo(w) and composer.template.accessibleName()
    composer.text.setFocus()
    qtbot.keyClicks(composer.text, "Hello?")
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert desk.engine.status.pending == 0 and w.conversation.model.rowCount() == before

    # Keyboard: Ctrl+Shift+M opens the dialog; the list loads on a worker.
    qtbot.keyClick(composer.text, Qt.Key.Key_M, CTRL_SHIFT)
    dialog = wait_until(lambda: w.findChild(TemplateDialog), what="the template dialog")
    qtbot.waitUntil(lambda: not dialog.loading and dialog.list.count() == 3, timeout=20_000)
    assert "3 approved templates" in dialog.status.text()
    assert dialog.list.hasFocus()
    # An agent's button asks the server for its copy again; only supervisors make it ask Meta.
    assert dialog.refresh.text() == "&Load again"
    assert dialog.refresh.accessibleName() == "Load the template list again"
    items = [dialog.list.item(n).text() for n in range(dialog.list.count())]
    assert items[1].startswith("order_update (en_US, utility): Hi {{1}}")
    assert all("promo_spring" not in i and "welcome_back" not in i for i in items)

    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)  # order_update, en_US
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)  # on to its first parameter
    first = dialog.findChild(QLineEdit, "template_param_1")
    second = dialog.findChild(QLineEdit, "template_param_2")
    assert first is not None and second is not None and first.hasFocus()
    assert first.accessibleName() == "Parameter {{1}} (for example Pablo)"
    qtbot.keyClicks(first, "Lucia")  # QTest types ASCII only
    assert "Hi Lucia, your order {{2}} has shipped." in dialog.preview.toPlainText()

    # Validation: Enter with a parameter empty keeps the dialog open and says which.
    qtbot.keyClick(first, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.problem.isVisibleTo(dialog)
    assert "parameter 2" in dialog.problem.text() and second.hasFocus()
    qtbot.keyClicks(second, "A-1001")
    assert dialog.preview.toPlainText() == (
        "Order news\n\nHi Lucia, your order A-1001 has shipped.\n\nNorthwind Store"
    )
    qtbot.keyClick(second, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.findChild(TemplateDialog) is None or not dialog.isVisible())

    # Shown at once in the thread, then sent to Meta as a template message.
    qtbot.waitUntil(lambda: w.conversation.model.rowCount() == before + 1, timeout=10_000)
    sends = wait_until(
        lambda: [r for r in graph.requests if r.method == "POST"] or None,
        30,
        "the template send",
    )
    assert graph.violations == []
    assert len(sends) == 1
    assert sends[0].json()["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Lucia"},
                    {"type": "text", "text": "A-1001"},
                ],
            }
        ],
    }
    assert sends[0].json()["to"] == wa_id

    def sent() -> bool:
        conv = desk.ws.conversation(cid)
        last = conv.messages[-1] if conv and conv.messages else None
        return last is not None and last.delivery_status == "sent"

    qtbot.waitUntil(sent, timeout=30_000)
    conv = desk.ws.conversation(cid)
    assert conv is not None
    assert conv.messages[-1].body_text.startswith("Order news\n\nHi Lucia")


def test_an_unreachable_server_is_said_plainly_and_refresh_recovers(qtbot: QtBot) -> None:
    from csdesk.app.wa_templates import Template, TemplateList
    from csdesk.sync.api import Offline
    from csdesk.ui.tasks import Tasks

    calls: list[bool] = []

    def load(refresh: bool) -> TemplateList:
        calls.append(refresh)
        if len(calls) == 1:
            raise Offline("Cannot reach the server at http://127.0.0.1:9 (refused).")
        return TemplateList((Template("follow_up", "en_US", "UTILITY", "News."),), None)

    tasks = Tasks()
    dialog = TemplateDialog(tasks, load)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reload()
    qtbot.waitUntil(lambda: not dialog.loading and calls == [False])
    assert "could not be loaded" in dialog.status.text()
    assert "Cannot reach the server" in dialog.status.text()
    assert dialog.list.count() == 0 and not dialog.send.isEnabled()
    assert dialog.refresh.isEnabled() and dialog.refresh.accessibleName()
    qtbot.keyClick(dialog.refresh, Qt.Key.Key_Space)  # the keyboard path to try again
    qtbot.waitUntil(lambda: not dialog.loading and dialog.list.count() == 1)
    assert calls == [False, True] and dialog.send.isEnabled()
    assert dialog.preview.toPlainText() == "News."
    tasks.shutdown()


def test_a_parameter_meta_would_refuse_is_caught_in_the_dialog(qtbot: QtBot) -> None:
    """Meta refuses parameter text with tabs, line breaks or more than four spaces in a row
    (error 132018); the dialog says so and keeps what was typed instead of queueing a reply
    that fails later."""
    from csdesk.app.wa_templates import Template, TemplateList
    from csdesk.ui.tasks import Tasks

    def load(_refresh: bool) -> TemplateList:
        return TemplateList((Template("greet", "en_US", "UTILITY", "Hi {{1}}."),), None)

    chosen: list[list[str]] = []
    tasks = Tasks()
    dialog = TemplateDialog(tasks, load)
    dialog.chosen.connect(lambda _t, params: chosen.append(params))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reload()
    qtbot.waitUntil(lambda: not dialog.loading and dialog.list.count() == 1)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    field = dialog.findChild(QLineEdit, "template_param_1")
    assert field is not None and field.hasFocus()
    qtbot.keyClicks(field, "Ana      Lopez")  # six spaces
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert chosen == [] and dialog.isVisible() and dialog.problem.isVisibleTo(dialog)
    assert "more than four spaces" in dialog.problem.text() and field.hasFocus()
    assert field.text() == "Ana      Lopez"  # nothing typed is lost
    field.setText("Ana Lopez")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert chosen == [["Ana Lopez"]]
    tasks.shutdown()
