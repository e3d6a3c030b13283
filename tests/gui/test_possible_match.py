"""A chat visitor types a customer's email: the desk shows a possible match, never a merge,
and the agent links it with one keyboard-reachable button (pushed through the outbox)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.storage import models as m
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        seed_demo_db(tmp_path / "chat.db", customers=5), log_path=tmp_path / "server.log"
    ).start()
    try:
        yield server
    finally:
        server.stop()


def _a_customer_with_an_email(desk: Desk) -> tuple[str, str, str]:
    """(customer id, name, verified email) of a demo customer, from the desk's own copy."""
    with desk.engine.cache.session() as s:
        row = s.execute(
            select(m.Customer.id, m.Customer.name, m.CustomerIdentity.value)
            .join(m.CustomerIdentity, m.CustomerIdentity.customer_id == m.Customer.id)
            .where(m.CustomerIdentity.kind == "email", m.CustomerIdentity.verified.is_(True))
            .order_by(m.Customer.name)
            .limit(1)
        ).one()
    return str(row[0]), str(row[1]), str(row[2])


def test_the_agent_links_a_possible_match_by_keyboard(
    qtbot: QtBot, chat_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(chat_server, "demo")
    w = desk.window
    victim, name, email = _a_customer_with_an_email(desk)
    widget = Visitor.start(chat_server.url)
    cid = widget.say("Please send my order to a new address")["conversation_id"]
    assert widget.call("POST", "/chat/api/email", json={"email": email}).ok

    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.row_of(cid) is not None, timeout=20_000)
    assert w.inbox.select_id(cid)
    pane = w.customer
    qtbot.waitUntil(lambda: pane.match_box.isVisibleTo(w), timeout=20_000)
    assert w.open_conv is not None and w.open_conv.customer_id != victim  # nothing merged
    assert pane.match_label.text() == f"Possible match: {name} (typed email, unverified)"
    assert pane.match_label.textFormat() == Qt.TextFormat.PlainText
    button = pane.link_button
    assert button.accessibleName() == f"Link this conversation to {name}"
    assert email in button.accessibleDescription()
    assert "(typed, unverified)" in pane.details.toPlainText()
    assert not unnamed_focusables(pane)

    # Keyboard: "focus the customer pane" lands on the decision; Space links.
    w.actions_["focus_customer"].trigger()
    qtbot.waitUntil(button.hasFocus, timeout=5_000)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: (
            desk.synced()
            and w.open_conv is not None
            and w.open_conv.customer_id == victim
            and not pane.match_box.isVisibleTo(w)
        ),
        timeout=20_000,
    )
    assert pane.card.name.text() == name
