"""Issue 11, the customer record on the desk: the card shows the server's figures, the
timeline interleaves everything newest first as whole sentences, filters by kind, and Enter
opens what an item names (a conversation, or the order in the pane); a conversation is
linked to another customer by keyboard alone, audited, and both timelines say so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from csdesk.app.present import money
from csdesk.app.timeline import Kind
from csdesk.domain.enums import Role
from csdesk.storage import models as m
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.customer_merge import CustomerChooser
from tests.gui.conftest import Desk, seed_demo_db
from tests.gui.test_customer_record import _open
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
ALEX = TestUser("alex", "demo-password", Role.AGENT)


@pytest.fixture
def record_server(tmp_path: Path) -> Iterator[ServerProcess]:
    url = seed_demo_db(tmp_path / "record.db", customers=12)
    server = ServerProcess(url, log_path=tmp_path / "record.log").start()
    try:
        yield server
    finally:
        server.stop()


def _focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _busy_customer(desk: Desk) -> tuple[str, list[str]]:
    """A customer with orders and at least two open conversations: (id, conversation ids)."""
    with desk.engine.cache.session() as s:
        with_orders = select(m.Order.customer_id).distinct().scalar_subquery()
        row = s.execute(
            select(m.Conversation.customer_id, func.count())
            .where(
                m.Conversation.deleted_at.is_(None),
                m.Conversation.status == "open",
                m.Conversation.customer_id.in_(with_orders),
            )
            .group_by(m.Conversation.customer_id)
            .having(func.count() >= 2)
            .order_by(m.Conversation.customer_id)
            .limit(1)
        ).first()
        assert row is not None, "the demo store has a customer with orders and conversations"
        cust = str(row[0])
        convs = [
            str(c)
            for c in s.scalars(
                select(m.Conversation.id)
                .where(
                    m.Conversation.customer_id == cust,
                    m.Conversation.deleted_at.is_(None),
                    m.Conversation.status == "open",
                )
                .order_by(m.Conversation.id)
            )
        ]
    return cust, convs


def _to_timeline(qtbot: QtBot, w: MainWindow) -> None:
    qtbot.keyClick(w, Qt.Key.Key_H, CTRL_ALT)
    qtbot.waitUntil(lambda: w.customer.timeline.list.hasFocus(), timeout=5_000)


def _choose_kind(qtbot: QtBot, w: MainWindow, kind: str) -> None:
    """Shift+Tab from the list to the filter, arrow keys to ``kind``, Tab back to the list."""
    tl = w.customer.timeline
    qtbot.keyClick(_focus(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert _focus() is tl.filter
    qtbot.keyClick(tl.filter, Qt.Key.Key_Home)
    for _step in range(tl.filter.count()):
        if tl.kind() == kind:
            break
        qtbot.keyClick(tl.filter, Qt.Key.Key_Down)
    assert tl.kind() == kind
    qtbot.keyClick(tl.filter, Qt.Key.Key_Tab)
    assert _focus() is tl.list


def test_figures_timeline_filter_and_open_by_keyboard(
    qtbot: QtBot, record_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(record_server, "demo")
    w = desk.window
    cust, convs = _busy_customer(desk)
    first, other = convs[0], convs[1]
    _open(qtbot, w, first)

    # The card says the server's figures, in words.
    api = Raw.signed_in(record_server, ALEX)
    figures = api.get(f"/api/v1/entities/customer_stats/{cust}").json()["data"]
    facts = w.customer.card.facts.text()
    ltv = money(figures["lifetime_value_cents"], figures["currency"])
    assert f"Lifetime value: {ltv}" in facts
    assert "Return rate:" in facts and "Last contact:" in facts
    assert cust not in facts

    # Ctrl+Alt+H: the timeline, newest first, each item one sentence.
    _to_timeline(qtbot, w)
    tl = w.customer.timeline
    qtbot.waitUntil(lambda: tl.list.count() > 3, timeout=10_000)
    items = desk.ws.timeline(cust)
    assert [tl.list.item(i).text() for i in range(tl.list.count())] == [i.text for i in items]
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    kinds = {i.kind for i in items}
    assert {Kind.CONVERSATION, Kind.MESSAGE, Kind.ORDER} <= kinds
    for i in range(tl.list.count()):
        row = tl.list.item(i)
        assert row.data(Qt.ItemDataRole.AccessibleTextRole) == row.text()
        assert row.text().rstrip().endswith((".", "?", "!", "…")) or ": " in row.text()
    assert not unnamed_focusables(w)

    # Only orders; Enter on one selects it in the pane (said in words, focus on it).
    _choose_kind(qtbot, w, Kind.ORDER)
    orders = [i for i in items if i.kind == Kind.ORDER]
    assert tl.list.count() == len(orders) and tl.list.currentRow() == 0
    assert "Order" in tl.list.item(0).text()
    qtbot.keyClick(tl.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.customer.details.hasFocus(), timeout=5_000)
    assert w.customer.details.selected_order == orders[0].order_id
    assert "Selected:" in w.customer.details.toPlainText()

    # Only conversations; Enter on another one opens it in the conversation view.
    _to_timeline(qtbot, w)
    _choose_kind(qtbot, w, Kind.CONVERSATION)
    target = next(
        n
        for n in range(tl.list.count())
        if tl.list.item(n).data(Qt.ItemDataRole.UserRole)[0] == other
    )
    tl.list.setCurrentRow(target)
    qtbot.keyClick(tl.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == other, timeout=10_000)
    assert w.customer_ctx is not None and w.customer_ctx.id == cust
    assert tl.kind() == Kind.CONVERSATION  # the filter stays for the same customer


def test_link_a_conversation_to_another_customer_by_keyboard(
    qtbot: QtBot, record_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(record_server, "demo")
    w = desk.window
    cust, convs = _busy_customer(desk)
    cid = convs[0]
    with desk.engine.cache.session() as s:
        # A name typed key by key: plain letters (the test keyboard has no "Ø" or "ł" key).
        target, target_name = next(
            (r.id, r.name)
            for r in s.execute(
                select(m.Customer.id, m.Customer.name)
                .where(m.Customer.id != cust, m.Customer.merged_into_id.is_(None))
                .order_by(m.Customer.name)
            )
            if r.name.replace(" ", "").isascii() and r.name.replace(" ", "").isalpha()
        )
        source_name = s.get(m.Customer, cust).name  # type: ignore[union-attr]
    _open(qtbot, w, cid)

    qtbot.keyClick(w, Qt.Key.Key_L, CTRL_ALT)  # "Link conversation to another customer…"
    qtbot.waitUntil(
        lambda: isinstance(w.customer_dialog, CustomerChooser) and w.customer_dialog.isVisible(),
        timeout=5_000,
    )
    chooser = w.customer_dialog
    assert isinstance(chooser, CustomerChooser)
    assert chooser.objectName() == "link_chooser"
    assert "Link" in chooser.windowTitle()
    assert not unnamed_focusables(chooser)
    chooser.field.setFocus()
    qtbot.waitUntil(chooser.field.hasFocus, timeout=5_000)
    qtbot.keyClicks(chooser.field, target_name)
    qtbot.waitUntil(
        lambda: chooser.list.count() >= 1 and chooser.list.item(0).text().startswith(target_name),
        timeout=10_000,
    )
    qtbot.keyClick(chooser.field, Qt.Key.Key_Down)
    qtbot.keyClick(chooser.list, Qt.Key.Key_Return)

    # At once on the desk: the open conversation belongs to the other customer now.
    qtbot.waitUntil(
        lambda: w.customer_ctx is not None and w.customer_ctx.id == target, timeout=10_000
    )
    qtbot.waitUntil(desk.synced, timeout=30_000)
    api = Raw.signed_in(record_server, ALEX)
    conv = api.get(f"/api/v1/entities/conversation/{cid}").json()["data"]
    assert conv["customer_id"] == target
    # The server's event reached the desk: the target's timeline says who linked what.
    tl = w.customer.timeline

    def linked_here() -> list[str]:
        return [
            tl.list.item(i).text()
            for i in range(tl.list.count())
            if "linked" in tl.list.item(i).text() and source_name in tl.list.item(i).text()
        ]

    qtbot.waitUntil(lambda: bool(linked_here()), timeout=20_000)
    assert "this customer" in linked_here()[0]
    # And the customer it left has it on theirs.
    away = [i for i in desk.ws.timeline(cust) if i.kind == Kind.PROFILE]
    assert away and target_name in away[0].text and away[0].conversation_id == cid
