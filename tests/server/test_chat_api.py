"""The live chat's visitor API against a live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from csdesk.server.chat.visitors import hash_token
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import wait_until


@dataclass
class Visitor:
    """The widget's side of the API, as plain HTTP."""

    base: str
    token: str | None = None

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"X-Chat-Token": self.token} if self.token else {}
        return requests.request(method, self.base + path, headers=headers, timeout=40, **kw)

    @classmethod
    def start(cls, base: str, **body: Any) -> Visitor:
        r = requests.post(base + "/chat/api/session", json=body, timeout=10)
        assert r.status_code == 201, r.text
        return cls(base, r.json()["token"])

    def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        r = self.call(
            "POST",
            "/chat/api/messages",
            json={"text": text, "client_id": client_id or uuid.uuid4().hex, "store": "shop"},
        )
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    def updates(
        self, wait: float = 0, ack: Sequence[str] = (), typing: bool = False
    ) -> dict[str, Any]:
        r = self.call(
            "GET",
            "/chat/api/updates",
            params={"wait": wait, "ack": list(ack), "typing": str(typing).lower()},
        )
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


def feed_message(agent: Raw, text: str, after: int = 0) -> dict[str, Any] | None:
    changes, _ = agent.pull_all(after)
    for c in changes:
        if c["entity"] == "message" and c["data"] and c["data"]["body_text"] == text:
            data: dict[str, Any] = c["data"]
            return data
    return None


def entities(agent: Raw, entity: str) -> dict[str, dict[str, Any]]:
    changes, _ = agent.pull_all()
    return {c["id"]: c["data"] for c in changes if c["entity"] == entity and c["data"]}


def delivery_status(agent: Raw, message_id: str) -> str | None:
    """The message's fed delivery status; None while no pull has it. One ``pull_all`` can
    miss a row a worker moves to a new seq mid-page (``Raw.latest``): a probe retries."""
    message = entities(agent, "message").get(message_id)
    return None if message is None else str(message["delivery_status"])


def reply(agent: Raw, conversation_id: str, text: str) -> str:
    message_id = str(uuid.uuid4())
    results = agent.push(
        (
            "message.send",
            {"conversation_id": conversation_id, "message_id": message_id, "body_text": text},
        )
    )
    assert results[0]["status"] == "applied", results
    return message_id


@pytest.fixture
def agent(live: ServerProcess, shared_users: dict[str, TestUser]) -> Raw:
    return Raw.signed_in(live, shared_users["ann"])


def test_widget_files_and_demo_page(live: ServerProcess) -> None:
    js = requests.get(live.url + "/chat/widget.js", timeout=10)
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "data-csdesk-store" in js.text and "aria-live" in js.text
    assert requests.get(live.url + "/chat/widget.css", timeout=10).status_code == 200
    demo = requests.get(live.url + "/chat/demo", timeout=10)
    assert demo.status_code == 200 and 'src="/chat/widget.js"' in demo.text
    pre = requests.options(live.url + "/chat/api/messages", timeout=10)
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert "X-Chat-Token" in pre.headers["access-control-allow-headers"]


def test_visitor_message_reaches_the_agents_feed_fast(live: ServerProcess, agent: Raw) -> None:
    visitor = Visitor.start(live.url, store="shop")
    assert visitor.token and len(visitor.token) >= 40
    # The test server skips the language-model warm-up a real server does at start
    # (CSDESK_LANGUAGE_WARMUP): one message first loads them, as that warm-up would.
    first = f"Good morning, I have a question about my order {uuid.uuid4().hex[:6]}"
    start = agent.head()
    visitor.say(first)
    wait_until(lambda: feed_message(agent, first, start), 30.0, "the first chat message")
    cursor = agent.head()
    text = f"Where is my parcel? {uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    sent = visitor.say(text)
    msg = wait_until(lambda: feed_message(agent, text, cursor), 5.0, "the chat message in the feed")
    latency = time.monotonic() - started
    print(f"chat visitor -> agent feed latency: {latency * 1000:.0f} ms")
    assert latency < 1.0
    assert msg["channel"] == "chat" and msg["direction"] == "in"
    assert msg["conversation_id"] == sent["conversation_id"]
    conv = entities(agent, "conversation")[sent["conversation_id"]]
    assert conv["channel"] == "chat" and "store:shop" in conv["tags"]
    identities = [
        i for i in entities(agent, "identity").values() if i["customer_id"] == conv["customer_id"]
    ]
    # The token itself is never stored: only its hash is the visitor's identity.
    assert [(i["kind"], i["value"]) for i in identities] == [
        ("chat_visitor", hash_token(visitor.token))
    ]
    # A retried send (same client id) is stored once; the next message continues the thread.
    again = visitor.say(text, client_id="retry-1")
    assert visitor.say(text, client_id="retry-1")["duplicate"] is True
    assert again["conversation_id"] == sent["conversation_id"]


def test_agent_reply_wakes_the_long_poll_and_is_delivered(live: ServerProcess, agent: Raw) -> None:
    visitor = Visitor.start(live.url)
    conv_id = visitor.say("Hello, anyone there?")["conversation_id"]
    assert visitor.updates()["messages"] == []
    got: dict[str, Any] = {}

    def wait() -> None:
        got["answer"] = visitor.updates(wait=20)
        got["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)  # let the poll start waiting (not an assertion)
    sent_at = time.monotonic()
    message_id = reply(agent, conv_id, "Yes, Ann here. How can I help?")
    waiter.join(25)
    latency = got["at"] - sent_at
    print(f"agent reply -> visitor long-poll latency: {latency * 1000:.0f} ms")
    assert latency < 1.0
    [handed] = got["answer"]["messages"]
    assert handed["id"] == message_id and handed["author"] == "ann"
    assert handed["direction"] == "out"
    wait_until(
        lambda: delivery_status(agent, message_id) == "sent" or None,
        5.0,
        "sent",
    )
    # The widget acknowledges what it showed: now it is delivered, and not handed over again.
    assert visitor.updates(ack=[message_id])["messages"] == []
    assert entities(agent, "message")[message_id]["delivery_status"] == "delivered"
    transcript = visitor.call("GET", "/chat/api/messages").json()["messages"]
    assert [m["direction"] for m in transcript] == ["in", "out"]
    # Another visitor sees none of it, and a made-up token nothing at all.
    other = Visitor.start(live.url)
    assert other.call("GET", "/chat/api/messages").json()["messages"] == []
    bad = Visitor(live.url, "not-a-token").call("GET", "/chat/api/updates")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "chat_session_invalid"


def test_typing_both_ways(live: ServerProcess, agent: Raw) -> None:
    visitor = Visitor.start(live.url)
    conv_id = visitor.say("I have a question")["conversation_id"]
    r = agent.request("PUT", "/api/v1/presence", json={"conversation_id": conv_id, "typing": True})
    assert r.status_code == 200, r.text
    started = time.monotonic()
    answer = visitor.updates(wait=10, typing=False)
    print(f"agent typing -> widget latency: {(time.monotonic() - started) * 1000:.0f} ms")
    assert answer["agents_typing"] == ["ann"]
    agent.request("PUT", "/api/v1/presence", json={"conversation_id": conv_id, "typing": False})
    assert visitor.updates(wait=10, typing=True)["agents_typing"] == []

    def visitor_typing() -> bool:
        r = agent.get("/api/v1/chat/typing", params={"conversation_id": conv_id})
        assert r.status_code == 200, r.text
        return bool(r.json()["visitor_typing"])

    assert not visitor_typing()
    assert visitor.call("POST", "/chat/api/typing", json={"typing": True}).status_code == 204
    assert visitor_typing()
    assert visitor.call("POST", "/chat/api/typing", json={"typing": False}).status_code == 204
    assert not visitor_typing()
    missing = agent.get("/api/v1/chat/typing", params={"conversation_id": str(uuid.uuid4())})
    assert missing.status_code == 404


def test_an_email_the_visitor_types_is_a_claim_not_an_identity(
    live: ServerProcess, agent: Raw
) -> None:
    # A new address is noted for agents (unverified), not made an identity of anyone.
    first = Visitor.start(live.url)
    conv1 = first.say("hi")["conversation_id"]
    address = f"Mia.{uuid.uuid4().hex[:6]}@Example.COM"
    r = first.call("POST", "/chat/api/email", json={"email": address})
    assert r.status_code == 200 and r.json()["linked"] == "noted", r.text
    convs = entities(agent, "conversation")
    owner = convs[conv1]["customer_id"]
    assert "email-unverified" in convs[conv1]["tags"]
    assert not [i for i in entities(agent, "identity").values() if i["kind"] == "email"
                and i["value"] == address.lower()]  # fmt: skip
    claims = [c for c in entities(agent, "identity_claim").values() if c["customer_id"] == owner]
    assert [(c["value"], c["match_customer_id"]) for c in claims] == [(address.lower(), None)]
    # Another visitor giving the same address is merged into nobody: their own thread stays.
    second = Visitor.start(live.url)
    conv2 = second.say("me again, from my phone")["conversation_id"]
    r = second.call("POST", "/chat/api/email", json={"email": address.upper()})
    assert r.json()["linked"] == "noted", r.text
    assert entities(agent, "conversation")[conv2]["customer_id"] not in (owner, None)
    assert second.say("still there?")["conversation_id"] == conv2
    texts = [m["text"] for m in second.call("GET", "/chat/api/messages").json()["messages"]]
    assert texts == ["me again, from my phone", "still there?"]
    bad = first.call("POST", "/chat/api/email", json={"email": "not an address"})
    assert bad.status_code == 422


def test_bad_bodies_are_refused_with_cors_headers(live: ServerProcess) -> None:
    visitor = Visitor.start(live.url)
    huge = visitor.call(
        "POST", "/chat/api/messages", json={"text": "x" * 20_000, "client_id": "big"}
    )
    assert huge.status_code == 413, huge.text
    assert huge.headers["access-control-allow-origin"] == "*"
    empty = visitor.call("POST", "/chat/api/messages", json={"text": "\x00 ", "client_id": "e"})
    assert empty.status_code == 422
    junk = visitor.call("POST", "/chat/api/messages", data=b"{nope")
    assert junk.status_code == 422
    nul = Visitor.start(live.url, name="Ze\x00d")
    assert nul.say("ok\x00 then")["id"]


def test_offline_hours_form_becomes_a_conversation_and_rate_limits(
    closed_chat_server: ServerProcess, users: dict[str, TestUser]
) -> None:
    base = closed_chat_server.url
    status = requests.get(base + "/chat/api/status", timeout=10).json()
    assert status["open"] is False and status["hours"]
    agent = Raw.signed_in(closed_chat_server, users["ann"])
    r = requests.post(
        base + "/chat/api/contact",
        json={"name": "Olu", "email": "olu@example.org", "text": "Call me back", "store": "s"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    conv = entities(agent, "conversation")[r.json()["conversation_id"]]
    assert conv["channel"] == "email" and "chat-form" in conv["tags"]
    msg = feed_message(agent, "Call me back")
    assert msg is not None and msg["direction"] == "in"
    # Starting sessions and sending forms is limited per client address.
    codes = [
        requests.post(base + "/chat/api/session", json={}, timeout=10).status_code
        for _ in range(25)
    ]
    assert codes.count(201) <= 20 and codes[-1] == 429
    log = (closed_chat_server.log_path or Path()).read_text()
    assert "Traceback" not in log


def test_one_chat_session_cannot_type_addresses_without_end(
    live: ServerProcess, agent: Raw
) -> None:
    """Found by the outside review: each address a session typed became a claim row (and a
    possible-match suggestion for agents), 240 a minute per session, sessions free to start.
    A session may name a few addresses (typos happen); after that the widget is told no."""
    visitor = Visitor.start(live.url)
    conv = visitor.say("hello")["conversation_id"]
    codes = []
    for n in range(8):
        r = visitor.call("POST", "/chat/api/email", json={"email": f"typo{n}@example.org"})
        codes.append(r.status_code)
    assert codes == [200] * 5 + [429] * 3, codes
    # Typing one of its addresses again is no new claim, so it still works.
    assert visitor.call("POST", "/chat/api/email", json={"email": "typo1@example.org"}).ok
    owner = entities(agent, "conversation")[conv]["customer_id"]
    claims = [c for c in entities(agent, "identity_claim").values() if c["customer_id"] == owner]
    assert len(claims) == 5


def test_made_up_tokens_are_limited_by_address_and_real_visitors_are_not(
    live: ServerProcess,
) -> None:
    """A new made-up token per request got a fresh bucket each time (found by an outside
    review): unknown tokens now also spend their address's bucket, which ends in 429, while a
    real visitor from the same address goes on."""
    real = Visitor.start(live.url)
    statuses = []
    for _ in range(260):  # the bucket holds 240
        forged = Visitor(live.url, token=uuid.uuid4().hex)
        statuses.append(forged.call("GET", "/chat/api/messages").status_code)
    assert set(statuses[:200]) == {401}, statuses[:200]
    assert statuses[-1] == 429
    assert real.call("GET", "/chat/api/messages").status_code == 200
