"""The chat in the visitor's language against a live server, on SQLite and PostgreSQL:
``/chat/strings`` and the widget's language on chat start and on the contact form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from csdesk.server.chat import texts
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import wait_until
from tests.server.languages.test_detect import SAMPLES
from tests.server.test_chat_api import Visitor, entities, feed_message

ENGLISH = dict(texts.WIDGET)


def conversation(agent: Raw, conv_id: str) -> dict[str, Any]:
    """The conversation as the agents' feed has it (once it is there)."""
    found: dict[str, Any] = wait_until(
        lambda: entities(agent, "conversation").get(conv_id), 10, "the conversation in the feed"
    )
    return found


def strings(base: str, lang: str, **headers: str) -> requests.Response:
    return requests.get(base + "/chat/strings?lang=" + lang, headers=headers, timeout=10)


def test_strings_in_a_language_with_a_catalogue_cacheable(live: ServerProcess) -> None:
    r = strings(live.url, "de")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert (body["language"], body["dir"]) == ("de", "ltr")
    assert set(body["strings"]) == set(ENGLISH)
    # The shipped German catalogue translates the widget's words.
    assert body["strings"]["send"] == "Senden"
    assert body["strings"]["intro"] == "Hallo! Wie können wir Ihnen heute helfen?"
    assert all(body["strings"][key] != ENGLISH[key] for key in ("open", "message", "offlineTitle"))
    assert r.headers["access-control-allow-origin"] == "*"
    assert "max-age=" in r.headers["cache-control"] and "public" in r.headers["cache-control"]
    etag = r.headers["etag"]
    again = strings(live.url, "de", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    assert strings(live.url, "fr").headers["etag"] != etag  # another language, another tag
    # A regional tag uses its language's catalogue; Arabic is written right to left.
    swiss = strings(live.url, "de-CH").json()
    assert swiss["language"] == "de-CH" and swiss["strings"]["send"] == "Senden"
    arabic = strings(live.url, "ar").json()
    assert (arabic["language"], arabic["dir"]) == ("ar", "rtl")
    assert arabic["strings"]["send"] == "إرسال"


def test_unknown_and_hostile_languages_get_english(live: ServerProcess) -> None:
    for raw in [
        "",
        "en",
        "xx",
        "tlh-Piqd",
        "..%2F..%2Fetc%2Fpasswd",
        "%FF%FE",
        "%ED%A0%80",  # a lone surrogate, UTF-8 encoded: decoded as U+FFFD
        "de%0D%0AX-Evil:%201",
        "%3Cscript%3E",
        "d" * 20_000,
        "de-" + "x" * 40,
    ]:
        r = strings(live.url, raw)
        assert r.status_code == 200, (raw[:40], r.status_code)
        body = r.json()
        assert body == {"language": "en", "dir": "ltr", "strings": ENGLISH}, raw[:40]
        assert "x-evil" not in r.headers
    assert requests.get(live.url + "/chat/strings", timeout=10).json()["language"] == "en"
    # NUL is refused before any route, as everywhere (the widget never sends it: it asks only
    # for a language tag, and keeps English when a request fails).
    r = strings(live.url, "de%00")
    assert r.status_code == 422 and r.headers["access-control-allow-origin"] == "*"
    assert "Traceback" not in (live.log_path or Path()).read_text()


def test_the_widgets_language_is_the_chats_until_the_text_says_better(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    agent = Raw.signed_in(live, shared_users["ann"])
    # "ok" tells nothing: the widget's language is the conversation's and the customer's.
    short = Visitor.start(live.url, language="nl")
    conv = conversation(agent, short.say("ok")["conversation_id"])
    assert conv["language"] == "nl"
    assert entities(agent, "customer")[conv["customer_id"]]["language"] == "nl"
    # A confident message in another language wins over the page.
    wrote = Visitor.start(live.url, language="nl")
    conv = conversation(agent, wrote.say(SAMPLES["de"])["conversation_id"])
    assert conv["language"] == "de"
    assert entities(agent, "customer")[conv["customer_id"]]["language"] == "de"
    msg = feed_message(agent, SAMPLES["de"])
    assert msg is not None and msg["language"] == "de"
    # Not a language tag: ignored; too long: refused like any bad field, never a 5xx.
    for junk in ["../../x", "\u202ear", "<b>", "de-\ud800"]:
        v = Visitor.start(live.url, language=junk)
        assert conversation(agent, v.say("ok")["conversation_id"])["language"] == "en", junk
    r = requests.post(live.url + "/chat/api/session", json={"language": "d" * 65}, timeout=10)
    assert r.status_code == 422 and r.headers["access-control-allow-origin"] == "*"
    assert "Traceback" not in (live.log_path or Path()).read_text()


def test_the_contact_form_takes_the_widgets_language(
    closed_chat_server: ServerProcess, users: dict[str, TestUser]
) -> None:
    base = closed_chat_server.url
    agent = Raw.signed_in(closed_chat_server, users["ann"])

    def form(text: str, language: str | None) -> dict[str, Any]:
        body = {"name": "Ana", "email": "ana@example.es", "text": text, "language": language}
        r = requests.post(base + "/chat/api/contact", json=body, timeout=10)
        assert r.status_code == 201, r.text
        return conversation(agent, r.json()["conversation_id"])

    conv = form("Order 1042?", "es")
    assert conv["language"] == "es"
    assert entities(agent, "customer")[conv["customer_id"]]["language"] == "es"
    assert form(SAMPLES["fr"], "es")["language"] == "fr"
    assert form("Order 1043?", "..")["language"] == "en"


def test_the_transcript_confirmation_pages_speak_the_mails_language(live: ServerProcess) -> None:
    """The proof mail's link carries its language (``&lang=``); the pages behind it use it
    (here for a link that does not work: the working one is in test_chat_transcript)."""
    opened = requests.get(
        live.url + "/chat/confirm", params={"token": "spent", "lang": "ar"}, timeout=10
    )
    assert opened.status_code == 410
    assert opened.text.startswith("<!doctype html><html lang=ar dir=rtl>")
    form = {"token": "x", "lang": "de"}
    pressed = requests.post(live.url + "/chat/confirm", data=form, timeout=10)
    assert pressed.status_code == 410 and "<html lang=de dir=ltr>" in pressed.text
    for hostile in ["<script>", "de' onload='x", "x" * 5000]:
        page = requests.get(
            live.url + "/chat/confirm", params={"token": "x", "lang": hostile}, timeout=10
        )
        assert page.status_code == 410 and "<html lang=en dir=ltr>" in page.text
        assert "<script>" not in page.text and "onload" not in page.text
