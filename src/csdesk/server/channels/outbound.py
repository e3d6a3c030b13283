"""Outbound provider calls described as data, and their answers read back as data.

Building the request separately from sending it keeps the HTTP client (and its retries,
timeouts and test doubles) in one place in the server, and lets tests compare the exact bytes
each provider would receive.  Requests carry credentials, so their ``repr`` redacts them: a
request object that ends up in a log line must not leak a token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from csdesk.domain.enums import DeliveryStatus

_SECRET_HEADERS = frozenset({"authorization"})
_BOT_TOKEN_IN_PATH = re.compile(r"/bot[^/]+/")


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One HTTP call to a provider: send with ``method``, ``url``, ``headers`` and ``body``."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup, as HTTP defines it."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def json_body(self) -> Any:
        """The decoded JSON body (for callers that log or assert on a request's content)."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        shown = tuple(
            (k, "<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in self.headers
        )
        url = _BOT_TOKEN_IN_PATH.sub("/bot<redacted>/", self.url)
        return (
            f"OutboundRequest(method={self.method!r}, url={url!r}, headers={shown!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


def form_request(
    method: str, url: str, fields: list[tuple[str, str]], headers: Mapping[str, str]
) -> OutboundRequest:
    """Build a form-encoded request; a list of pairs because some fields (MediaUrl) repeat."""
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    return OutboundRequest(
        method=method,
        url=url,
        headers=tuple(all_headers.items()),
        body=urlencode(fields).encode("ascii"),
    )


def json_request(
    method: str, url: str, payload: Mapping[str, Any], headers: Mapping[str, str]
) -> OutboundRequest:
    """Build a JSON request, non-ASCII kept as UTF-8 (providers count characters, not escapes)."""
    all_headers = {"Content-Type": "application/json", **headers}
    return OutboundRequest(
        method=method,
        url=url,
        headers=tuple(all_headers.items()),
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
    )


def join_url(base_url: str, path: str) -> str:
    """Join a configurable base (a test server or a regional endpoint) and an absolute path."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def require_text(text: str, limit: int, provider: str) -> None:
    """Refuse empty or over-long bodies before the provider does, with a message for the agent."""
    if not text.strip():
        raise ValueError(f"{provider}: message text is empty")
    if len(text) > limit:
        raise ValueError(
            f"{provider}: message text is {len(text)} characters, the limit is {limit}"
        )


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a provider said about one send.

    ``retryable`` is True for rate limits and provider-side failures, where the same request may
    succeed later; ``retry_after`` is the provider's own hint in seconds when it gives one.
    """

    ok: bool
    provider_message_id: str | None = None
    status: DeliveryStatus | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    retry_after: float | None = None


def decode_json_object(body: bytes | str) -> dict[str, Any] | None:
    """Decode a response body that should be a JSON object; None when it is not (an HTML 502)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def http_failure(status_code: int, body: bytes | str) -> SendResult:
    """The result for a response whose body we could not read as the provider's JSON."""
    snippet = body if isinstance(body, str) else body[:200].decode("utf-8", "replace")
    return SendResult(
        ok=False,
        error_code=f"http_{status_code}",
        error_message=f"HTTP {status_code}: {snippet[:200]}",
        retryable=status_code == 429 or status_code >= 500,
    )
