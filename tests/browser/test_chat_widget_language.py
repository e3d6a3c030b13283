"""The chat widget in the visitor's language, in a real headless chromium against a real server:
a shop page (served by the browser's router) embeds the widget. It is on the server's origin:
chromium refuses a routed page elsewhere access to loopback (Private Network Access)."""

from __future__ import annotations

from typing import Any

import requests

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import wait_until
from tests.server.test_chat_api import entities


def shop_page(page: Any, base: str, html_lang: str, script_attrs: str = "") -> list[str]:
    """Serve a shop page with the widget at ``/shop/`` and open it; returns the URLs the page
    asked the server for /chat/strings."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/chat/strings" in r.url else None)
    html = (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        "<title>Shop</title></head><body><main><h1>Shop</h1></main>"
        f'<script src="{base}/chat/widget.js" data-csdesk-store="shop" {script_attrs}></script>'
        "</body></html>"
    )
    page.route(
        base + "/shop/**",
        lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
    )
    page.goto(base + "/shop/" + html_lang)
    page.wait_for_selector(".csdesk-chat[data-ready]", state="attached")
    return asked


def served(base: str, lang: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(
        base + "/chat/strings", params={"lang": lang}, timeout=10
    ).json()
    return body


def test_a_german_page_gets_the_german_words(page: Any, live: ServerProcess) -> None:
    from playwright.sync_api import expect

    asked = shop_page(page, live.url, "de")
    assert asked == [live.url + "/chat/strings?lang=de"]
    words = served(live.url, "de")["strings"]
    assert words["send"] == "Senden"  # in the shipped German catalogue today
    launcher = page.locator(".csdesk-launcher")
    expect(launcher).to_have_attribute("aria-label", words["open"])
    launcher.click()
    dialog = page.get_by_role("dialog", name=words["title"])
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("lang", "de")
    expect(dialog).to_have_attribute("dir", "ltr")
    expect(page.locator("form[data-part=chat] button[type=submit]")).to_have_text("Senden")
    expect(page.get_by_role("textbox", name=words["message"])).to_be_focused()


def test_the_shops_word_wins_and_arabic_is_right_to_left(
    page: Any, live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    from playwright.sync_api import expect

    asked = shop_page(page, live.url, "de", 'data-csdesk-lang="ar"')
    assert asked == [live.url + "/chat/strings?lang=ar"]
    words = served(live.url, "ar")["strings"]
    launcher = page.locator(".csdesk-launcher")
    expect(launcher).to_have_attribute("aria-label", words["open"])
    launcher.click()
    dialog = page.locator("[role=dialog]")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("dir", "rtl")
    expect(dialog).to_have_attribute("lang", "ar")
    expect(page.locator("form[data-part=chat] button[type=submit]")).to_have_text(words["send"])
    assert words["send"] == "إرسال"
    # The chat starts in the widget's language ("ok" says nothing by itself).
    agent = Raw.signed_in(live, shared_users["ann"])
    with page.expect_response(lambda r: r.url.endswith("/chat/api/messages")) as sent:
        page.get_by_role("textbox", name=words["message"]).fill("ok")
        page.keyboard.press("Enter")
    conv_id = sent.value.json()["conversation_id"]
    conv = wait_until(lambda: entities(agent, "conversation").get(conv_id), 10, "the chat")
    assert conv["language"] == "ar"


def test_english_needs_no_request_and_a_broken_server_keeps_english(
    page: Any, live: ServerProcess
) -> None:
    from playwright.sync_api import expect

    assert shop_page(page, live.url, "en-GB") == []
    expect(page.locator(".csdesk-launcher")).to_have_attribute("aria-label", "Chat with us")
    other = page.context.new_page()
    other.route("**/chat/strings**", lambda route: route.fulfill(status=500, body="no"))
    asked = shop_page(other, live.url, "fr")
    assert asked == [live.url + "/chat/strings?lang=fr"]
    expect(other.locator(".csdesk-launcher")).to_have_attribute("aria-label", "Chat with us")
    other.locator(".csdesk-launcher").click()
    expect(other.get_by_role("dialog", name="Chat with us")).to_be_visible()
    expect(other.locator("form[data-part=chat] button[type=submit]")).to_have_text("Send")
