"""Issue 9 item 32: a search looks through all conversations unless the agent keeps it in the
view (and the window says which), and every view is reachable by keyboard: Alt+1 to Alt+9
reach every status view, "Go to view…" (Ctrl+G) lists them all, the side bar moves with the
arrow keys. Item 37: the shortcut sheet names the views."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.app.present import view_label
from csdesk.storage import models as m
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.shortcuts import ShortcutsDialog
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def _press(qtbot: QtBot, w: QWidget, key: Qt.Key, mods: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(w.focusWidget() or w, key, mods)


def _loaded(w: MainWindow, view: str) -> bool:
    return w.shown_view == view and not w._reorder_pending


def test_search_looks_everywhere_and_says_so_and_the_view_can_narrow_it(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    me = desk.ws.me.id
    with desk.engine.cache.session() as s:  # a conversation that is not in Mine
        conv = s.scalars(
            select(m.Conversation).where(
                m.Conversation.assignee_id.is_not(None), m.Conversation.assignee_id != me
            )
        ).first()
        assert conv is not None
        customer = s.get(m.Customer, conv.customer_id)
        assert customer is not None and customer.email
        cid, email = conv.id, customer.email
    qtbot.waitUntil(lambda: _loaded(w, View.MINE) and w.model.rowCount() > 0, timeout=20_000)
    assert cid not in w.model.ids()

    w.inbox.search.setText(email)
    qtbot.waitUntil(lambda: w.query == email and cid in w.model.ids(), timeout=10_000)
    assert w.shown_view == View.MINE  # the view is still chosen; the search is not inside it
    assert w.inbox.scope.isVisibleTo(w)
    assert w.inbox.scope.text() == "Searching all conversations."
    assert w.inbox.scope_button.text() == "Search only in Mine"

    w.inbox.scope_button.click()  # narrow to the view: the conversation is not in it
    qtbot.waitUntil(lambda: cid not in w.model.ids() and not w._reorder_pending, timeout=10_000)
    assert w.inbox.scope.text() == "Searching in Mine only."
    assert w.inbox.scope_button.accessibleName() == "Search everywhere"
    if w.model.rowCount() == 0:
        assert w.inbox.empty.text() == f"No conversation in Mine matches “{email}”."

    w.inbox.scope_button.click()  # and lift the filter again
    qtbot.waitUntil(lambda: cid in w.model.ids(), timeout=10_000)
    w.inbox.search.setText("zzqx-nothing-matches")
    qtbot.waitUntil(lambda: w.model.rowCount() == 0 and w.inbox.empty.isVisible(), timeout=10_000)
    assert w.inbox.empty.text() == "No conversation anywhere matches “zzqx-nothing-matches”."
    w.inbox.search.clear()
    qtbot.waitUntil(lambda: not w.inbox.scope.isVisibleTo(w), timeout=10_000)


def test_every_view_is_reachable_by_keyboard(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    w = desk_factory(demo_server, "demo").window
    statuses = {View.PENDING, View.SNOOZED, View.RESOLVED, View.SLA_AT_RISK}
    assert statuses <= set(ALL_VIEWS[:9])  # Alt+1..9 reach every status view
    w.inbox.list.setFocus()
    for n, view in enumerate(ALL_VIEWS[:9], start=1):
        _press(qtbot, w, getattr(Qt.Key, f"Key_{n}"), ALT)
        qtbot.waitUntil(lambda v=view: _loaded(w, v), timeout=10_000)

    # Go to view…: a named list of every view; the last one is beyond Alt+9.
    last = ALL_VIEWS[-1]
    seen: dict[str, object] = {}

    def pick() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        seen["name"], seen["title"] = dialog.objectName(), dialog.accessibleName()
        seen["items"] = dialog.comboBoxItems()
        dialog.setTextValue(next(i for i in dialog.comboBoxItems() if view_label(last) in i))
        dialog.accept()

    QTimer.singleShot(0, pick)
    _press(qtbot, w, Qt.Key.Key_G, CTRL)
    qtbot.waitUntil(lambda: _loaded(w, last), timeout=10_000)
    assert seen["name"] == "go_to_view_dialog" and seen["title"] == "Go to view"
    assert len(seen["items"]) == len(ALL_VIEWS)  # type: ignore[arg-type]
    assert w.findChild(QInputDialog, "go_to_view_dialog") is None  # not left behind
    assert w.inbox.list.hasFocus() or w.focusWidget() is w.inbox.list

    # The side bar: Ctrl+0, then the arrow keys choose. (A window manager re-activates the
    # window when a modal closes; offscreen there is none.)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2_000)
    _press(qtbot, w, Qt.Key.Key_0, CTRL)
    assert w.focusWidget() is w.views
    _press(qtbot, w, Qt.Key.Key_Home, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: _loaded(w, ALL_VIEWS[0]), timeout=10_000)
    _press(qtbot, w, Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: _loaded(w, ALL_VIEWS[1]), timeout=10_000)


def test_the_shortcut_sheet_names_the_views(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    w = desk_factory(demo_server, "demo").window
    sheet = ShortcutsDialog(list(w.actions_), w)
    qtbot.addWidget(sheet)
    table = sheet.findChild(QWidget, "shortcuts_table")
    from PySide6.QtWidgets import QTableWidget

    assert isinstance(table, QTableWidget)
    rows = {table.item(r, 2).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    for n, view in enumerate(ALL_VIEWS[:9], start=1):
        assert rows[f"Alt+{n}"] == f"Show {view_label(view)}"
    assert not any("Switch to view" in text for text in rows.values())


def test_down_from_the_search_box_opens_the_first_result(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """With a conversation open that the results do not hold, the list had no current row:
    Down went to the list and Enter opened nothing (outside review). Down now lands on the
    first result, which opens, as in every chooser with a search field."""
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    qtbot.waitUntil(lambda: _loaded(w, View.MINE) and w.model.rowCount() > 0, timeout=20_000)
    w.open_conversation(w.model.ids()[0])
    qtbot.waitUntil(lambda: w.open_conv is not None, timeout=10_000)
    with desk.engine.cache.session() as s:  # a customer whose conversation is not open
        conv = s.scalars(
            select(m.Conversation).where(m.Conversation.id != w.open_id).limit(1)
        ).one()
        customer = s.get(m.Customer, conv.customer_id)
        assert customer is not None and customer.email
        email = customer.email
    w._focus_search()
    w.inbox.search.setText(email)
    qtbot.waitUntil(
        lambda: w.query == email and not w._reorder_pending and w.model.rowCount() > 0,
        timeout=10_000,
    )
    first = w.model.ids()[0]
    assert w.open_id != first
    qtbot.keyClick(w.inbox.search, Qt.Key.Key_Down)
    assert w.inbox.list.hasFocus()
    assert w.inbox.current_id() == first
    qtbot.waitUntil(lambda: w.open_id == first, timeout=10_000)


def test_down_right_after_typing_opens_a_result_not_the_list_from_before(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """Typing then Down at once opened the first row of the list from before the search
    (the search waits 150 ms, then its query): a re-review. Down now searches at once and
    opens the first result when it is in."""
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    qtbot.waitUntil(lambda: _loaded(w, View.MINE) and w.model.rowCount() > 0, timeout=20_000)
    before = w.model.ids()[0]
    with desk.engine.cache.session() as s:  # a customer none of whose conversations is first
        conv = s.scalars(
            select(m.Conversation).where(
                m.Conversation.id != before, m.Conversation.customer_id.is_not(None)
            )
        ).first()
        assert conv is not None
        customer = s.get(m.Customer, conv.customer_id)
        assert customer is not None and customer.email
        email = customer.email
        theirs = set(
            s.scalars(select(m.Conversation.id).where(m.Conversation.customer_id == customer.id))
        )
    assert before not in theirs
    w._focus_search()
    qtbot.keyClicks(w.inbox.search, email)
    qtbot.keyClick(w.inbox.search, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: w.query == email and not w._reorder_pending, timeout=10_000)
    qtbot.waitUntil(lambda: w.open_id is not None, timeout=10_000)
    assert w.open_id in theirs and w.open_id == w.model.ids()[0]
    assert w.inbox.list.hasFocus()
