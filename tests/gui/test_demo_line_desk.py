"""Calling a customer back in the demo, by keyboard alone (issue 11): against a server that
simulates customers and has no Twilio (``make run``), Shift+F4 and Enter call a callback's
customer on the demo line; the call pops, its customer answers, the panel says it is the demo
line; Shift+F5 ends it and the wrap-up opens; Enter files it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.domain.calls import DEMO_LINE_NOTE
from csdesk.domain.enums import IdentityKind, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(180)


@dataclass
class DemoShop:
    server: ServerProcess
    db_url: str
    customer_id: str
    customer_name: str
    number: str
    conversation_id: str


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[DemoShop]:
    url = seed_demo_db(tmp_path / "demo.db", customers=20)
    state = _state(url)
    try:
        with state.reads() as s:
            cust_id, name, number = s.execute(
                select(m.Customer.id, m.Customer.name, m.CustomerIdentity.value)
                .join(m.CustomerIdentity, m.CustomerIdentity.customer_id == m.Customer.id)
                .where(
                    m.CustomerIdentity.kind == IdentityKind.PHONE.value,
                    m.Customer.realm == Realm.PRODUCTION.value,
                    m.Customer.merged_into_id.is_(None),
                )
                .order_by(m.Customer.name)
                .limit(1)
            ).one()
            conv_id = s.scalars(
                select(m.Conversation.id).where(m.Conversation.customer_id == cust_id).limit(1)
            ).one()
            assert s.get(m.ChannelConfig, "twilio") is None  # the demo has no Twilio
    finally:
        state.engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_DEMO_LINE_RING_SECONDS", "0.5")
        mp.setenv("CSDESK_DEMO_LINE_MISSED", "0")  # this customer always picks up
        # As ``make run`` starts it; no simulated customer writes in during the test.
        server = ServerProcess(
            url,
            log_path=tmp_path / "server.log",
            extra_args=["--simulate-customers", "3600"],
        ).start()
    try:
        yield DemoShop(server, url, cust_id, name, number, conv_id)
    finally:
        server.stop()


def _row(db_url: str, kind: type[m.Call] | type[m.Callback], row_id: str) -> object | None:
    state = _state(db_url)
    try:
        with state.reads() as s:
            row = s.get(kind, row_id)
            if row is not None:
                s.expunge(row)
            return row
    finally:
        state.engine.dispose()


def _line(db_url: str, message_id: str) -> str:
    state = _state(db_url)
    try:
        with state.reads() as s:
            return s.get_one(m.Message, message_id).body_text
    finally:
        state.engine.dispose()


def test_a_callback_is_called_back_on_the_demo_line_answered_ended_and_wrapped_up(
    qtbot: QtBot,
    shop: DemoShop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.callback_list import CallbackListDialog

    desk = desk_factory(shop.server, "demo")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    w._open_from_customer(shop.conversation_id)
    qtbot.waitUntil(
        lambda: w.customer_ctx is not None and w.customer_ctx.id == shop.customer_id,
        timeout=20_000,
    )
    w.inbox.list.setFocus()
    backs = w.callback_desk
    cb_id, _changes = backs.callbacks.schedule(
        shop.customer_id,
        utcnow() + timedelta(hours=2),
        mine=True,
        conversation_id=shop.conversation_id,
        phone=shop.number,
        note="Call about the refund",
    )
    qtbot.waitUntil(desk.synced, timeout=20_000)

    # Shift+F4, the callback, Enter: its customer is called back.
    qtbot.keyClick(w, Qt.Key.Key_F4, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(backs.dialog, CallbackListDialog), timeout=10_000)
    dialog = backs.dialog
    assert isinstance(dialog, CallbackListDialog)
    dialog.list.setFocus()  # no window manager offscreen: the dialog is not activated
    dialog.list.setCurrentRow(next(n for n, cb in enumerate(dialog.callbacks) if cb.id == cb_id))
    with qtbot.waitSignal(backs.placed, timeout=20_000) as placed:
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    call_id = str(placed.args[0])

    # The call pops (conversation, customer, script) and its customer picks up.
    calls = w.call_desk
    qtbot.waitUntil(
        lambda: calls.current is not None and calls.current.id == call_id, timeout=20_000
    )
    qtbot.waitUntil(
        lambda: calls.current is not None and calls.current.outcome == "answered", timeout=20_000
    )
    current = calls.current
    assert current is not None and current.demo_line and current.direction == "out"
    assert w.customer_ctx is not None and w.customer_ctx.id == shop.customer_id
    assert calls.dock.isVisible() and calls.panel.script is not None
    status = calls.panel.call_status.text()
    assert status.startswith(f"On call with {shop.customer_name}")
    assert status.endswith(DEMO_LINE_NOTE)
    assert any(t.startswith(f"Calling {shop.customer_name}") and DEMO_LINE_NOTE in t for t in said)
    assert not any("phone rings" in t for t in said)  # the demo line rings nobody's phone
    qtbot.waitUntil(
        lambda: f"{shop.customer_name}, {shop.number} answered." in said, timeout=10_000
    )
    end = calls.panel.end
    assert end.isVisible() and end.accessibleName() == "End demo call"
    call = _row(shop.db_url, m.Call, call_id)
    assert isinstance(call, m.Call) and call.direction == "out" and call.ended_at is None
    assert _line(shop.db_url, call.message_id).endswith(DEMO_LINE_NOTE)
    callback = _row(shop.db_url, m.Callback, cb_id)
    assert isinstance(callback, m.Callback) and callback.status == "done"
    assert callback.done_call_id == call_id

    # The customer's timeline labels it too.
    items = desk.ws.timeline(shop.customer_id)
    assert any(DEMO_LINE_NOTE in item.text for item in items)

    # Shift+F5 ends it: the wrap-up opens; Enter files it, and the call has ended.
    qtbot.keyClick(w, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=10_000)
    assert any(t.startswith(f"Ending the demo call with {shop.customer_name}") for t in said)
    wrap = calls.dialog
    assert wrap is not None
    wrap.disposition.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wrap.disposition, timeout=5_000)
    with qtbot.waitSignal(calls.wrapped, timeout=10_000):
        qtbot.keyClick(wrap.disposition, Qt.Key.Key_Return)
    qtbot.waitUntil(desk.synced, timeout=20_000)

    def ended() -> bool:
        row = _row(shop.db_url, m.Call, call_id)
        return isinstance(row, m.Call) and row.ended_at is not None

    qtbot.waitUntil(ended, timeout=20_000)
    row = _row(shop.db_url, m.Call, call_id)
    assert isinstance(row, m.Call) and row.disposition == "resolved"
    assert row.outcome == "answered" and row.duration_seconds is not None
    assert calls.current is None
