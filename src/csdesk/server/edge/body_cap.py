"""Cap request bodies while they stream, before any route or authentication runs.

A ``Content-Length`` over the cap is refused before a byte of the body is read.  A chunked
body (``Transfer-Encoding: chunked``) declares no length, so the cap is counted on the bytes
as they arrive: the first chunk that passes it ends the request with 413 and
``Connection: close``, and the server stops reading.  FastAPI reads a JSON body before it
resolves the route's dependencies (the bearer token among them), so without this an
unauthenticated client could make the server buffer any amount.

A client that hangs up halfway through its body leaves nobody to answer: the route's
``ClientDisconnect`` ends here quietly (one debug line) instead of as a ~100-line traceback,
which anyone could otherwise repeat to flood the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csdesk.server.errors import error_body

log = logging.getLogger(__name__)

_CLOSE = (b"connection", b"close")

#: The cap that applies to a request path, in bytes.
LimitFor = Callable[[str], int]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the cap; any layer may render it (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes", headers={"Connection": "close"})
        self.limit = limit


def too_large_response(limit: int) -> JSONResponse:
    return JSONResponse(
        error_body("too_large", f"request body over {limit} bytes", {"max_bytes": limit}),
        413,
        headers={"Connection": "close"},
    )


def install(app: Starlette, limit_for: LimitFor) -> None:
    """Add the cap as the outermost middleware and answer ``BodyTooLarge`` wherever raised."""

    async def _too_large(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BodyTooLarge)
        return too_large_response(exc.limit)

    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_middleware(BodyCap, limit_for=limit_for)


class BodyCap:
    """ASGI middleware: refuse bodies over ``limit_for(path)`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.limit_for(path)
        request_headers = Headers(scope=scope)
        declared = request_headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                bad = JSONResponse(
                    error_body("invalid_request", "malformed Content-Length"),
                    400,
                    headers={"Connection": "close"},
                )
                await bad(scope, receive, send)
                return
            if int(declared) > limit:
                await too_large_response(limit)(scope, receive, send)
                return
        received = 0
        # A body is on its way unless the request says it has none; answering before it has
        # all arrived closes the connection, so the server stops reading (and discarding) it.
        pending = int(declared) > 0 if declared else "transfer-encoding" in request_headers
        started = False
        gone = False

        async def capped_receive() -> Message:
            nonlocal received, pending, gone
            message = await receive()
            if message["type"] == "http.disconnect":
                gone = True
            elif message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                pending = pending and bool(message.get("more_body", False))
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if pending and all(k.lower() != b"connection" for k, _v in headers):
                    message = {**message, "headers": [*headers, _CLOSE]}
            await send(message)

        try:
            await self.app(scope, capped_receive, tracked_send)
        except BodyTooLarge as exc:
            # Normally the app's exception handlers answer it; this is the fallback for a
            # read outside them (a middleware, a background read).
            if started:
                raise
            await too_large_response(exc.limit)(scope, _no_receive, send)
        except ClientDisconnect:
            if not gone:
                raise
            log.debug("%s %s: the client left before its body arrived", scope["method"], path)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
