"""Text no database can store (NUL on PostgreSQL; a lone surrogate on both) is refused at the
edge with a typed 422, on every route, before it reaches a query: never a 500.

A 500 on push makes a desk retry forever; ``invalid_request`` makes it reject the one action.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

BAD = [pytest.param("\x00", id="nul"), pytest.param("\ud800", id="surrogate")]


def _post_json(url: str, body: Any, token: str | None = None) -> requests.Response:
    """``json.dumps`` escapes both as ``\\u0000`` / ``\\ud800``, as a browser would."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(url, data=json.dumps(body), headers=headers, timeout=20)


def _refused(r: requests.Response, where: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text)
    err = r.json()["error"]
    assert err["code"] == "invalid_request"
    assert where in err["message"] and "U+" in err["message"], err["message"]


def _chat_conversation(agent: Raw) -> tuple[str, str]:
    """A conversation (and its customer) from a fresh chat visitor."""
    base = agent.base
    token = requests.post(f"{base}/chat/api/session", json={}, timeout=10).json()["token"]
    sent = requests.post(
        f"{base}/chat/api/messages",
        json={"text": "Where is my parcel?", "client_id": uuid.uuid4().hex},
        headers={"X-Chat-Token": token},
        timeout=10,
    )
    assert sent.status_code in (200, 201), sent.text
    changes, _ = agent.pull_all()
    msg = next(c["data"] for c in changes if c["id"] == sent.json()["id"])
    conv = next(c["data"] for c in changes if c["id"] == msg["conversation_id"])
    return conv["id"], conv["customer_id"]


@pytest.fixture(scope="module")
def ann(live: ServerProcess, shared_users: dict[str, TestUser]) -> Raw:
    return Raw.signed_in(live, shared_users["ann"])


@pytest.mark.parametrize("bad", BAD)
def test_login(live: ServerProcess, bad: str) -> None:
    r = _post_json(f"{live.url}/api/v1/auth/login", {"username": f"ann{bad}", "password": "x"})
    _refused(r, "username")


@pytest.mark.parametrize("bad", BAD)
def test_admin_user_creation(
    live: ServerProcess, shared_users: dict[str, TestUser], bad: str
) -> None:
    token = live.login(shared_users["adm"])
    body = {"username": f"new{bad}", "password": "long-enough-1", "role": "agent"}
    _refused(_post_json(f"{live.url}/api/v1/admin/users", body, token), "username")
    body = {"username": f"n{uuid.uuid4().hex[:8]}", "password": "long-enough-1", "role": "agent"}
    body["display_name"] = f"Nice{bad}Name"
    _refused(_post_json(f"{live.url}/api/v1/admin/users", body, token), "display_name")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/entities/conversation/abc%00def",
        "/api/v1/admin/users/abc%00/revoke-tokens",
        "/api/v1/presence?conversation_id=abc%00",
    ],
)
def test_id_lookups_in_path_and_query(ann: Raw, path: str) -> None:
    method = "POST" if path.endswith("revoke-tokens") else "GET"
    r = ann.request(method, path)
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    "case", ["message.send", "customer.update", "mutation id", "conversation.set_tags"]
)
def test_push(live: ServerProcess, ann: Raw, bad: str, case: str) -> None:
    conv_id, customer_id = _chat_conversation(ann)
    mid = str(uuid.uuid4())
    mutation: dict[str, Any] = {
        "message.send": {
            "id": mid,
            "type": "message.send",
            "args": {
                "conversation_id": conv_id,
                "message_id": str(uuid.uuid4()),
                "body_text": f"On its way{bad}",
            },
        },
        "customer.update": {
            "id": mid,
            "type": "customer.update",
            "args": {"customer_id": customer_id, "fields": {"name": f"Ana{bad}"}},
        },
        "mutation id": {
            "id": f"m-{bad}-{mid[:8]}",
            "type": "conversation.set_priority",
            "args": {"conversation_id": conv_id, "priority": "high"},
        },
        "conversation.set_tags": {
            "id": mid,
            "type": "conversation.set_tags",
            "args": {"conversation_id": conv_id, "add": [f"vip{bad}"], "remove": []},
        },
    }[case]
    r = _post_json(f"{live.url}/api/v1/push", {"mutations": [mutation]}, ann.token)
    _refused(r, "mutations.0")
    # The same action with clean text goes through: the refusal was about the text only.
    clean = json.loads(json.dumps(mutation).replace("\\u0000", "").replace("\\ud800", ""))
    (result,) = ann.push(clean)
    assert result["status"] == "applied", result


def test_a_surrogate_pair_is_ordinary_text(ann: Raw) -> None:
    """U+1F600 travels as the escaped pair ``\\ud83d\\ude00``: that is fine, only a lone half
    is not."""
    conv_id, _ = _chat_conversation(ann)
    (result,) = ann.push(
        ("conversation.set_tags", {"conversation_id": conv_id, "add": ["😀"], "remove": []})
    )
    assert result["status"] == "applied", result
    assert "😀" in ann.get(f"/api/v1/entities/conversation/{conv_id}").json()["data"]["tags"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_json_body_not_in_utf8_is_refused(live: ServerProcess, ann: Raw, encoding: str) -> None:
    """``json.loads`` reads UTF-16 and UTF-32 too, where the byte checks for an escaped NUL
    see nothing: such a body carried a NUL to PostgreSQL (a 500 before authentication) or
    into SQLite. JSON between systems is UTF-8 (RFC 8259)."""
    login = json.dumps({"username": "ann\x00", "password": "x"}).encode(encoding)
    push = json.dumps(
        {"mutations": [{"id": uuid.uuid4().hex, "type": "message.send", "args": {}}]}
    ).encode(encoding)
    for path, body, token in (
        ("/api/v1/auth/login", login, None),
        ("/api/v1/push", push, ann.token),
    ):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = requests.post(f"{live.url}{path}", data=body, headers=headers, timeout=20)
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
        assert "UTF-8" in r.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/chat/api/session", "/chat/api/nonexistent"])
def test_a_deeply_nested_chat_body_is_no_500(live: ServerProcess, path: str) -> None:
    """The chat's bodies are cleaned, not refused; the cleaning recursed, and a body 900 deep
    with one NUL in it answered 500 with a traceback of thousands of lines, to anyone."""
    body = '{"x": ' + "[" * 900 + "]" * 900 + ', "name": "a\\u0000"}'
    r = requests.post(
        f"{live.url}{path}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=20,
    )
    assert r.status_code < 500, (r.status_code, r.text[:300])


def test_the_log_holds_no_traceback(live: ServerProcess) -> None:
    assert live.log_path is not None
    log = live.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]


def test_chat_visitor_text_is_cleaned_not_refused(live: ServerProcess, ann: Raw) -> None:
    """The widget drops a visitor's NUL (as the chat always did) and a lone surrogate becomes
    U+FFFD: a visitor cannot fix what their browser sent, and nothing reaches the database."""
    base = live.url
    token = requests.post(f"{base}/chat/api/session", json={}, timeout=10).json()["token"]
    r = requests.post(
        f"{base}/chat/api/messages",
        data=json.dumps({"text": "Hi\x00 there\ud800", "client_id": uuid.uuid4().hex}),
        headers={"X-Chat-Token": token, "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code in (200, 201), r.text
    changes, _ = ann.pull_all()
    assert next(c["data"] for c in changes if c["id"] == r.json()["id"])["body_text"] == (
        "Hi there\ufffd"
    )


def test_only_a_body_that_may_hold_bad_text_is_parsed_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guard parses a JSON body (before the route parses it again) only when its bytes
    hold an escaped NUL or surrogate, or a surrogate's UTF-8: other escapes (any accented
    letter, as most clients send it) pass on the byte scan alone."""
    from csdesk.server.edge import bad_text

    parsed: list[bytes] = []
    real_loads = json.loads

    def loads(body: bytes) -> Any:
        parsed.append(body)
        return real_loads(body)

    monkeypatch.setattr(json, "loads", loads)  # the module bad_text parses with
    harmless = json.dumps({"t": "Grüße – ok 😀", "k": "\\u0000 is text here"}).encode()
    assert bad_text._bad_json(harmless) is None
    assert parsed == [harmless]  # an escaped backslash before u0000 still gets a real look
    plain = json.dumps({"t": "Grüße – ok"}).encode()
    assert bad_text._bad_json(plain) is None and parsed == [harmless]
    for bad, where in (("\x00", "a.1"), ("\udfff", "a.1"), ("\ud800", "a.1")):
        found = bad_text._bad_json(json.dumps({"a": ["é", f"x{bad}"]}).encode())
        assert found is not None and found[1] == where
    raw = b'{"a": ["\xc3\xa9", "x\xed\xa0\x80"]}'
    found = bad_text._bad_json(raw)
    assert found is not None and found[1] == "a.1"


def test_a_deep_and_wide_body_is_walked_in_bounded_memory() -> None:
    """Each item of the walk copied its whole path: a 122 KB body 900 deep with one NUL took
    221 MB (about 4 GB at the 2 MB cap), before authentication. Only the bad item's path is
    spelled out now, and a refusal names a shortened one."""
    import tracemalloc

    from csdesk.server.edge import bad_text

    body = ("[" * 900 + '"x",' * 30_000 + '"\\u0000"' + "]" * 900).encode()
    tracemalloc.start()
    try:
        found = bad_text._bad_json(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found is not None and "NUL" in found[2]
    assert found[1].startswith("0.0.0.") and found[1].endswith(".30000") and "…" in found[1]
    assert len(found[1]) < 100
    assert peak < 50_000_000, peak
