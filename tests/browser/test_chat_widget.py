"""The chat widget end to end: a real headless chromium on the demo page, a real server."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import wait_until
from tests.server.test_chat_api import delivery_status, entities, feed_message, reply

# How long a wait may take before the test gives up (each returns as soon as it holds): the
# first customer message into a fresh test server loads the language detector's models
# (about 3 s idle, over 5 s on the loaded 2-core CI box). Latency is printed, not asserted.
DEADLINE_MS = 60_000


def open_widget(page: Any, base: str, title: str = "Chat with us") -> None:
    page.goto(base + "/chat/demo")
    page.wait_for_selector(".csdesk-chat[data-ready]", state="attached")
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_role("dialog", name=title).wait_for(state="visible")


def test_visitor_and_agent_chat_in_a_real_browser(
    page: Any, live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    from playwright.sync_api import expect

    agent = Raw.signed_in(live, shared_users["ann"])
    open_widget(page, live.url)
    tree = page.locator("body").aria_snapshot()
    print(tree)
    assert '- button "Chat with us"' in tree
    assert '- dialog "Chat with us"' in tree
    assert '- textbox "Your message"' in tree
    textbox = page.get_by_role("textbox", name="Your message")
    expect(textbox).to_be_focused()  # opening moves focus into the chat

    # The visitor writes; the agents' feed has it within a second.
    cursor = agent.head()
    text = f"Do you ship to Norway? {uuid.uuid4().hex[:6]}"
    textbox.fill(text)
    started = time.monotonic()
    textbox.press("Enter")
    msg = wait_until(lambda: feed_message(agent, text, cursor), DEADLINE_MS / 1000, "the message")
    print(f"browser visitor -> agent feed: {(time.monotonic() - started) * 1000:.0f} ms")
    assert msg["channel"] == "chat" and msg["direction"] == "in"
    conv_id = msg["conversation_id"]
    expect(page.locator(".csdesk-msg.in", has_text=text)).to_be_visible()

    # The agent types: the widget says so.
    started = time.monotonic()
    r = agent.request("PUT", "/api/v1/presence", json={"conversation_id": conv_id, "typing": True})
    assert r.status_code == 200, r.text
    expect(page.get_by_text("Agent is typing…")).to_be_visible(timeout=DEADLINE_MS)
    print(f"agent typing -> widget: {(time.monotonic() - started) * 1000:.0f} ms")

    # The agent replies: it shows in the widget and in the polite live region.
    answer = "Yes, we ship to Norway in 3-5 days."
    started = time.monotonic()
    message_id = reply(agent, conv_id, answer)
    agent.request("PUT", "/api/v1/presence", json={"conversation_id": conv_id, "typing": False})
    expect(page.locator(".csdesk-msg.out", has_text=answer)).to_be_visible(timeout=DEADLINE_MS)
    print(f"agent reply -> widget: {(time.monotonic() - started) * 1000:.0f} ms")
    live_region = page.locator(".csdesk-chat [aria-live=polite]")
    expect(live_region).to_contain_text(answer)
    expect(page.get_by_text("Agent is typing…")).to_have_count(0, timeout=DEADLINE_MS)
    wait_until(
        lambda: delivery_status(agent, message_id) == "delivered" or None,
        DEADLINE_MS / 1000,
        "the reply to be marked delivered",
    )

    # The visitor types: agents can see it.
    textbox.press_sequentially("and to Sweden")

    def visitor_typing() -> bool | None:
        r = agent.get("/api/v1/chat/typing", params={"conversation_id": conv_id})
        return True if r.json()["visitor_typing"] else None

    wait_until(visitor_typing, DEADLINE_MS / 1000, "visitor typing")

    # An email address is noted for the agents (typed, so unverified: a claim, no identity).
    page.get_by_role("textbox", name="Your email (optional, so we can follow up)").fill(
        "nora@example.no"
    )
    page.get_by_role("button", name="Save email").click()
    expect(page.get_by_text("Thanks, we saved your email address.")).to_be_visible()
    customer_id = entities(agent, "conversation")[conv_id]["customer_id"]
    assert any(
        c["kind"] == "email" and c["value"] == "nora@example.no"
        for c in entities(agent, "identity_claim").values()
        if c["customer_id"] == customer_id
    )

    # Keyboard: Escape closes and returns focus to the launcher; Enter opens again.
    page.keyboard.press("Escape")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_focused()
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()

    # A reload keeps the conversation (the session token is in localStorage).
    page.reload()
    page.wait_for_selector(".csdesk-chat[data-ready]", state="attached")
    expect(page.locator(".csdesk-msg.out", has_text=answer)).to_have_count(1)


def test_offline_hours_show_a_contact_form(
    page: Any, closed_chat_server: ServerProcess, users: dict[str, TestUser]
) -> None:
    from playwright.sync_api import expect

    open_widget(page, closed_chat_server.url, "We are offline")
    print(page.locator("body").aria_snapshot())
    expect(page.get_by_role("textbox", name="Your name")).to_be_focused()
    page.get_by_role("textbox", name="Your name").fill("Ines")
    page.get_by_role("textbox", name="Your email").fill("ines@example.pt")
    page.get_by_role("textbox", name="Your message").fill("Please call me about order 1042")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you! We will reply by email.")).to_be_visible()
    agent = Raw.signed_in(closed_chat_server, users["ann"])
    msg = wait_until(
        lambda: feed_message(agent, "Please call me about order 1042"), 5.0, "form message"
    )
    conv = entities(agent, "conversation")[msg["conversation_id"]]
    assert conv["channel"] == "email" and "chat-form" in conv["tags"]
