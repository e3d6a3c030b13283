"""A push answers its writer first: the long-polls its commit wakes are released only once
the push's response has been sent (or failed to be), on SQLite and on PostgreSQL, where the
commit's NOTIFY comes back to the same process's listener before the push has answered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from starlette.types import Message

from csdesk.domain.enums import Role
from csdesk.protocol import MAX_WAIT_SECONDS
from csdesk.server.app import create_app
from csdesk.server.config import ServerConfig
from csdesk.server.feed.notifier import RELEASE_SLICE, Notifier
from csdesk.server.sync.routes import AnswerFirst
from tests.helpers.data import make_conversations
from tests.helpers.server import TestUser, add_users

ANN = TestUser("ann", "ann-password-1", Role.AGENT)

Send = Callable[[Message], Awaitable[None]]


async def _call(
    app: Any,
    method: str,
    path: str,
    *,
    query: str = "",
    token: str | None = None,
    body: object = None,
    on_sent: Callable[[], None] | None = None,
) -> tuple[int, Any]:
    """One request straight into the ASGI app; ``on_sent`` runs once the body is sent."""
    payload = b"" if body is None else orjson.dumps(body)
    headers = [(b"host", b"test"), (b"content-length", str(len(payload)).encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await asyncio.get_running_loop().create_future()  # the client stays connected
        raise AssertionError("unreachable")

    status = 0
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body") and on_sent is not None:
                on_sent()

    await app(scope, receive, send)
    return status, orjson.loads(b"".join(chunks))


async def _until(check: Callable[[], bool]) -> None:
    """Wait for a real condition, letting the server's loop run meanwhile."""
    while not check():
        await asyncio.sleep(0.01)


def test_the_pusher_has_its_answer_before_any_long_poll_wakes(db_url: str) -> None:
    add_users(db_url, [ANN])
    (made,) = make_conversations(db_url, 1)
    app: Any = create_app(ServerConfig(db_url=db_url))
    state = app.state.csdesk
    notifier: Notifier = state.notifier
    events: list[str] = []
    real_wait = notifier.wait_past

    async def spy(cursor: int, timeout: float) -> bool:
        woke = await real_wait(cursor, timeout)
        if timeout > MAX_WAIT_SECONDS / 2 and woke:  # a long-poll (workers wait ~0.5 s)
            events.append("long-poll woke")
        return woke

    notifier.wait_past = spy  # type: ignore[method-assign]
    count = 3 * RELEASE_SLICE

    async def scenario() -> list[tuple[int, Any]]:
        async with app.router.lifespan_context(app):
            # On PostgreSQL the listener hears this process's own NOTIFY: let it connect.
            await _until(lambda: state.auth.trusted)
            status, login = await _call(
                app,
                "POST",
                "/api/v1/auth/login",
                body={"username": ANN.username, "password": ANN.password},
            )
            assert status == 200, login
            token = login["token"]
            _, first = await _call(app, "GET", "/api/v1/changes", token=token)
            before = notifier.waiters
            polls = [
                asyncio.ensure_future(
                    _call(
                        app,
                        "GET",
                        "/api/v1/changes",
                        query=f"after={first['head']}&wait={MAX_WAIT_SECONDS}",
                        token=token,
                    )
                )
                for _ in range(count)
            ]
            await _until(lambda: notifier.waiters >= before + count)
            status, pushed = await _call(
                app,
                "POST",
                "/api/v1/push",
                token=token,
                body={
                    "mutations": [
                        {
                            "id": "m-1",
                            "type": "conversation.set_priority",
                            "args": {"conversation_id": made.conversation_id, "priority": "high"},
                        }
                    ]
                },
                on_sent=lambda: events.append("push answered"),
            )
            assert status == 200 and pushed["results"][0]["status"] == "applied", pushed
            return list(await asyncio.gather(*polls))

    answers = asyncio.run(scenario())
    assert events[0] == "push answered"
    assert events.count("long-poll woke") >= count
    for status, page in answers:
        assert status == 200
        assert any(
            c["id"] == made.conversation_id and c["data"]["priority"] == "high"
            for c in page["changes"]
        )


@pytest.mark.parametrize("fails", [False, True], ids=["sent", "send-failed"])
def test_the_answer_releases_its_hold_sent_or_not(fails: bool) -> None:
    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 4)
        waiting = [asyncio.ensure_future(notifier.wait_past(4, 60)) for _ in range(3)]
        await asyncio.sleep(0)
        hold = notifier.hold()
        await asyncio.to_thread(hold.run, notifier.publish, 5)
        assert notifier.head == 4  # held

        async def receive() -> Message:
            raise AssertionError("not read")

        async def send(message: Message) -> None:
            if fails and message["type"] == "http.response.body":
                raise OSError("the client went away")

        answer = AnswerFirst(b'{"results":[]}', hold)
        if fails:
            with pytest.raises(OSError):
                await answer({"type": "http"}, receive, send)
        else:
            await answer({"type": "http"}, receive, send)
        assert hold.released
        assert all(await asyncio.gather(*waiting))
        assert notifier.head == 5

    asyncio.run(run())
