"""A uvicorn server that releases parked long-polls the moment it starts to stop.

uvicorn's graceful shutdown waits for open requests to finish, and a long-poll parked on the
feed would keep it waiting until its timeout (the cap is ``timeout_graceful_shutdown``, 3 s).
Releasing the waits first lets every parked pull answer an empty page at once (the desk simply
polls again, elsewhere or later), so a stopping server, the embedded one included, is gone in
a fraction of a second.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn


class StoppingServer(uvicorn.Server):
    """``uvicorn.Server`` that calls ``on_stopping`` (on the event loop) before shutting down."""

    def __init__(self, config: uvicorn.Config, on_stopping: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_stopping = on_stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.on_stopping()
        await super().shutdown(sockets)
