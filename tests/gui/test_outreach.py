"""Issue 11, proactive outreach on the desk: an agent opens the list of late orders the
server's detector found (Ctrl+Alt+O), ticks three customers with Space, edits one message and
sends the delay notices by keyboard alone; each becomes a conversation assigned to them, the
server records who wrote, and the desk says so. "New conversation" (Ctrl+Alt+N) says which
channels the shop may write first on before anything is typed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.domain.enums import Role
from csdesk.storage import models as m
from csdesk.ui.panels.new_conversation import NewConversationDialog
from csdesk.ui.panels.outreach_list import OutreachDialog
from tests.gui.conftest import Desk
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
ALT = Qt.KeyboardModifier.AltModifier
ALEX = TestUser("alex", "demo-password", Role.AGENT)


def _open_items(desk: Desk) -> list[m.Outreach]:
    with desk.engine.cache.session() as s:
        return list(
            s.scalars(
                select(m.Outreach)
                .where(m.Outreach.status == "open")
                .order_by(m.Outreach.created_at, m.Outreach.id)
            )
        )


def test_send_delay_notices_to_three_customers_by_keyboard(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    # The server's detector ran at start: the demo has late parcels and unshipped orders.
    qtbot.waitUntil(lambda: len(_open_items(desk)) >= 3, timeout=20_000)
    reasons = {r.reason for r in _open_items(desk)}
    assert {"unshipped"} <= reasons and reasons & {"past_eta", "exception", "stale"}

    qtbot.keyClick(w, Qt.Key.Key_O, CTRL_ALT)  # "Late orders to write about…"
    qtbot.waitUntil(
        lambda: isinstance(w.outreach_dialog, OutreachDialog) and w.outreach_dialog.isVisible(),
        timeout=5_000,
    )
    dialog = w.outreach_dialog
    assert isinstance(dialog, OutreachDialog)
    assert unnamed_focusables(dialog) == []
    dialog.activateWindow()
    dialog.list.setFocus()  # offscreen has no window manager to give it focus
    qtbot.waitUntil(dialog.list.hasFocus, timeout=5_000)
    assert any("late orders to write about" in t for t in said)

    # Space ticks the current customer, Down moves on: three sendable customers ticked.
    ticked: list[str] = []
    while len(ticked) < 3:
        row = dialog.list.currentItem()
        assert row is not None
        if row.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            qtbot.keyClick(dialog.list, Qt.Key.Key_Space)
            assert row.checkState() == Qt.CheckState.Checked
            ticked.append(str(row.data(Qt.ItemDataRole.UserRole)))
            if len(ticked) == 3:
                break
        before = dialog.list.currentRow()
        qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
        assert dialog.list.currentRow() == before + 1, "ran out of customers to write to"
    assert dialog.ticked() == ticked
    assert any(t.endswith(" ticked") for t in said)

    # The current (third) customer's message, edited: Alt+M goes to it.
    qtbot.keyClick(dialog, Qt.Key.Key_M, ALT)
    qtbot.waitUntil(dialog.message.hasFocus, timeout=5_000)
    qtbot.keyClick(dialog.message, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.message, " We added a gift card.")
    edited = dialog.message.toPlainText()
    assert edited.endswith("We added a gift card.")

    pushed: list[tuple[str, dict[str, object]]] = []
    original = desk.engine.enqueue

    def enqueue(mtype: object, args: object) -> str:
        assert isinstance(args, dict)
        pushed.append((str(mtype), dict(args)))
        return original(mtype, args)  # type: ignore[arg-type]

    desk.engine.enqueue = enqueue  # type: ignore[method-assign]
    qtbot.keyClick(dialog, Qt.Key.Key_S, ALT)  # Send
    qtbot.waitUntil(lambda: len(pushed) == 3, timeout=5_000)
    assert [a["outreach_id"] for _t, a in pushed] == ticked
    assert all(t == "outreach.send" for t, _a in pushed)
    assert pushed[2][1]["body_text"] == edited
    assert dialog.ticked() == [] and ticked[0] not in [
        dialog.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.list.count())
    ]
    qtbot.waitUntil(lambda: any("Delay notices queued for 3 customers" in t for t in said))

    # The server applied them: each order written about once, by this agent, each in a
    # conversation assigned to them.
    qtbot.waitUntil(desk.synced, timeout=30_000)
    api = Raw.signed_in(demo_server, ALEX)
    me = desk.ws.me.id
    for _t, args in pushed:
        rec = api.get(f"/api/v1/entities/outreach/{args['outreach_id']}").json()["data"]
        assert (rec["status"], rec["sent_by_id"]) == ("sent", me)
        assert rec["conversation_id"] == args["conversation_id"]
        conv = api.get(f"/api/v1/entities/conversation/{args['conversation_id']}").json()["data"]
        assert (conv["assignee_id"], conv["status"]) == (me, "pending")
    third = api.get(f"/api/v1/entities/outreach/{pushed[2][1]['outreach_id']}").json()["data"]
    assert third["message"] == edited

    qtbot.keyClick(dialog.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.outreach_dialog is None, timeout=5_000)


def test_the_open_list_follows_a_colleague_live(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    qtbot.waitUntil(lambda: len(_open_items(desk)) >= 3, timeout=20_000)
    said: list[str] = []
    w.announced.connect(said.append)
    qtbot.keyClick(w, Qt.Key.Key_O, CTRL_ALT)
    qtbot.waitUntil(lambda: isinstance(w.outreach_dialog, OutreachDialog), timeout=5_000)
    dialog = w.outreach_dialog
    assert isinstance(dialog, OutreachDialog)

    def ids() -> list[str]:
        return [
            str(dialog.list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(dialog.list.count())
        ]

    sendable = [
        str(dialog.list.item(i).data(Qt.ItemDataRole.UserRole))
        for i in range(dialog.list.count())
        if dialog.list.item(i).flags() & Qt.ItemFlag.ItemIsUserCheckable
    ]
    assert len(sendable) >= 2
    keep, taken = sendable[0], sendable[-1]
    dialog.list.setCurrentRow(ids().index(keep))
    dialog.list.setFocus()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Space)
    assert dialog.ticked() == [keep]
    # A colleague decides not to write about another one, on their own desk.
    api = Raw.signed_in(demo_server, ALEX)
    (done,) = api.push(("outreach.dismiss", {"outreach_id": taken}))
    assert done["status"] == "applied", done
    qtbot.waitUntil(lambda: taken not in ids(), timeout=30_000)
    assert dialog.ticked() == [keep]  # the agent's tick and place stay
    assert dialog.list.currentItem() is not None
    assert str(dialog.list.currentItem().data(Qt.ItemDataRole.UserRole)) == keep
    assert str(len(ids())) in dialog.summary.text()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.outreach_dialog is None, timeout=5_000)


def test_new_conversation_says_where_the_shop_may_write_first(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    with desk.engine.cache.session() as s:
        cid = s.scalar(
            select(m.Conversation.id)
            .where(m.Conversation.status == "open", m.Conversation.channel == "email")
            .order_by(m.Conversation.id)
            .limit(1)
        )
    assert cid is not None
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: cid in w.model.ids(), timeout=20_000)
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(lambda: w.customer_ctx is not None, timeout=20_000)

    qtbot.keyClick(w, Qt.Key.Key_N, CTRL_ALT)  # "New conversation…"
    qtbot.waitUntil(
        lambda: (
            isinstance(w.outreach_dialog, NewConversationDialog) and w.outreach_dialog.isVisible()
        ),
        timeout=5_000,
    )
    dialog = w.outreach_dialog
    assert isinstance(dialog, NewConversationDialog)
    assert unnamed_focusables(dialog) == []
    labels = [dialog.to.itemText(i) for i in range(dialog.to.count())]
    assert any(t.startswith("Email: ") for t in labels)
    assert any("Telegram" in t and "cannot write first" in t for t in labels) or any(
        t.startswith("Telegram: ") for t in labels
    )
    choice = dialog.choice()
    assert choice is not None and choice.channel == "email"  # the free one comes first
    dialog.activateWindow()
    dialog.subject.setFocus()
    qtbot.keyClicks(dialog.subject, "About your order")
    qtbot.keyClick(dialog, Qt.Key.Key_M, ALT)
    qtbot.waitUntil(dialog.message.hasFocus, timeout=5_000)
    qtbot.keyClicks(dialog.message, "Hello, a quick word about your order.")
    pushed: list[dict[str, object]] = []
    original = desk.engine.enqueue

    def enqueue(mtype: object, args: object) -> str:
        assert isinstance(args, dict)
        pushed.append({"type": str(mtype), **args})
        return original(mtype, args)  # type: ignore[arg-type]

    desk.engine.enqueue = enqueue  # type: ignore[method-assign]
    qtbot.keyClick(dialog, Qt.Key.Key_S, ALT)  # Start conversation
    qtbot.waitUntil(lambda: len(pushed) == 1, timeout=5_000)
    assert pushed[0]["type"] == "conversation.start" and pushed[0]["channel"] == "email"
    assert pushed[0]["subject"] == "About your order"
    api = Raw.signed_in(demo_server, ALEX)
    path = f"/api/v1/entities/conversation/{pushed[0]['conversation_id']}"
    # The outbox takes it after enqueue returns: wait for the server to have it, not for an
    # outbox that may not hold it yet.
    qtbot.waitUntil(lambda: api.get(path).status_code == 200, timeout=30_000)
    assert api.get(path).json()["data"]["assignee_id"] == desk.ws.me.id
    # The focus went back into the window (offscreen, the window itself may not be active).
    qtbot.waitUntil(lambda: w.focusWidget() is not None, timeout=5_000)


def test_new_conversation_with_none_open_finds_the_customer_first(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """Ctrl+Alt+N with no conversation open (a customer who never wrote in, say): a chooser
    finds the customer by name, email or phone, then asks how to write, as for an open one."""
    from csdesk.ui.panels.customer_merge import CustomerChooser

    desk = desk_factory(demo_server, "demo")
    w = desk.window
    with desk.engine.cache.session() as s:
        who = s.execute(
            select(m.Customer.id, m.Customer.name, m.Customer.email)
            .where(m.Customer.merged_into_id.is_(None), m.Customer.email.is_not(None))
            .order_by(m.Customer.name)
            .limit(1)
        ).one()
    w.open_id = None
    w.customer_ctx = None
    w.actions_["new_conversation"].trigger()
    qtbot.waitUntil(lambda: isinstance(w.outreach_dialog, CustomerChooser), timeout=5_000)
    chooser = w.outreach_dialog
    assert isinstance(chooser, CustomerChooser)
    assert chooser.windowTitle() == "Write to a customer"
    assert unnamed_focusables(chooser) == []
    chooser.activateWindow()
    chooser.field.setFocus()
    qtbot.keyClicks(chooser.field, str(who.email).upper()[:12])
    qtbot.waitUntil(
        lambda: chooser.chosen() is not None and chooser.chosen().id == who.id,  # type: ignore[union-attr]
        timeout=10_000,
    )
    qtbot.keyClick(chooser.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(w.outreach_dialog, NewConversationDialog), timeout=10_000)
    dialog = w.outreach_dialog
    assert isinstance(dialog, NewConversationDialog)
    assert who.name in dialog.windowTitle()
    assert any(dialog.to.itemText(i).startswith("Email: ") for i in range(dialog.to.count()))
    dialog.reject()
