"""The inline rating end to end in a real browser: an agent resolves a chat on the server, the
widget shows the satisfaction question as a radio group, the visitor answers with the keyboard
alone (a submit without a choice is named as an error first), and the answer is on the
conversation, in the KPI figures and, being low, a follow-up task for the team's supervisor."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until
from tests.server.surveys.support import make_team, rows, set_conversation


@pytest.fixture(scope="module")
def surveyed(
    backend: str, shared_users: dict[str, TestUser], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A live server that surveys chats."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, Fernet.generate_key().decode())
        mp.setenv("CSDESK_SURVEY_CHANNELS", "chat")
        add_users(backend, list(shared_users.values()))
        proc = ServerProcess(backend, log_path=tmp_path_factory.mktemp("log") / "server.log")
        proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def test_the_visitor_rates_the_resolved_chat_with_the_keyboard(
    page: Any, surveyed: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    from playwright.sync_api import expect

    from tests.browser.test_chat_widget import open_widget
    from tests.server.test_chat_api import feed_message, reply

    agent = Raw.signed_in(surveyed, shared_users["ann"])
    open_widget(page, surveyed.url)
    textbox = page.get_by_role("textbox", name="Your message")
    text = f"My parcel never came {uuid.uuid4().hex[:6]}"
    textbox.fill(text)
    textbox.press("Enter")
    msg = wait_until(lambda: feed_message(agent, text), 30, "the chat message")
    conv_id = msg["conversation_id"]
    team = make_team(backend, "Web", shared_users["sue"].id, shared_users["ann"].id)
    set_conversation(backend, conv_id, team_id=team)
    reply(agent, conv_id, "We are sending a new one today.")
    (result,) = agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert result["status"] == "applied", result

    # The rating appears under the conversation; the live region says so.
    group = page.get_by_role("group", name="How satisfied are you with this chat?")
    expect(group).to_be_visible(timeout=15_000)
    assert group.get_by_role("radio").count() == 5
    expect(page.locator(".csdesk-chat [aria-live=polite]")).to_contain_text(
        "This chat is resolved. Please rate it below the conversation."
    )
    expect(page.get_by_role("link", name=re.compile("Rate this chat"))).to_have_count(0)
    tree = page.locator(".csdesk-rating").aria_snapshot()
    print(tree)
    assert '- radio "1 – Very unsatisfied"' in tree
    assert '- textbox "Anything you would like to tell us? (optional)"' in tree
    assert '- button "Send rating"' in tree

    # Keyboard alone, from the message box: back into the rating (last radio first).
    textbox.focus()
    page.keyboard.press("Shift+Tab")
    send = page.get_by_role("button", name="Send rating")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")  # nothing chosen: the error is said, focus goes to the choices
    expect(page.get_by_role("alert")).to_have_text("Please choose how satisfied you are (1 to 5).")
    expect(group).to_have_attribute("aria-invalid", "true")
    first = page.get_by_role("radio", name="1 – Very unsatisfied")
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="2 – Unsatisfied")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name=re.compile("Anything you would like"))).to_be_focused()
    page.keyboard.type("It took two weeks.")
    page.keyboard.press("Tab")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    thanks = page.get_by_text("Thank you for your rating!")
    expect(thanks).to_be_focused()
    expect(group).to_have_count(0)

    # On the conversation (the agent's thread), in the KPI figures, and a follow-up for Sue.
    def note() -> dict[str, Any] | None:
        changes, _ = agent.pull_all()
        for c in changes:
            data = c["data"]
            if c["entity"] != "message" or not data or data["conversation_id"] != conv_id:
                continue
            if data["auto_kind"] == "survey_answer":
                return dict(data)
        return None

    line = wait_until(note, 30, "the answer in the thread")
    assert line["body_text"] == "Customer rated 2/5: It took two weeks."
    sue = Raw.signed_in(surveyed, shared_users["sue"])
    total = sue.get("/api/v1/kpis", params={"period": "today"}).json()["total"]
    assert total["csat_count"] == 1 and total["csat_avg"] == 2
    (task,) = rows(backend, m.Callback, conversation_id=conv_id)
    assert task.assignee_id == shared_users["sue"].id

    # A page load redraws the chat: no second form for an answered survey.
    page.reload()
    page.wait_for_selector(".csdesk-chat[data-ready]", state="attached")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".csdesk-msg", has_text="We are sending a new one today.")).to_be_visible()
    expect(page.get_by_role("group", name="How satisfied are you with this chat?")).to_have_count(0)
