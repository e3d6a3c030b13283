"""Issue 11, the customer record: the agent edits the customer from the desk by keyboard
alone (checked as the server checks, only changed fields sent, offline too), a refused edit
reverts and says why, and two customers merge after a preview and come apart again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.domain.enums import Role
from csdesk.storage import models as m
from csdesk.sync.events import SyncState
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.customer_edit import CustomerEditDialog
from csdesk.ui.panels.customer_merge import CustomerChooser, MergePreviewDialog
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALEX = TestUser("alex", "demo-password", Role.AGENT)


@pytest.fixture
def crm_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own (the offline test stops it and changes its database meanwhile)."""
    url = seed_demo_db(tmp_path / "crm.db", customers=10)
    server = ServerProcess(url, log_path=tmp_path / "crm.log").start()
    try:
        yield server
    finally:
        server.stop()


def _customers_with_conversations(desk: Desk, n: int) -> list[tuple[str, str]]:
    """(customer id, an open conversation of theirs) for ``n`` customers with an email."""
    with desk.engine.cache.session() as s:
        rows = s.execute(
            select(m.Customer.id, func.min(m.Conversation.id))
            .join(m.Conversation, m.Conversation.customer_id == m.Customer.id)
            .where(
                m.Customer.merged_into_id.is_(None),
                m.Customer.email.is_not(None),
                m.Conversation.deleted_at.is_(None),
                m.Conversation.status == "open",
            )
            .group_by(m.Customer.id)
            .order_by(m.Customer.name)
            .limit(n)
        ).all()
    assert len(rows) == n
    return [(str(a), str(b)) for a, b in rows]


def _open(qtbot: QtBot, w: MainWindow, cid: str) -> None:
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.shown_view == View.ALL_OPEN and cid in w.model.ids(), timeout=20_000)
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(
        lambda: w.open_conv is not None and w.open_conv.id == cid and w.customer_ctx is not None,
        timeout=20_000,
    )


def _focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _key(
    qtbot: QtBot, key: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(_focus(), key, mods)


def _replace(qtbot: QtBot, text: str) -> None:
    """Select what the focused line holds and type ``text`` over it."""
    field = _focus()
    assert isinstance(field, QLineEdit), field
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text:
        qtbot.keyClicks(field, text)
    else:
        qtbot.keyClick(field, Qt.Key.Key_Delete)


def _edit_dialog(qtbot: QtBot, w: MainWindow) -> CustomerEditDialog:
    qtbot.keyClick(w, Qt.Key.Key_U, CTRL_SHIFT)  # "Edit customer…"
    qtbot.waitUntil(
        lambda: isinstance(w.customer_dialog, CustomerEditDialog) and w.customer_dialog.isVisible(),
        timeout=5_000,
    )
    dialog = w.customer_dialog
    assert isinstance(dialog, CustomerEditDialog)
    dialog.activateWindow()
    dialog.name_edit.setFocus()  # offscreen has no window manager to give it focus
    qtbot.waitUntil(dialog.name_edit.hasFocus, timeout=5_000)
    return dialog


def _record_pushes(desk: Desk) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    original = desk.engine.enqueue

    def enqueue(mtype: Any, args: Any) -> str:
        seen.append((str(mtype), dict(args)))
        return original(mtype, args)

    desk.engine.enqueue = enqueue  # type: ignore[method-assign]
    return seen


def _server_customer(server: ServerProcess, customer_id: str) -> dict[str, Any]:
    api = Raw.signed_in(server, ALEX)
    data = api.get(f"/api/v1/entities/customer/{customer_id}").json()["data"]
    assert isinstance(data, dict)
    return data


def test_edit_the_customer_by_keyboard_alone(
    qtbot: QtBot, crm_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(crm_server, "demo")
    other = desk_factory(crm_server, "alex", show=False)
    w = desk.window
    ((cust, cid),) = _customers_with_conversations(desk, 1)
    _open(qtbot, w, cid)
    before = w.customer_ctx
    assert before is not None and before.id == cust
    pushed = _record_pushes(desk)

    dialog = _edit_dialog(qtbot, w)
    assert not unnamed_focusables(dialog)
    assert dialog.email_edit.accessibleName() == "Email"
    _replace(qtbot, "Ann Keyboard")
    _key(qtbot, Qt.Key.Key_Tab)
    _replace(qtbot, "not an address")
    _key(qtbot, Qt.Key.Key_Return)
    # Refused in the dialog, beside the field, which has the focus again; nothing sent.
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=5_000)
    assert "not an email address" in dialog.error.text()
    assert dialog.email_edit.hasFocus() and dialog.isVisible()
    assert pushed == []
    _replace(qtbot, "Ann.Keyboard@Example.COM")
    _key(qtbot, Qt.Key.Key_Tab)
    _replace(qtbot, "0207 946 0958")  # national: the server could not tell the country
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.phone_edit.hasFocus, timeout=5_000)
    assert "international form" in dialog.error.text()
    _replace(qtbot, "+44 20 7946 0958")
    _key(qtbot, Qt.Key.Key_Tab)  # language: left as it is
    _key(qtbot, Qt.Key.Key_Tab)
    _replace(qtbot, ", ".join([*before.tags, "desk-edited"]))
    _key(qtbot, Qt.Key.Key_Tab)
    assert _focus() is dialog.notes_edit
    _key(qtbot, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.notes_edit, "Prefers a call after 5pm.")
    _key(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)  # back to the tags
    _key(qtbot, Qt.Key.Key_Return)

    # Seen at once in the pane, as plain text; only what changed was sent.
    card = w.customer.card
    qtbot.waitUntil(lambda: card.name.text() == "Ann Keyboard", timeout=10_000)
    assert card.initials.text() == "AK"
    assert card.name.textFormat() == Qt.TextFormat.PlainText
    assert "desk-edited" in card.facts.text()
    assert "Prefers a call after 5pm." in w.customer.details.toPlainText()
    assert [t for t, _a in pushed] == ["customer.update"]
    fields = pushed[0][1]["fields"]
    assert set(fields) == {"name", "email", "phone", "tags", "notes"}  # not the language
    assert fields["email"] == "Ann.Keyboard@example.com"  # the server's spelling
    assert fields["phone"] == "+442079460958"
    assert cust not in card.facts.text() and cust not in w.customer.details.toPlainText()
    row = w.model.row_of(cid)
    assert row is not None
    qtbot.waitUntil(
        lambda: "Ann Keyboard" in str(w.model.index(row).data(Qt.ItemDataRole.AccessibleTextRole)),
        timeout=10_000,
    )  # the inbox list's row too

    qtbot.waitUntil(desk.synced, timeout=20_000)
    data = _server_customer(crm_server, cust)
    assert data["name"] == "Ann Keyboard" and data["phone"] == "+442079460958"
    assert data["email"] == "Ann.Keyboard@example.com"
    assert data["notes"] == before.notes + "Prefers a call after 5pm."
    assert data["tags"] == [*before.tags, "desk-edited"]
    assert data["language"] == before.language
    # A colleague's desk hears it from the feed.
    qtbot.waitUntil(
        lambda: (ctx := other.ws.customer(cust)) is not None and ctx.name == "Ann Keyboard",
        timeout=20_000,
    )


def test_an_offline_edit_syncs_later_and_a_refused_one_reverts(
    qtbot: QtBot, crm_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(crm_server, "demo")
    w = desk.window
    (cust, cid), (gone, gone_cid), (keeper, _k) = _customers_with_conversations(desk, 3)
    _open(qtbot, w, cid)
    crm_server.kill()
    qtbot.waitUntil(lambda: desk.engine.status.state == SyncState.OFFLINE, timeout=30_000)

    _edit_dialog(qtbot, w)
    _replace(qtbot, "Written Offline")
    _key(qtbot, Qt.Key.Key_Return)
    card = w.customer.card
    qtbot.waitUntil(lambda: card.name.text() == "Written Offline", timeout=10_000)  # at once
    assert w.customer_dialog is None  # answered and gone
    qtbot.waitUntil(lambda: desk.engine.status.pending == 1, timeout=5_000)

    # Another customer, edited offline too, is merged away on the server meanwhile.
    _open(qtbot, w, gone_cid)
    original = w.customer_ctx.name if w.customer_ctx else ""
    _edit_dialog(qtbot, w)
    _replace(qtbot, "Never Kept")
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card.name.text() == "Never Kept", timeout=10_000)
    _merge_on_the_server(crm_server.db_url, gone, keeper)

    # Every notice put in the line: a later one (back online, a reminder) may replace the
    # refusal's before a poll sees it on a loaded box.
    notices: list[str] = []
    set_text = w.notice_label.setText

    def record(text: str) -> None:
        notices.append(text)
        set_text(text)

    w.notice_label.setText = record  # type: ignore[method-assign]
    crm_server.start()
    qtbot.waitUntil(
        lambda: desk.engine.status.state == SyncState.ONLINE and desk.engine.status.pending == 0,
        timeout=60_000,
    )
    assert _server_customer(crm_server, cust)["name"] == "Written Offline"
    refused = "This customer was merged into another profile."
    qtbot.waitUntil(lambda: any(refused in n for n in notices), timeout=40_000)
    qtbot.waitUntil(
        lambda: (ctx := desk.ws.customer(gone)) is not None and ctx.name == original,
        timeout=40_000,
    )  # reverted to the server's truth
    assert _server_customer(crm_server, gone)["name"] == original
    # The open conversation now belongs to the kept profile; the card says why the edit went.
    qtbot.waitUntil(
        lambda: w.customer_ctx is not None and w.customer_ctx.id == keeper, timeout=40_000
    )
    assert card.refusal.isVisibleTo(w) and refused in card.refusal.text()


def _merge_on_the_server(db_url: str, source: str, target: str) -> None:
    """A colleague's merge, written while the server is down (no race with the desk)."""
    from csdesk.server.channels.merge import merge_customers
    from csdesk.server.config import ServerConfig
    from csdesk.server.state import ServerState

    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            merge_customers(s, None, "production", source, target)
            s.commit()
    finally:
        state.engine.dispose()


def test_merge_with_a_preview_then_undo(
    qtbot: QtBot, crm_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(crm_server, "demo")
    w = desk.window
    (source, cid), (target, _t) = _customers_with_conversations(desk, 2)
    with desk.engine.cache.session() as s:
        target_name = s.get(m.Customer, target).name  # type: ignore[union-attr]
        source_name = s.get(m.Customer, source).name  # type: ignore[union-attr]
        moving = s.scalar(
            select(func.count()).where(
                m.Conversation.customer_id == source, m.Conversation.deleted_at.is_(None)
            )
        )
        orders = list(s.scalars(select(m.Order.number).where(m.Order.customer_id == source)))
    _open(qtbot, w, cid)

    qtbot.keyClick(w, Qt.Key.Key_K, CTRL_SHIFT)  # "Merge into another customer…"
    qtbot.waitUntil(
        lambda: isinstance(w.customer_dialog, CustomerChooser) and w.customer_dialog.isVisible(),
        timeout=5_000,
    )
    chooser = w.customer_dialog
    assert isinstance(chooser, CustomerChooser)
    assert not unnamed_focusables(chooser)
    chooser.field.setFocus()
    qtbot.waitUntil(chooser.field.hasFocus, timeout=5_000)
    qtbot.keyClicks(chooser.field, target_name)
    qtbot.waitUntil(
        lambda: chooser.list.count() >= 1 and chooser.list.item(0).text().startswith(target_name),
        timeout=10_000,
    )
    assert all(source_name not in chooser.list.item(i).text() for i in range(chooser.list.count()))
    _key(qtbot, Qt.Key.Key_Down)
    assert chooser.list.hasFocus()
    _key(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(
        lambda: isinstance(w.customer_dialog, MergePreviewDialog) and w.customer_dialog.isVisible(),
        timeout=10_000,
    )
    preview = w.customer_dialog
    assert isinstance(preview, MergePreviewDialog)
    text = preview.summary.text()
    assert f"Merge {source_name} into {target_name}?" in text
    assert f"{moving} conversation" in text
    assert (
        ("Orders that move: " + ", ".join(sorted(orders))) in text
        if orders
        else ("No orders move." in text)
    )
    assert preview.merge_button.hasFocus() or preview.merge_button.isDefault()
    preview.merge_button.setFocus()
    qtbot.keyClick(preview.merge_button, Qt.Key.Key_Space)

    # The open conversation moved to the kept profile, whose card offers the undo.
    card = w.customer.card
    qtbot.waitUntil(
        lambda: w.customer_ctx is not None and w.customer_ctx.id == target, timeout=10_000
    )
    qtbot.waitUntil(lambda: card.unmerge_button.isVisibleTo(w), timeout=10_000)
    assert card.unmerge_button.text() == f"Undo merge of {source_name}"
    qtbot.waitUntil(desk.synced, timeout=20_000)
    assert _server_customer(crm_server, source)["merged_into_id"] == target

    qtbot.keyClick(w, Qt.Key.Key_X, CTRL_SHIFT)  # "Undo merge"
    qtbot.waitUntil(
        lambda: desk.synced() and w.customer_ctx is not None and w.customer_ctx.id == source,
        timeout=20_000,
    )
    assert _server_customer(crm_server, source)["merged_into_id"] is None
    assert not card.unmerge_button.isVisibleTo(w)
    assert card.name.text() == source_name
