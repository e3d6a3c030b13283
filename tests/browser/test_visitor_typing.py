"""The real widget's typing reaches agents through another server process on the same database,
ends when the visitor sends, and ends after they stop typing (the widget's stop notice)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from tests.browser.test_chat_widget import DEADLINE_MS, open_widget
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import wait_until
from tests.server.test_chat_api import feed_message


def test_widget_typing_is_seen_through_another_process(
    page: Any,
    live: ServerProcess,
    backend: str,
    shared_users: dict[str, TestUser],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    other = ServerProcess(backend, log_path=tmp_path / "other.log").start()
    try:
        agent = Raw.signed_in(other, shared_users["ann"])  # the desk asks the other process

        def typing(conv_id: str) -> bool:
            r = agent.get("/api/v1/chat/typing", params={"conversation_id": conv_id})
            assert r.status_code == 200, r.text
            return bool(r.json()["visitor_typing"])

        open_widget(page, live.url)
        textbox = page.get_by_role("textbox", name="Your message")
        cursor = agent.head()
        first = f"Hello {uuid.uuid4().hex[:6]}"
        textbox.fill(first)
        textbox.press("Enter")
        msg = wait_until(lambda: feed_message(agent, first, cursor), DEADLINE_MS / 1000, "msg")
        conv_id = msg["conversation_id"]
        expect(page.locator(".csdesk-msg.in", has_text=first)).to_be_visible()
        wait_until(lambda: None if typing(conv_id) else True, DEADLINE_MS / 1000, "quiet")

        # Typing in the real widget: the other process sees it.
        started = time.monotonic()
        textbox.press_sequentially("Is it in stock", delay=30)
        wait_until(lambda: typing(conv_id) or None, DEADLINE_MS / 1000, "visitor typing")
        print(f"widget typing -> other process: {(time.monotonic() - started) * 1000:.0f} ms")

        # Sending ends it at once (no waiting for the notice to expire).
        textbox.press("Enter")
        expect(page.locator(".csdesk-msg.in", has_text="Is it in stock")).to_be_visible()
        wait_until(lambda: feed_message(agent, "Is it in stock", cursor), DEADLINE_MS / 1000, "2")
        assert not typing(conv_id)

        # Typing again, then stopping: the widget's stop notice ends it (about 4 s later).
        textbox.press_sequentially("in blue?", delay=30)
        wait_until(lambda: typing(conv_id) or None, DEADLINE_MS / 1000, "typing again")
        started = time.monotonic()
        wait_until(lambda: None if typing(conv_id) else True, 15, "typing to stop")
        print(f"visitor stops -> notice gone: {(time.monotonic() - started) * 1000:.0f} ms")
    finally:
        other.stop()
    assert "Traceback" not in (tmp_path / "other.log").read_text(errors="replace")
