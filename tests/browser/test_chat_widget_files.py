"""A file an agent sends in a live chat: a link in the widget that downloads it with the
visitor's session (a real headless chromium, a real server)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.browser.test_chat_widget import DEADLINE_MS, open_widget
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import wait_until
from tests.server.test_chat_api import feed_message

PDF = b"%PDF-1.4 price list " + uuid.uuid4().bytes * 32


def test_the_visitor_downloads_the_agents_file_from_the_widget(
    page: Any, live: ServerProcess, shared_users: dict[str, TestUser], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    agent = Raw.signed_in(live, shared_users["ann"])
    open_widget(page, live.url)
    cursor = agent.head()
    text = f"Price list please {uuid.uuid4().hex[:6]}"
    textbox = page.get_by_role("textbox", name="Your message")
    textbox.fill(text)
    textbox.press("Enter")
    conv_id = wait_until(
        lambda: feed_message(agent, text, cursor), DEADLINE_MS / 1000, "the message"
    )["conversation_id"]

    ref = agent.post(
        "/api/v1/attachments",
        params={"filename": "price list.pdf"},
        data=PDF,
        headers={"Content-Type": "application/pdf"},
    ).json()
    args = {"conversation_id": conv_id, "message_id": str(uuid.uuid4()), "body_text": "Here:"}
    (result,) = agent.push(("message.send", {**args, "attachments": [ref]}))
    assert result["status"] == "applied", result

    link = page.get_by_role("link", name="Download price list.pdf")
    expect(link).to_be_visible(timeout=5_000)
    expect(page.locator(".csdesk-chat [aria-live=polite]")).to_contain_text("price list.pdf")
    link.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    target = tmp_path / "got.pdf"
    info.value.save_as(target)
    assert target.read_bytes() == PDF
    assert info.value.suggested_filename == "price list.pdf"
