"""``SyncApi`` against a real server: every failure maps to the exception the UI expects."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from csdesk.protocol import MutationType, ResultStatus
from csdesk.sync import (
    CursorAhead,
    Offline,
    ServerError,
    SessionExpired,
    SyncApi,
    Throttled,
    TlsError,
    WrongCredentials,
)
from tests.helpers.server import ServerProcess, TestUser, free_port
from tests.sync.conftest import Seeded, server_messages

# One server per test costs ~2 s to start, so related checks share a test.


def test_sign_in_and_its_failures(server: ServerProcess, users: dict[str, TestUser]) -> None:
    api = SyncApi(server.url)
    result = api.login("ann", users["ann"].password)
    assert api.token == result.token
    assert result.user["username"] == "ann"
    assert result.expires_at.tzinfo is not None
    assert api.me()["id"] == result.user["id"] == users["ann"].id
    assert api.health()["status"] == "ok"

    wrong = SyncApi(server.url)
    with pytest.raises(WrongCredentials, match="Wrong user name or password"):
        wrong.login("ann", "not-the-password")
    assert wrong.token is None

    for _ in range(4):  # five failures in all lock the name for a while
        with pytest.raises(WrongCredentials):
            wrong.login("ann", "not-the-password")
    with pytest.raises(Throttled) as info:
        wrong.login("ann", users["ann"].password)  # even the right password waits now
    assert info.value.retry_after >= 1
    assert "Try again in" in str(info.value)


def test_ended_sessions(server: ServerProcess, users: dict[str, TestUser]) -> None:
    with pytest.raises(SessionExpired, match="sign in again"):
        SyncApi(server.url, token="not-a-token").pull(0)
    with pytest.raises(SessionExpired):
        SyncApi(server.url).pull(0)  # no token at all
    api = SyncApi(server.url)
    api.login("ann", users["ann"].password)
    token = api.token
    api.logout()
    assert api.token is None
    with pytest.raises(SessionExpired) as info:
        SyncApi(server.url, token=token).me()
    assert info.value.token == token


def test_unreachable_port_is_offline() -> None:
    api = SyncApi(f"http://127.0.0.1:{free_port()}", timeout=3)
    started = time.monotonic()
    with pytest.raises(Offline, match="Cannot reach the server"):
        api.login("ann", "whatever-password")
    assert time.monotonic() - started < 3  # refused, not timed out


def test_unknown_host_is_offline() -> None:
    with pytest.raises(Offline):
        SyncApi("http://csdesk-test-host.invalid", timeout=3).health()


def test_feed_errors_and_transport(server: ServerProcess, users: dict[str, TestUser]) -> None:
    api = SyncApi(server.url)
    api.login("ann", users["ann"].password)
    head = api.pull(0)["head"]
    with pytest.raises(CursorAhead) as ahead:
        api.pull(head + 1000)
    assert ahead.value.head == head
    with pytest.raises(ServerError) as invalid:
        api.pull(0, limit=0)
    assert (invalid.value.status, invalid.value.code) == (422, "invalid_request")

    # Nagle is off on every connection the API opened.
    socks = [c.sock for c in api._adapter.connections if getattr(c, "sock", None)]
    assert socks, "no connection was tracked"
    for sock in socks:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0

    # TLS to a plain-HTTP port fails the handshake, as a broken certificate setup does.
    tls = SyncApi(server.url.replace("http://", "https://"), timeout=3)
    with pytest.raises(TlsError, match="secure connection") as info:
        tls.health()
    assert not isinstance(info.value, Offline)


@pytest.fixture
def html_server() -> Iterator[str]:
    """A server that answers like a misconfigured proxy: HTML errors and non-JSON 200s."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 502 if self.path.startswith("/api") else 200
            body = b"<html>Bad gateway</html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_non_json_answers_are_server_errors(html_server: str) -> None:
    api = SyncApi(html_server, token="t")
    with pytest.raises(ServerError) as info:
        api.pull(0)
    assert (info.value.status, info.value.code) == (502, "http_502")
    assert "HTTP 502" in str(info.value)
    with pytest.raises(ServerError) as info:
        api.health()
    assert (info.value.status, info.value.code) == (200, "bad_response")


def test_long_polls_outlast_the_read_timeout_and_can_be_aborted(
    server: ServerProcess, users: dict[str, TestUser]
) -> None:
    normal = SyncApi(server.url)
    token = normal.login("ann", users["ann"].password).token
    head = normal.pull(0, limit=5000)["head"]
    api = SyncApi(server.url, token, timeout=1.0)
    started = time.monotonic()
    page = api.pull(head, wait=3.0)  # three times the read timeout
    assert time.monotonic() - started >= 2.5
    assert page["changes"] == [] and page["cursor"] == head

    outcome: list[BaseException | None] = []

    def poll() -> None:
        try:
            api.pull(head, wait=25)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=poll)
    started = time.monotonic()
    thread.start()
    while thread.is_alive() and time.monotonic() - started < 10:
        api.abort()
        thread.join(0.05)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    assert len(outcome) == 1 and isinstance(outcome[0], Offline)
    assert api.pull(head)["cursor"] == head  # the API still works afterwards
    server.kill()  # its handler still waits out the 25 s; SIGTERM would wait for it


def test_pushing_the_same_mutation_twice_is_a_no_op(
    server: ServerProcess, users: dict[str, TestUser], seeded: Seeded, server_session: object
) -> None:
    api = SyncApi(server.url)
    api.login("ann", users["ann"].password)
    conv = seeded.conversations[0]
    mutation = {
        "id": str(uuid.uuid4()),
        "type": MutationType.MESSAGE_SEND.value,
        "args": {"conversation_id": conv, "message_id": str(uuid.uuid4()), "body_text": "Hi"},
    }
    first = api.push([mutation])  # type: ignore[list-item]
    second = api.push([mutation])  # type: ignore[list-item]
    assert first[0]["status"] == ResultStatus.APPLIED
    assert second[0]["status"] == ResultStatus.DUPLICATE
    assert second[0].get("original_status") == ResultStatus.APPLIED
    assert len(server_messages(server_session, conv)) == 1  # type: ignore[arg-type]
    snap = api.snapshot("conversation", conv)
    assert snap is not None and snap.data is not None and snap.data["message_count"] == 1
    assert api.snapshot("message", str(uuid.uuid4())) is None


def test_duplicate_answer_carries_the_original_seq(
    server: ServerProcess, users: dict[str, TestUser], seeded: Seeded
) -> None:
    api = SyncApi(server.url)
    api.login("ann", users["ann"].password)
    mutation = {
        "id": str(uuid.uuid4()),
        "type": MutationType.CONVERSATION_PRIORITY.value,
        "args": {"conversation_id": seeded.conversations[0], "priority": "high"},
    }
    first = api.push([mutation])  # type: ignore[list-item]
    second = api.push([mutation])  # type: ignore[list-item]
    assert first[0].get("seq")
    assert second[0].get("seq") == first[0].get("seq")
