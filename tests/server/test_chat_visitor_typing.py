"""The chat visitor's typing notice is in the database: a desk asking one server process sees
what the widget told another, the visitor's message ends it, and an abandoned one expires."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from csdesk.domain.enums import Role
from csdesk.server.chat import typing_board
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import state_for
from tests.server.test_chat_api import Visitor


def _typing(agent: Raw, conv_id: str) -> bool:
    r = agent.get("/api/v1/chat/typing", params={"conversation_id": conv_id})
    assert r.status_code == 200, r.text
    return bool(r.json()["visitor_typing"])


def test_visitor_typing_crosses_server_processes(db_url: str, tmp_path: Path) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(db_url, [ann])
    one = ServerProcess(db_url, log_path=tmp_path / "one.log").start()
    two = ServerProcess(db_url, log_path=tmp_path / "two.log").start()
    try:
        widget = Visitor.start(one.url)  # the widget talks to process one...
        conv_id = widget.say("Hello, a question about sizes")["conversation_id"]
        desk = Raw.signed_in(two, ann)  # ...the desk to process two
        assert not _typing(desk, conv_id)

        assert widget.call("POST", "/chat/api/typing", json={"typing": True}).status_code == 204
        assert _typing(desk, conv_id)
        assert _typing(Raw.signed_in(one, ann), conv_id)  # and to one, of course

        # The visitor's message ends the notice at once (sent through the other process).
        Visitor(two.url, widget.token).say("Do you have it in blue?")
        assert not _typing(desk, conv_id)

        assert widget.call("POST", "/chat/api/typing", json={"typing": True}).status_code == 204
        assert _typing(desk, conv_id)
        assert widget.call("POST", "/chat/api/typing", json={"typing": False}).status_code == 204
        assert not _typing(desk, conv_id)
    finally:
        one.stop()
        two.stop()
    for log in ("one.log", "two.log"):
        assert "Traceback" not in (tmp_path / log).read_text(errors="replace")


def test_a_notice_without_a_refresh_expires_and_routes_keep_their_address(
    db_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        widget = Visitor.start(server.url)
        conv_id = widget.say("Hi")["conversation_id"]
    finally:
        server.stop()
    state = state_for(db_url, tmp_path / "data")
    try:
        now = utcnow()
        with state.reads() as s:
            before = s.get(m.ConversationRoute, conv_id)
            assert before is not None
            changed_at = before.updated_at
        with state.writes() as s:
            typing_board.set_typing(s, conv_id, True, now)
            s.commit()
        with state.reads() as s:
            assert typing_board.is_typing(s, conv_id, now + typing_board.TYPING_TTL / 2)
            # The widget refreshes every 3 s while keys are pressed; a closed tab stops that.
            assert not typing_board.is_typing(s, conv_id, now + typing_board.TYPING_TTL)
            assert not typing_board.is_typing(s, "no-such-conversation", now)
            route = s.scalars(
                select(m.ConversationRoute).where(m.ConversationRoute.conversation_id == conv_id)
            ).one()
            # Only the notice's time moved: replies still reach this visitor's session, and
            # the route's own change time is not touched by typing.
            assert route.kind == "chat_visitor" and route.provider == "chat"
            assert route.visitor_typing_until is not None
            assert route.visitor_typing_until > now + timedelta(seconds=1)
            assert route.updated_at == changed_at
        with state.writes() as s:
            typing_board.set_typing(s, conv_id, False, now)
            s.commit()
        with state.reads() as s:
            stopped = s.get(m.ConversationRoute, conv_id)
            assert stopped is not None
            assert stopped.visitor_typing_until is None and stopped.updated_at == changed_at
            assert not typing_board.is_typing(s, conv_id, now)
    finally:
        state.engine.dispose()
