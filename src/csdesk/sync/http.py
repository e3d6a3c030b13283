"""The HTTP transport under ``SyncApi``: requests and urllib3 live here only.

One ``requests.Session`` keeps connections alive (a TLS handshake per long-poll would cost more
than the poll). Its adapter sets ``TCP_NODELAY`` explicitly: without it small requests waited
for delayed ACKs, 44 ms per round trip on some paths (PLATFORM-NOTES). The adapter also
remembers the connections it opened, so ``abort()`` can shut down a 25-second long-poll from
another thread: closing a session only closes *idle* connections.

``csdesk.sync.api`` imports this module at its first request (or ``load_transport()``), so a
start from the cached inbox does not pay for requests before its first paint.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from typing import IO, Any, Final

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.poolmanager import PoolManager

from csdesk.sync.api import Offline, ServerError, TlsError

_NODELAY: Final = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

__all__ = ["TrackingAdapter", "Transport"]


class TrackingAdapter(HTTPAdapter):
    """Sets TCP_NODELAY and keeps weak references to every connection it opens."""

    def __init__(self) -> None:
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        super().__init__()

    def _socket_options(self) -> list[tuple[int, int, int]]:
        options = [o for o in HTTPConnection.default_socket_options if o[:2] != _NODELAY[:2]]
        return [*options, _NODELAY]

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["socket_options"] = self._socket_options()
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self._track(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        fresh = proxy not in self.proxy_manager
        if fresh:
            proxy_kwargs["socket_options"] = self._socket_options()
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if fresh:
            self._track(manager)
        return manager

    def _track(self, manager: PoolManager) -> None:
        # urllib3's documented extension point is subclassing _new_pool; wrapping the instance's
        # bound methods covers PoolManager, ProxyManager and SOCKSProxyManager alike.
        new_pool = manager._new_pool
        remember = self._remember

        def tracked_pool(*args: Any, **kwargs: Any) -> Any:
            pool = new_pool(*args, **kwargs)
            new_conn = pool._new_conn

            def tracked_conn() -> Any:
                conn = new_conn()
                remember(conn)
                return conn

            pool._new_conn = tracked_conn  # type: ignore[method-assign]
            return pool

        manager._new_pool = tracked_pool  # type: ignore[method-assign]

    def _remember(self, conn: Any) -> None:
        with self._connections_lock:
            self.connections.add(conn)

    def abort(self) -> None:
        """Shut down every open socket: a blocked read returns at once with an error."""
        with self._connections_lock:
            conns = list(self.connections)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class Transport:
    """One kept-alive session to ``base_url``; failures to connect become ``SyncError``s."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.adapter = TrackingAdapter()
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        data: IO[bytes] | None,
        headers: dict[str, str],
        timeout: tuple[float, float],
        raw: bool,
    ) -> tuple[requests.Response, Any]:
        """The response and its decoded JSON body (None when it has none, or with ``raw``
        and a success: the caller reads ``response.content``)."""
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                timeout=timeout,
            )
            if response.status_code == 204 or (raw and response.ok):
                return response, None
            try:
                body = response.json()
            except ValueError:
                body = None
        except requests.exceptions.SSLError as exc:
            raise TlsError(
                f"The secure connection to {self.base_url} failed ({_root(exc)}). "
                "Check the server address and its certificate."
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise Offline(f"The server at {self.base_url} did not answer in time.") from exc
        except requests.exceptions.InvalidURL as exc:
            raise ServerError(0, "invalid_url", f"The server address is not valid: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            # ConnectionError, ChunkedEncodingError (dropped mid-answer), ... all mean the
            # same to the agent: no working connection right now.
            raise Offline(f"Cannot reach the server at {self.base_url} ({_root(exc)}).") from exc
        return response, body

    def close(self) -> None:
        self.adapter.abort()
        self.session.close()


def _root(exc: BaseException) -> str:
    """The innermost cause, which names the real problem (refused, reset, certificate)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    for arg in exc.args:
        if isinstance(arg, Exception):
            exc = arg
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."
