"""A stopping server answers parked long-polls at once (empty), instead of keeping them, and
itself, alive until they time out: the embedded server then exits with the desk promptly."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import requests
import uvicorn

from csdesk.domain.enums import Role
from csdesk.protocol import MAX_WAIT_SECONDS
from csdesk.server.app import create_app
from csdesk.server.config import ServerConfig
from csdesk.server.feed.notifier import Notifier
from csdesk.server.stopping import StoppingServer
from tests.helpers.server import TestUser, add_users, free_port
from tests.server.channels.support import wait_until


def test_stop_releases_waits_and_no_new_wait_parks() -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 5)
        parked = asyncio.create_task(notifier.wait_past(5, MAX_WAIT_SECONDS))
        await asyncio.sleep(0)  # let it park
        parked_before = notifier.waiters == 1
        notifier.stop()
        released = await asyncio.wait_for(parked, MAX_WAIT_SECONDS / 2)
        late = await asyncio.wait_for(notifier.wait_past(5, MAX_WAIT_SECONDS), MAX_WAIT_SECONDS)
        return parked_before, released, late

    parked_before, released, late = asyncio.run(scenario())
    assert parked_before
    assert released is False  # as on a timeout: the pull answers with what it has (nothing)
    assert late is False


def test_server_stop_answers_a_parked_long_poll_empty(db_url: str) -> None:
    user = TestUser("ann", "ann-password", Role.AGENT)
    add_users(db_url, [user])
    app: Any = create_app(ServerConfig(db_url=db_url, listen_notify=False))
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3600
    )
    notifier = app.state.csdesk.notifier
    real_wait = notifier.wait_past
    parked = threading.Event()

    async def spy(cursor: int, timeout: float) -> bool:
        if timeout > MAX_WAIT_SECONDS / 2:  # the long-poll (background workers wait ~0.5 s)
            parked.set()
        return await real_wait(cursor, timeout)

    notifier.wait_past = spy
    server = StoppingServer(config, notifier.stop)
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: True if server.started else None, what="the server to start")
        token = requests.post(
            f"{url}/api/v1/auth/login",
            json={"username": user.username, "password": user.password},
            timeout=30,
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        first = requests.get(f"{url}/api/v1/changes", headers=auth, timeout=30).json()
        answer: dict[str, Any] = {}

        def long_poll() -> None:
            try:
                r = requests.get(
                    f"{url}/api/v1/changes",
                    params={"after": first["head"], "wait": MAX_WAIT_SECONDS},
                    headers=auth,
                    # Half the wait: an answer only comes in time if the stop released it.
                    timeout=MAX_WAIT_SECONDS / 2,
                )
                answer["status"], answer["body"] = r.status_code, r.json()
            except requests.RequestException as exc:
                answer["error"] = exc

        poller = threading.Thread(target=long_poll)
        poller.start()
        wait_until(lambda: True if parked.is_set() or answer else None, what="the poll to park")
        server.should_exit = True
        poller.join(MAX_WAIT_SECONDS)
    finally:
        server.should_exit = True
        thread.join(MAX_WAIT_SECONDS)
    assert "error" not in answer, answer
    assert answer["status"] == 200
    assert answer["body"]["changes"] == []
    assert not thread.is_alive()
