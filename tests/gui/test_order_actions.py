"""Issue 11, order actions from the desk, by keyboard alone: refund a line (F8), start an
exchange (Shift+F8), cancel an unshipped order (F9), grant goodwill (F7); every field named;
the result shown on the order. A refund above the limit waits for a supervisor, who approves
it from another desk (Shift+F9), and the agent sees the result. Tracking opens by keyboard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.domain.enums import OrderStatus
from csdesk.storage import models as m
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.approvals import ApprovalsDialog
from csdesk.ui.panels.goodwill_dialog import GoodwillDialog
from csdesk.ui.panels.order_action_dialog import OrderActionDialog, parse_amount
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.server import ServerProcess

SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def _serve(path: Path) -> Iterator[ServerProcess]:
    url = seed_demo_db(path / "shop.db", customers=40)
    server = ServerProcess(url, log_path=path / "shop.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    """The demo store with the default refund approval limit (100.00)."""
    monkeypatch.delenv("CSDESK_REFUND_APPROVAL_LIMIT", raising=False)
    yield from _serve(tmp_path)


@pytest.fixture
def strict_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    """The demo store with a refund approval limit of 20.00."""
    monkeypatch.setenv("CSDESK_REFUND_APPROVAL_LIMIT", "2000")
    yield from _serve(tmp_path)


def _pick(desk: Desk, status: str, *, skip: frozenset[str] = frozenset()) -> tuple[str, str, str]:
    """(conversation, order id, order number): an open conversation whose customer has an
    order in ``status`` with lines and no action yet; the order is the customer's newest."""
    with desk.engine.cache.session() as s:
        newest = (
            select(m.Order.customer_id, func.max(m.Order.placed_at).label("at"))
            .group_by(m.Order.customer_id)
            .subquery()
        )
        rows = s.execute(
            select(m.Conversation.id, m.Order.id, m.Order.number)
            .join(m.Order, m.Order.customer_id == m.Conversation.customer_id)
            .join(
                newest,
                (newest.c.customer_id == m.Order.customer_id) & (newest.c.at == m.Order.placed_at),
            )
            .where(
                m.Conversation.status == "open",
                m.Conversation.deleted_at.is_(None),
                m.Conversation.realm == "production",
                m.Order.status == status,
                m.Order.total_cents > 3000,
                m.Order.id.in_(select(m.OrderLine.order_id)),
            )
            .order_by(m.Conversation.id)
        ).all()
    for cid, oid, number in rows:
        if oid not in skip:
            return str(cid), str(oid), str(number)
    raise AssertionError(f"no open conversation with a {status} order")


def _open(qtbot: QtBot, w: MainWindow, cid: str) -> None:
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.shown_view == View.ALL_OPEN and cid in w.model.ids(), timeout=20_000)
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(
        lambda: w.open_conv is not None and w.open_conv.id == cid and w.customer_ctx is not None,
        timeout=20_000,
    )
    w.inbox.list.setFocus()


def _focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _type(qtbot: QtBot, text: str) -> None:
    qtbot.keyClicks(_focus(), text)


def _key(qtbot: QtBot, key: Qt.Key, mods: Qt.KeyboardModifier = NONE) -> None:
    qtbot.keyClick(_focus(), key, mods)


def _dialog(qtbot: QtBot, w: MainWindow, key: Qt.Key, mods: Qt.KeyboardModifier = NONE) -> QWidget:
    qtbot.keyClick(w, key, mods)
    qtbot.waitUntil(
        lambda: w.customer_dialog is not None and w.customer_dialog.isVisible(), timeout=10_000
    )
    dialog = w.customer_dialog
    assert dialog is not None
    dialog.activateWindow()
    return dialog


def _choose_order(qtbot: QtBot, dialog: OrderActionDialog, order_id: str) -> None:
    dialog.order_box.setFocus()
    qtbot.waitUntil(dialog.order_box.hasFocus, timeout=5_000)
    target = [o.id for o in dialog.orders].index(order_id)
    while dialog.order_box.currentIndex() < target:
        _key(qtbot, Qt.Key.Key_Down)
    assert dialog.order.id == order_id


def _tab_to(qtbot: QtBot, widget: QWidget) -> None:
    for _i in range(40):
        if widget.hasFocus():
            return
        _key(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {widget.objectName()}")


def _action(desk: Desk, order_id: str, kind: str) -> m.OrderAction | None:
    with desk.engine.cache.session() as s:
        return s.scalars(
            select(m.OrderAction).where(
                m.OrderAction.order_id == order_id, m.OrderAction.kind == kind
            )
        ).first()


def _status(desk: Desk, order_id: str, kind: str) -> str | None:
    a = _action(desk, order_id, kind)
    return a.status if a is not None else None


def test_amounts_are_read_as_money() -> None:
    assert parse_amount("12.50") == 1250
    assert parse_amount(" 12,5 ") == 1250
    assert parse_amount("1,234.00") == 123400
    assert parse_amount("") is None
    for bad in ("abc", "1.234", "nan", "inf", "1e400", "9" * 20):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_refund_a_line_and_start_an_exchange_by_keyboard(
    qtbot: QtBot, shop: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(shop, "demo")
    w = desk.window
    cid, order_id, number = _pick(desk, OrderStatus.DELIVERED.value)
    _open(qtbot, w, cid)

    # F8: refund one unit of the first line, with a reason.
    dialog = _dialog(qtbot, w, Qt.Key.Key_F8)
    assert isinstance(dialog, OrderActionDialog)
    assert unnamed_focusables(dialog) == []
    _choose_order(qtbot, dialog, order_id)
    line = dialog.quantities[0][1]
    price = dialog.order.lines[0].unit_price_cents
    _tab_to(qtbot, line)
    assert line.accessibleName().endswith("how many to refund")
    _key(qtbot, Qt.Key.Key_Up)
    assert line.value() == 1
    _tab_to(qtbot, dialog.reason)
    _type(qtbot, "Arrived chipped")
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.customer_dialog is None, timeout=5_000)
    qtbot.waitUntil(lambda: _status(desk, order_id, "refund") == "done", timeout=20_000)
    refund = _action(desk, order_id, "refund")
    assert refund is not None and refund.amount_cents == price
    assert refund.args["reason"] == "Arrived chipped"
    qtbot.waitUntil(
        lambda: "recorded in csdesk, no store connected" in w.customer.details.toPlainText(),
        timeout=10_000,
    )
    assert "Refund of" in w.customer.details.toPlainText()

    # Shift+F8: an exchange of the same line, with instructions.
    dialog = _dialog(qtbot, w, Qt.Key.Key_F8, SHIFT)
    assert isinstance(dialog, OrderActionDialog)
    _choose_order(qtbot, dialog, order_id)
    _tab_to(qtbot, dialog.kind_box)
    _key(qtbot, Qt.Key.Key_Down)  # Return -> Exchange
    assert dialog.kind.value == "exchange"
    assert unnamed_focusables(dialog) == []
    _key(qtbot, Qt.Key.Key_Return)  # no line chosen: refused beside the field
    assert dialog.isVisible() and dialog.error.isVisible()
    line = dialog.quantities[0][1]
    assert line.hasFocus(), (dialog.error.text(), QApplication.focusWidget())
    _key(qtbot, Qt.Key.Key_Up)
    _tab_to(qtbot, dialog.reason)
    _type(qtbot, "Wrong size")
    _tab_to(qtbot, dialog.instructions)
    _type(qtbot, "Print the label and drop the parcel at a post office.")
    dialog.ok.setFocus()
    _key(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: _status(desk, order_id, "exchange") == "done", timeout=20_000)
    exchange = _action(desk, order_id, "exchange")
    assert exchange is not None and f"{number}-R1" in exchange.detail
    assert exchange.args["instructions"].startswith("Print the label")


def test_cancel_an_unshipped_order_and_grant_goodwill(
    qtbot: QtBot, shop: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(shop, "demo")
    w = desk.window
    cid, order_id, _number = _pick(desk, OrderStatus.PAID.value)
    _open(qtbot, w, cid)
    dialog = _dialog(qtbot, w, Qt.Key.Key_F9)
    assert isinstance(dialog, OrderActionDialog)
    _choose_order(qtbot, dialog, order_id)
    _tab_to(qtbot, dialog.kind_box)
    assert dialog.kind.value == "cancel"
    assert unnamed_focusables(dialog) == []
    _tab_to(qtbot, dialog.reason)
    _type(qtbot, "Ordered twice")
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _status(desk, order_id, "cancel") == "done", timeout=20_000)
    with desk.engine.cache.session() as s:
        order = s.get(m.Order, order_id)
        assert order is not None and order.status == "cancelled"

    points = w.customer_ctx.loyalty_points if w.customer_ctx else 0
    # The card's Goodwill button is the same action as F7 (Tab to it, Space).
    (button,) = [b for b in w.customer.card.order_buttons if b.objectName() == "goodwill"]
    assert button.accessibleName() and "F7" in button.accessibleDescription()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=5_000)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: w.customer_dialog is not None and w.customer_dialog.isVisible(), timeout=10_000
    )
    dialog = w.customer_dialog
    assert isinstance(dialog, GoodwillDialog)
    assert unnamed_focusables(dialog) == []
    dialog.points.setFocus()
    qtbot.waitUntil(dialog.points.hasFocus, timeout=5_000)
    _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _type(qtbot, "150")
    _key(qtbot, Qt.Key.Key_Tab)
    _type(qtbot, "5.00")
    _key(qtbot, Qt.Key.Key_Tab)
    _type(qtbot, "Sorry for the mix-up")
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            w.customer_ctx is not None
            and w.customer_ctx.loyalty_points == points + 150
            and w.customer_ctx.store_credit_cents == 500
        ),
        timeout=20_000,
    )
    qtbot.waitUntil(lambda: "Store credit: 5.00" in w.customer.card.facts.text(), timeout=10_000)


def test_a_supervisor_approves_a_large_refund_from_another_desk(
    qtbot: QtBot, strict_shop: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    agent = desk_factory(strict_shop, "demo")
    boss = desk_factory(strict_shop, "sam")
    w = agent.window
    cid, order_id, number = _pick(agent, OrderStatus.DELIVERED.value)
    w.activateWindow()  # two windows: shortcuts go to the active one
    qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
    _open(qtbot, w, cid)

    # An agent cannot decide.
    qtbot.keyClick(w, Qt.Key.Key_F9, SHIFT)
    assert w.approvals_dialog is None

    dialog = _dialog(qtbot, w, Qt.Key.Key_F8)
    assert isinstance(dialog, OrderActionDialog)
    _choose_order(qtbot, dialog, order_id)
    _tab_to(qtbot, dialog.amount)
    _type(qtbot, "25.00")  # above the 20.00 limit
    _tab_to(qtbot, dialog.reason)
    _type(qtbot, "Parcel lost")
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: _status(agent, order_id, "refund") == "awaiting_approval", timeout=20_000
    )
    qtbot.waitUntil(
        lambda: "awaiting a supervisor's approval" in w.customer.details.toPlainText(),
        timeout=10_000,
    )

    b = boss.window
    qtbot.waitUntil(lambda: "Waiting for your approval" in b.notice_label.text(), timeout=20_000)
    assert number in b.notice_label.text()
    b.activateWindow()
    qtbot.waitUntil(b.isActiveWindow, timeout=5_000)
    qtbot.keyClick(b, Qt.Key.Key_F9, SHIFT)
    qtbot.waitUntil(
        lambda: b.approvals_dialog is not None and b.approvals_dialog.list.count() == 1,
        timeout=10_000,
    )
    approvals = b.approvals_dialog
    assert isinstance(approvals, ApprovalsDialog)
    assert unnamed_focusables(approvals) == []
    assert (
        "25.00" in approvals.list.item(0).text() and "Parcel lost" in approvals.list.item(0).text()
    )
    approvals.activateWindow()
    approvals.list.setFocus()
    qtbot.waitUntil(approvals.list.hasFocus, timeout=5_000)
    _key(qtbot, Qt.Key.Key_Tab)
    assert approvals.reason.hasFocus()
    _type(qtbot, "Lost by the carrier")
    _tab_to(qtbot, approvals.approve)
    _key(qtbot, Qt.Key.Key_Space)
    assert approvals.list.count() == 0

    # The agent's desk hears the result and shows it on the order.
    qtbot.waitUntil(lambda: _status(agent, order_id, "refund") == "done", timeout=30_000)
    qtbot.waitUntil(lambda: "Approved by Sam Okafor" in w.notice_label.text(), timeout=10_000)
    qtbot.waitUntil(
        lambda: "Approved by Sam Okafor" in w.customer.details.toPlainText(), timeout=10_000
    )


def test_a_tracking_number_opens_the_carriers_page_by_keyboard(
    qtbot: QtBot,
    shop: ServerProcess,
    desk_factory: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(
        "csdesk.ui.panels.customer.QDesktopServices.openUrl",
        lambda url: opened.append(QUrl(url).toString()) or True,
    )
    desk = desk_factory(shop, "demo")
    w = desk.window
    cid, _order, _number = _pick(desk, OrderStatus.SHIPPED.value)
    _open(qtbot, w, cid)
    details = w.customer.details
    assert "https://" in details.toHtml()
    details.setFocus()
    qtbot.waitUntil(details.hasFocus, timeout=5_000)
    for _i in range(30):  # Tab walks the links; Return follows the focused one
        qtbot.keyClick(details, Qt.Key.Key_Tab)
        if details.textCursor().charFormat().anchorHref().startswith("https://"):
            break
    qtbot.keyClick(details, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened), timeout=5_000)
    assert opened[0].startswith("https://")


def test_an_order_note_taken_offline_shows_at_once_and_is_sent_later(
    qtbot: QtBot, shop: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    from csdesk.sync.events import SyncState

    desk = desk_factory(shop, "demo")
    w = desk.window
    cid, order_id, _number = _pick(desk, OrderStatus.SHIPPED.value)
    _open(qtbot, w, cid)
    shop.kill()
    qtbot.waitUntil(lambda: desk.engine.status.state == SyncState.OFFLINE, timeout=30_000)

    dialog = _dialog(qtbot, w, Qt.Key.Key_F9)
    assert isinstance(dialog, OrderActionDialog)
    _choose_order(qtbot, dialog, order_id)
    _tab_to(qtbot, dialog.kind_box)
    for _i in range(3):  # Cancel, Resend, Address change, Note
        _key(qtbot, Qt.Key.Key_Down)
    assert dialog.kind.value == "note"
    assert unnamed_focusables(dialog) == []
    _tab_to(qtbot, dialog.note)
    _type(qtbot, "Customer asks for a call on Monday")
    dialog.ok.setFocus()
    _key(qtbot, Qt.Key.Key_Space)
    details = w.customer.details
    qtbot.waitUntil(
        lambda: (
            "Note: waiting to be sent — Customer asks for a call on Monday" in details.toPlainText()
        ),
        timeout=10_000,
    )
    assert _status(desk, order_id, "note") == "queued"

    shop.start()
    qtbot.waitUntil(lambda: _status(desk, order_id, "note") == "done", timeout=60_000)
    qtbot.waitUntil(lambda: "Note: done" in details.toPlainText(), timeout=10_000)


def test_declining_needs_a_reason_and_says_so_beside_the_field(qtbot: QtBot) -> None:
    from datetime import UTC, datetime

    from csdesk.app.order_actions import ApprovalRequest

    dialog = ApprovalsDialog()
    qtbot.addWidget(dialog)
    now = datetime.now(UTC)
    dialog.set_requests(
        [
            ApprovalRequest("a1", "#1001", "Ana <b>Lima</b>", 12000, "EUR", "Demo", "Lost", now),
            ApprovalRequest("a2", "#1002", "Bo", 15000, "EUR", "Demo", "", now),
        ]
    )
    dialog.show()
    assert dialog.summary.text() == "2 refunds wait for approval"
    assert dialog.list.item(0).text() == (
        "Refund of €120.00 on order #1001 for Ana <b>Lima</b>, asked by Demo: Lost"
    )
    decided: list[tuple[str, bool, str]] = []
    dialog.decided.connect(lambda i, ok, why: decided.append((i, ok, why)))
    dialog.activateWindow()
    dialog.decline.setFocus()
    qtbot.waitUntil(dialog.decline.hasFocus, timeout=5_000)
    qtbot.keyClick(dialog.decline, Qt.Key.Key_Space)
    assert decided == [] and dialog.error.isVisible() and dialog.reason.hasFocus()
    qtbot.keyClicks(dialog.reason, "Refunded twice already")
    dialog.decline.setFocus()
    qtbot.keyClick(dialog.decline, Qt.Key.Key_Space)
    assert decided == [("a1", False, "Refunded twice already")]
    assert dialog.list.count() == 1 and dialog.list.currentItem().text().startswith(
        "Refund of €150.00"
    )
    # A refresh keeps the selection on the same request.
    dialog.set_requests([ApprovalRequest("a2", "#1002", "Bo", 15000, "EUR", "Demo", "", now)])
    assert dialog.summary.text() == "1 refund waits for approval"
