"""Calling a store's API under the server's outbound rules (``channels.egress``).

The store's address is the operator's (``--shop-url``), but it is still checked like any URL
the server fetches: https only, to that host only, every resolved address public, the
connection made to the address that was checked, no proxy from the environment, and no
redirect followed (an API that redirects is misconfigured; following it would send the
access token elsewhere). Loopback fakes in tests are exempt only through
``$CSDESK_FETCH_TRUSTED_ORIGINS``, exactly as for the channels' media.

Every failure becomes :class:`StoreUnavailable` with a sentence an operator can act on; a
body is read only up to ``MAX_RESPONSE_BYTES``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from csdesk.server.channels import egress
from csdesk.server.commerce.store_api import StoreUnavailable
from csdesk.server.edge.bad_text import scrub_payload

MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
TIMEOUT: Final = (5.0, 30.0)


class StoreResponse:
    """Status, headers and the parsed JSON body (None when the body was not JSON)."""

    def __init__(self, status: int, headers: Mapping[str, str], data: Any) -> None:
        self.status = status
        self.headers = headers
        self.data = data


class RequestBudget:
    """What a store's rate limit left, as its last answer said: points available, how fast
    they come back, and what each kind of request cost. Kept per store by the runtime, so
    one piece of work starts where the last one left the budget (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._available: tuple[float, float, float] | None = None
        self._cost: dict[str, float] = {}

    def note(
        self, kind: str, available: float | None, rate: float | None, cost: float | None
    ) -> None:
        with self._lock:
            if available is not None and rate is not None:
                self._available = (available, rate, time.monotonic())
            if cost is not None and cost > 0:
                self._cost[kind] = cost

    def wait_for(self, kind: str) -> float:
        """Seconds until a request of ``kind`` can be afforded (0: now)."""
        with self._lock:
            known, cost = self._available, self._cost.get(kind, 0.0)
        if known is None or cost <= 0:
            return 0.0
        available, rate, at = known
        now = available + (time.monotonic() - at) * rate
        if now >= cost or rate <= 0:
            return 0.0
        return (cost - now) / rate


class StoreHttp:
    """One store's HTTP client: ``request`` goes only to ``base_url``'s host."""

    def __init__(
        self, base_url: str, policy: egress.EgressPolicy, budget: RequestBudget | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).hostname or ""
        self.session = egress.GuardedSession(policy)
        self.budget = budget if budget is not None else RequestBudget()

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> StoreResponse:
        url = self.base_url + path
        try:
            self.session.policy.check_url(url, [self.host])
            resp = self.session.request(
                method,
                url,
                headers={"Accept": "application/json", **dict(headers or {})},
                data=None if body is None else json.dumps(body).encode(),
                params=params,
                auth=auth,
                timeout=TIMEOUT,
                allow_redirects=False,
                stream=True,
            )
        except egress.Refused as exc:
            raise StoreUnavailable(f"the store's address is refused: {exc.reason}") from None
        except requests.RequestException as exc:
            raise StoreUnavailable(f"the store cannot be reached ({type(exc).__name__})") from None
        try:
            raw = _read(resp)
        finally:
            resp.close()
        if 300 <= resp.status_code < 400:
            raise StoreUnavailable(
                f"the store answered {resp.status_code} (a redirect): check the shop URL"
            )
        data: Any = None
        if raw:
            try:
                data = scrub_payload(json.loads(raw), "store")
            except (ValueError, RecursionError):
                data = None
        return StoreResponse(resp.status_code, resp.headers, data)


def _read(resp: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise StoreUnavailable("the store's answer is too large")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise StoreUnavailable(f"the store's answer broke off ({type(exc).__name__})") from None
    return b"".join(chunks)


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = (headers.get("Retry-After") or "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < 3600 else None
