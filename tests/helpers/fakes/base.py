"""A provider API on loopback: a stdlib HTTP server in a thread that checks every request.

Each fake answers like the real provider (its success bodies and its error JSON) and records
what it received.  A request that breaks the provider's documented rules (credentials, content
type, required fields) is answered with the provider's own error *and* listed in
``violations``, so a test fails on a malformed send even when the server under test copes
with the error.  Faults (``fail``) make it answer 500/429/400 or drop the connection, to
exercise retries.
"""

from __future__ import annotations

import email.policy
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

DROP = 0  # a fault "status" that closes the connection without an answer


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)

    def form_dict(self) -> dict[str, str]:
        return dict(self.form())

    def multipart(self) -> list[Part] | None:
        """The ``multipart/form-data`` parts (RFC 7578), or None if the body is not one."""
        ctype = self.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
            return None
        head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        parsed = BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        if not parsed.is_multipart() or parsed.defects:
            return None
        parts = []
        for raw in parsed.iter_parts():
            if raw.get_content_disposition() != "form-data":
                return None
            name = raw.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                return None
            payload = raw.get_payload(decode=True)
            parts.append(
                Part(
                    name,
                    raw.get_filename(),
                    raw.get_content_type() if raw.get("content-type") else None,
                    payload if isinstance(payload, bytes) else b"",
                )
            )
        return parts


@dataclass(frozen=True)
class Part:
    """One ``multipart/form-data`` field; ``filename`` is set for a file."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def fetch_public(url: str) -> tuple[int, str, bytes]:
    """GET a media URL the way a provider does: no credentials of ours, redirects followed."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""
    except (urllib.error.URLError, OSError, ValueError):
        return 0, "", b""


@dataclass
class Answer:
    status: int
    body: Any  # JSON-encodable
    headers: dict[str, str] = field(default_factory=dict)
    #: Bytes sent as they are (a media file) instead of ``body`` as JSON.
    raw: bytes | None = None
    content_type: str = "application/json"


class Violation(Exception):
    """The request breaks the provider's documented rules; carries the provider's error."""

    def __init__(self, answer: Answer, why: str) -> None:
        super().__init__(why)
        self.answer = answer
        self.why = why


class FakeProvider:
    """Subclasses implement ``handle`` (a valid request) and ``error`` (the provider's error)."""

    name = "fake"

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self._faults: deque[int] = deque()
        self._always: int | None = None
        self._cond = threading.Condition()
        self._gate = threading.Event()
        self._gate.set()
        self.arrived = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- to override ----------------------------------------------------------------------

    def handle(self, req: Recorded) -> Answer:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Answer:
        raise NotImplementedError

    # --- control --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                req = Recorded(
                    self.command,
                    parts.path,
                    parts.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = fake._answer(req)
                if answer is None:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                raw = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(raw)))
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (DROP: close the connection)."""
        with self._cond:
            self._faults.extend([status] * times)

    def down(self, status: int | None = 500) -> None:
        """Answer every request with ``status`` until ``down(None)``."""
        with self._cond:
            self._always = status

    def clear(self) -> None:
        with self._cond:
            self.requests.clear()
            self.violations.clear()
            self._faults.clear()
            self._always = None
            self.arrived = 0
        self._gate.set()

    def hold(self) -> None:
        """Keep requests waiting for an answer until ``release`` (a slow provider)."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def wait_arrived(self, count: int, timeout: float = 15.0) -> None:
        """Block until ``count`` requests reached the fake, answered or not."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.arrived < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.name}: {self.arrived} requests arrived")
                self._cond.wait(remaining)

    def wait_requests(self, count: int, timeout: float = 15.0) -> list[Recorded]:
        """Block until ``count`` requests arrived (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.name}: {len(self.requests)} requests after {timeout}s, "
                        f"wanted {count}; violations: {self.violations}"
                    )
                self._cond.wait(remaining)
            return list(self.requests)

    # --- internals ------------------------------------------------------------------------

    def _answer(self, req: Recorded) -> Answer | None:
        with self._cond:
            self.arrived += 1
            self._cond.notify_all()
        self._gate.wait(30)
        with self._cond:
            fault = self._faults.popleft() if self._faults else self._always
        try:
            if fault is not None:
                return None if fault == DROP else self.error(fault, "injected fault")
            try:
                return self.handle(req)
            except Violation as exc:
                with self._cond:
                    self.violations.append(f"{req.method} {req.path}: {exc.why}")
                return exc.answer
        finally:
            with self._cond:
                self.requests.append(req)
                self._cond.notify_all()
