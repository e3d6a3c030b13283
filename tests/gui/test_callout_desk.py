"""Click-to-call and callbacks on the desk, by keyboard (issue 11): F5 rings the agent's phone
through Twilio (a local fake that checks the Calls API request), the call pops and its end
brings the wrap-up; F4 schedules a callback; a due callback is announced and stays the
agent's; Shift+F4 lists callbacks and Enter calls one back; offline, F5 refuses clearly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.domain.enums import IdentityKind, Realm
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.egress import ENV_TRUSTED
from csdesk.server.channels.signatures import twilio_signature
from csdesk.server.channels.vault import ENV_KEY, Vault
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.sync.events import SyncState
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.fakes import FakeTwilio
from tests.helpers.server import ServerProcess
from tests.server.channels.support import ACCOUNT_SID, AUTH_TOKEN, BUSINESS_NUMBER, state_for

pytestmark = pytest.mark.timeout(180)
DEMO_PHONE = "+14155550177"


@dataclass
class CallShop:
    server: ServerProcess
    twilio: FakeTwilio
    db_url: str
    customer_id: str
    customer_name: str
    number: str
    conversation_id: str


def _setup(d: Path, fake: FakeTwilio) -> tuple[str, str, str, str, str]:
    url = seed_demo_db(d / "demo.db", customers=20)
    state = state_for(url, d)
    try:
        with state.writes() as s:
            config_store.save(
                s,
                Vault(d),
                Provider.TWILIO,
                {
                    "account_sid": ACCOUNT_SID,
                    "from_number": BUSINESS_NUMBER,
                    "api_base_url": fake.url,
                },
                {"auth_token": AUTH_TOKEN},
            )
            demo = s.scalars(select(m.User).where(m.User.username == "demo")).one()
            demo.call_phone = DEMO_PHONE
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
            s.commit()
    finally:
        state.engine.dispose()
    return url, cust_id, name, number, conv_id


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallShop]:
    d = tmp_path_factory.mktemp("callout")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(ENV_KEY, Fernet.generate_key().decode())
            mp.setenv(ENV_TRUSTED, fake.url)
            mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")  # callbacks come due promptly
            url, cust_id, name, number, conv_id = _setup(d, fake)
            server = ServerProcess(url, log_path=d / "server.log").start()
        try:
            yield CallShop(server, fake, url, cust_id, name, number, conv_id)
        finally:
            server.stop()
    finally:
        fake.stop()


def _hook(server: ServerProcess, url: str, params: dict[str, str]) -> None:
    """Twilio requests ``url`` (our server's public URL), signed as Twilio signs."""
    parts = urlsplit(url)
    local = f"{server.url}{parts.path}?{parts.query}"
    r = requests.post(
        local,
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(AUTH_TOKEN, local, params)},
        timeout=20,
    )
    assert r.status_code == 200, r.text


def _open(qtbot: QtBot, desk: Desk, shop: CallShop) -> None:
    w = desk.window
    w._open_from_customer(shop.conversation_id)
    qtbot.waitUntil(
        lambda: w.customer_ctx is not None and w.customer_ctx.id == shop.customer_id,
        timeout=20_000,
    )
    w.inbox.list.setFocus()


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


def _callback(db_url: str, cb_id: str) -> m.Callback | None:
    state = _state(db_url)
    try:
        with state.reads() as s:
            row = s.get(m.Callback, cb_id)
            if row is not None:
                s.expunge(row)
            return row
    finally:
        state.engine.dispose()


def test_f5_rings_the_agent_then_the_call_pops_and_its_end_asks_for_the_wrap_up(
    qtbot: QtBot,
    shop: CallShop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    shop.twilio.clear()
    desk = desk_factory(shop.server, "demo")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    _open(qtbot, desk, shop)
    with qtbot.waitSignal(w.callback_desk.placed, timeout=20_000) as placed:
        qtbot.keyClick(w, Qt.Key.Key_F5)
    call_id = str(placed.args[0])
    assert any(t.startswith(f"Calling {shop.customer_name} on {shop.number}") for t in said)
    qtbot.waitUntil(lambda: bool(shop.twilio.calls_created()), timeout=20_000)
    form = shop.twilio.calls_created()[0]
    assert shop.twilio.violations == []
    assert form["To"] == DEMO_PHONE and form["From"] == BUSINESS_NUMBER

    calls = w.call_desk
    qtbot.waitUntil(
        lambda: calls.current is not None and calls.current.id == call_id, timeout=20_000
    )
    qtbot.waitUntil(
        lambda: any(t.startswith(f"Calling {shop.customer_name}") and "script" in t for t in said),
        timeout=20_000,
    )
    assert any(t.endswith("Your phone rings first, then the customer's.") for t in said)

    # The customer answered and hung up after a minute: the wrap-up opens by itself.
    sid = "CA" + "1" * 32
    leg = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": BUSINESS_NUMBER, "To": DEMO_PHONE}
    answer = dict(leg, CallStatus="in-progress", Direction="outbound-api")
    dialed_url = form["Url"].replace("step=answer", "step=dialed")
    _hook(shop.server, form["Url"], answer)
    _hook(shop.server, dialed_url, dict(answer, DialCallStatus="completed", DialCallDuration="61"))
    _hook(shop.server, form["StatusCallback"], dict(leg, CallStatus="completed"))
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=30_000)
    dialog = calls.dialog
    assert dialog is not None
    dialog.disposition.setFocus()
    with qtbot.waitSignal(calls.wrapped, timeout=10_000):
        qtbot.keyClick(dialog.disposition, Qt.Key.Key_Return)


def test_f4_schedules_a_callback_that_comes_due_and_is_announced(
    qtbot: QtBot,
    shop: CallShop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(shop.server, "demo")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    _open(qtbot, desk, shop)
    backs = w.callback_desk
    qtbot.keyClick(w, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: backs.dialog is not None and backs.dialog.isVisible(), timeout=5_000)
    dialog = backs.dialog
    from csdesk.ui.panels.callback_dialog import CallbackDialog

    assert isinstance(dialog, CallbackDialog)
    dialog.when.setFocus()  # no window manager offscreen: the dialog is not activated
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.when, timeout=5_000)
    assert dialog.when.accessibleName() == "Callback date and time"
    # Tab steps through the time's fields; the labels' Alt keys go to the other fields.
    alt = Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(dialog.when, Qt.Key.Key_W, alt)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.who, timeout=5_000)
    assert dialog.mine() and dialog.who.accessibleName() == "Who calls back"
    qtbot.keyClick(dialog.who, Qt.Key.Key_O, alt)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.note, timeout=5_000)
    qtbot.keyClicks(dialog.note, "Check the refund arrived")
    with qtbot.waitSignal(backs.scheduled, timeout=10_000) as scheduled:
        qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    cb_id = str(scheduled.args[0])
    assert any(t.startswith(f"Callback to {shop.customer_name} scheduled for") for t in said)
    qtbot.waitUntil(desk.synced, timeout=20_000)
    row = _callback(shop.db_url, cb_id)
    assert row is not None and row.assignee_id == desk.ws.me.id
    assert row.note == "Check the refund arrived" and row.status == "scheduled"

    # Its time comes (moved into the past on the server): announced, and acknowledged.
    state = _state(shop.db_url)
    try:
        with state.writes() as s:
            cb = s.get(m.Callback, cb_id)
            assert cb is not None
            cb.due_at = utcnow() - timedelta(seconds=1)
            s.commit()
    finally:
        state.engine.dispose()
    with qtbot.waitSignal(backs.announced, timeout=30_000) as heard:
        pass
    assert heard.args == [cb_id]
    assert any(t.startswith(f"Callback due: {shop.customer_name}") for t in said)

    def acknowledged() -> bool:
        row = _callback(shop.db_url, cb_id)
        return row is not None and row.status == "due" and row.seen_at is not None

    qtbot.waitUntil(acknowledged, timeout=20_000)


def test_shift_f4_lists_callbacks_and_enter_calls_one_back(
    qtbot: QtBot,
    shop: CallShop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    shop.twilio.clear()
    desk = desk_factory(shop.server, "demo")
    w = desk.window
    _open(qtbot, desk, shop)
    backs = w.callback_desk
    # One in the queue, by hand (as a teammate would leave it).
    cb_id, _changes = backs.callbacks.schedule(
        shop.customer_id,
        utcnow() + timedelta(hours=2),
        mine=False,
        conversation_id=shop.conversation_id,
        phone=shop.number,
        note="Queue callback",
    )
    qtbot.waitUntil(desk.synced, timeout=20_000)
    qtbot.keyClick(w, Qt.Key.Key_F4, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: backs.dialog is not None and backs.dialog.isVisible(), timeout=10_000)
    from csdesk.ui.panels.callback_list import CallbackListDialog

    dialog = backs.dialog
    assert isinstance(dialog, CallbackListDialog)
    dialog.list.setFocus()  # no window manager offscreen: the dialog is not activated
    rows = [dialog.list.item(n).text() for n in range(dialog.list.count())]
    at = next(n for n, cb in enumerate(dialog.callbacks) if cb.id == cb_id)
    assert "in the queue" in rows[at] and "Queue callback" in rows[at]
    dialog.list.setCurrentRow(at)
    with qtbot.waitSignal(backs.placed, timeout=20_000):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(shop.twilio.calls_created()), timeout=20_000)
    assert shop.twilio.calls_created()[0]["To"] == DEMO_PHONE
    qtbot.waitUntil(desk.synced, timeout=20_000)

    def done() -> Any:
        row = _callback(shop.db_url, cb_id)
        return row is not None and row.status == "done"

    qtbot.waitUntil(done, timeout=20_000)
    row = _callback(shop.db_url, cb_id)
    assert row is not None and row.assignee_id == desk.ws.me.id and row.done_call_id


def test_a_callback_is_rescheduled_from_the_list(
    qtbot: QtBot,
    shop: CallShop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """Shift+F4, a callback, Alt+R: the scheduling dialog comes back filled in (time, who,
    note); a later time and the queue go to the server as ``callback.update``."""
    from csdesk.ui.panels.callback_dialog import CallbackDialog
    from csdesk.ui.panels.callback_list import CallbackListDialog

    desk = desk_factory(shop.server, "demo")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    _open(qtbot, desk, shop)
    backs = w.callback_desk
    first = utcnow() + timedelta(hours=2)
    cb_id, _changes = backs.callbacks.schedule(
        shop.customer_id, first, mine=True, phone=shop.number, note="Move me"
    )
    qtbot.waitUntil(desk.synced, timeout=20_000)
    backs.show_list()
    qtbot.waitUntil(lambda: isinstance(backs.dialog, CallbackListDialog), timeout=10_000)
    listing = backs.dialog
    assert isinstance(listing, CallbackListDialog)
    listing.list.setCurrentRow(next(n for n, cb in enumerate(listing.callbacks) if cb.id == cb_id))
    listing.list.setFocus()
    qtbot.keyClick(listing.list, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: isinstance(backs.dialog, CallbackDialog), timeout=10_000)
    dialog = backs.dialog
    assert isinstance(dialog, CallbackDialog)
    assert dialog.windowTitle() == "Reschedule a callback"
    assert dialog.note.text() == "Move me" and dialog.mine()
    assert abs((dialog.due_at() - first).total_seconds()) < 60
    later = first + timedelta(days=1)
    from PySide6.QtCore import QDateTime

    dialog.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(later.timestamp())))
    dialog.who.setCurrentIndex(1)  # the queue
    dialog.accept()
    qtbot.waitUntil(lambda: any(t.startswith(f"Callback to {shop.customer_name} moved to")
                                for t in said), timeout=10_000)  # fmt: skip

    def moved() -> bool:
        row = _callback(shop.db_url, cb_id)
        return (
            row is not None
            and row.assignee_id is None
            and abs((row.due_at.replace(tzinfo=later.tzinfo) - later).total_seconds()) < 60
        )

    qtbot.waitUntil(moved, timeout=30_000)
    row = _callback(shop.db_url, cb_id)
    assert row is not None and row.note == "Move me" and row.status == "scheduled"


def test_offline_f5_refuses_with_a_clear_message(
    qtbot: QtBot,
    tmp_path: Path,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    url = seed_demo_db(tmp_path / "small.db", customers=8)
    server = ServerProcess(url, log_path=tmp_path / "small.log").start()
    try:
        desk = desk_factory(server, "demo")
        w = desk.window
        qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=20_000)
        w.inbox.step(1)
        qtbot.waitUntil(lambda: w.customer_ctx is not None, timeout=20_000)
        said: list[str] = []
        w.announced.connect(said.append)
        server.kill()
        qtbot.waitUntil(lambda: desk.engine.status.state == SyncState.OFFLINE, timeout=30_000)
        pending = desk.engine.status.pending
        qtbot.keyClick(w, Qt.Key.Key_F5)
        assert any("You are offline, so the call was not placed" in t for t in said)
        assert desk.engine.status.pending == pending  # nothing queued
    finally:
        server.stop()


def test_ctrl_shift_f5_sets_the_agents_own_call_phone(
    qtbot: QtBot,
    shop: CallShop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QInputDialog

    desk = desk_factory(shop.server, "demo")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    w.callback_desk  # noqa: B018  (built after the first list; the shortcut needs it)
    _open(qtbot, desk, shop)
    seen: list[str] = []

    def answer(text: str) -> None:
        dialog = w.findChild(QInputDialog, "call_phone_dialog")
        assert dialog is not None and dialog.isVisible()
        seen.append(dialog.accessibleName())
        dialog.setTextValue(text)
        dialog.accept()

    QTimer.singleShot(0, lambda: answer("not a phone"))
    qtbot.keyClick(
        w, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert seen == ["My phone for calls"]
    assert any(t.startswith("That is not a number") for t in said)
    # No window manager offscreen: the window is active again only when told so.
    w.activateWindow()
    w.inbox.list.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5_000)
    QTimer.singleShot(0, lambda: answer("client:demo"))
    qtbot.keyClick(
        w, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: "Your calls will ring client:demo first." in said, timeout=10_000)

    def stored() -> bool:
        state = _state(shop.db_url)
        try:
            with state.reads() as s:
                user = s.scalars(select(m.User).where(m.User.username == "demo")).one()
                return user.call_phone == "client:demo"
        finally:
            state.engine.dispose()

    qtbot.waitUntil(stored, timeout=20_000)
    state = _state(shop.db_url)
    try:
        with state.writes() as s:
            s.scalars(select(m.User).where(m.User.username == "demo")).one().call_phone = DEMO_PHONE
            s.commit()
    finally:
        state.engine.dispose()
