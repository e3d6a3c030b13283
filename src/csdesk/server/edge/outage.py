"""While the database cannot be reached: 503 with Retry-After, a health check that says so,
and one log line per kind of failure per interval instead of a traceback per request.

A request that meets an unreachable database is not a bug of ours and not the client's fault:
it answers ``503 database_unavailable`` with ``Retry-After`` (desks and providers then retry
later), and the log gets one line naming the failure (class and the driver's first line)
per ``LOG_INTERVAL`` with a count of what it kept quiet, so an outage of an hour is dozens of
lines, not hundreds of thousands.  ``/healthz`` runs ``SELECT 1`` and answers 503 naming the
part that is down, so a load balancer or systemd watchdog sees the outage too.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool

from csdesk.server.errors import error_body

log = logging.getLogger(__name__)

#: What a client is told to wait before trying again (seconds).
RETRY_AFTER = 5
#: At most one log line per kind of failure this often (seconds).
LOG_INTERVAL = 60.0
#: How long /healthz waits for ``SELECT 1`` before calling the database unreachable.
HEALTH_TIMEOUT = 5.0

#: The exception classes that mean "the database is not there", not "our query is wrong".
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # no connection free in the pool: overloaded or hanging
    sa_exc.DisconnectionError,
    sqlite3.OperationalError,
)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def describe(exc: BaseException) -> str:
    """One line: the class and the driver's first line, never a traceback or a password (the
    drivers' connection errors name host and port, not credentials)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first[:300]}"


class FailureLog:
    """Log a failure once per ``interval`` per kind, with how many were kept quiet since."""

    def __init__(self, logger: logging.Logger, interval: float = LOG_INTERVAL) -> None:
        self.logger = logger
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def report(self, kind: str, message: str) -> bool:
        """Log ``message`` unless ``kind`` was logged less than ``interval`` ago; returns
        whether it was logged."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.interval:
                self._quiet[kind] = self._quiet.get(kind, 0) + 1
                return False
            self._last[kind] = now
            quiet = self._quiet.pop(kind, 0)
        more = f" ({quiet} more since the last report)" if quiet else ""
        self.logger.error("%s%s", message, more)
        return True


#: One per process: the request handler and the background workers share the interval.
failures = FailureLog(log)


def report(exc: BaseException, where: str) -> None:
    """Log that ``where`` met an unreachable database (throttled per failure class)."""
    orig = getattr(exc, "orig", None) or exc
    failures.report(
        f"database:{type(orig).__name__}", f"database unavailable ({where}): {describe(exc)}"
    )


def log_failure(logger: logging.Logger, exc: BaseException, message: str) -> None:
    """For background loops: an outage gets the throttled line, anything else a traceback."""
    if is_unavailable(exc):
        report(exc, message)
    else:
        logger.error(message, exc_info=exc)


def unavailable_response() -> JSONResponse:
    return JSONResponse(
        error_body(
            "database_unavailable",
            "the server cannot reach its database; try again shortly",
            {"retry_after": RETRY_AFTER},
        ),
        503,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


async def check_database(engine: Engine) -> dict[str, Any]:
    """``{"status": "ok"}`` or ``{"status": "unreachable", "error": ...}``."""

    def ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(run_in_threadpool(ping), HEALTH_TIMEOUT)
    except TimeoutError:
        return {"status": "unreachable", "error": f"no answer in {HEALTH_TIMEOUT:.0f} s"}
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        report(exc, "health check")
        # Anyone may ask /healthz: the driver's words (host, port, database or user names)
        # go to the log, the answer names only the kind of failure.
        orig = getattr(exc, "orig", None) or exc
        return {"status": "unreachable", "error": f"{type(orig).__name__} (see the server log)"}
    return {"status": "ok"}


def install(app: FastAPI) -> None:
    """Answer an unreachable database with 503 + Retry-After, wherever a route meets it."""

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        report(exc, f"{request.method} {request.url.path}")
        return unavailable_response()

    for cls in UNAVAILABLE:
        app.add_exception_handler(cls, _unavailable)


async def health(engine: Engine, **facts: Any) -> JSONResponse:
    """The /healthz answer: 200 with ``status: ok``, or 503 naming the part that is down."""
    database = await check_database(engine)
    ok = database["status"] == "ok"
    body = {"status": "ok" if ok else "unavailable", **facts, "database": database}
    if ok:
        return JSONResponse(body)
    return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER)})
