"""The desk shows "The customer is typing…" while the chat visitor types (told to the server
by the widget's HTTP API), says it once per burst, and clears it when their message arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import ALL_VIEWS, View
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor

TYPING = "The customer is typing…"


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        seed_demo_db(tmp_path / "chat.db", customers=5), log_path=tmp_path / "server.log"
    ).start()
    try:
        yield server
    finally:
        server.stop()


def test_visitor_typing_shows_once_per_burst_and_clears_on_their_message(
    qtbot: QtBot, chat_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    widget = Visitor.start(chat_server.url)
    cid = widget.say("Hello, is anyone there?")["conversation_id"]
    desk = desk_factory(chat_server, "demo")
    w = desk.window
    heard: list[str] = []
    w.announced.connect(heard.append)
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.row_of(cid) is not None, timeout=20_000)
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == cid,
        timeout=10_000,
    )
    label = w.conversation.visitor_typing
    assert not label.isVisibleTo(w)

    # The widget says the visitor is typing (and refreshes it, as it does every 3 s).
    assert widget.call("POST", "/chat/api/typing", json={"typing": True}).status_code == 204
    qtbot.waitUntil(lambda: label.isVisibleTo(w), timeout=10_000)
    assert label.text() == TYPING
    watch = w.visitor_typing
    ticks: list[int] = []
    watch._timer.timeout.connect(lambda: ticks.append(1))
    assert widget.call("POST", "/chat/api/typing", json={"typing": True}).status_code == 204
    qtbot.waitUntil(lambda: len(ticks) >= 2 and not watch._asking, timeout=10_000)
    assert watch.typing and label.isVisibleTo(w)
    assert heard.count(TYPING) == 1  # once per burst, not once per poll

    # Their message arrives: the notice goes, without waiting for it to expire.
    widget.say("I need help with a return")
    qtbot.waitUntil(lambda: not label.isVisibleTo(w), timeout=10_000)
    assert not watch.typing

    # A new burst is announced again.
    assert widget.call("POST", "/chat/api/typing", json={"typing": True}).status_code == 204
    qtbot.waitUntil(lambda: label.isVisibleTo(w), timeout=10_000)
    assert heard.count(TYPING) == 2
    assert widget.call("POST", "/chat/api/typing", json={"typing": False}).status_code == 204
    qtbot.waitUntil(lambda: not label.isVisibleTo(w), timeout=10_000)
