"""What every webhook checks before it believes a byte: configured, not huge, signed, not
flooding.

An unconfigured provider is refused from a cached lookup; a body over the limit is refused
while it streams in (a chunked upload has no Content-Length to trust); then the signature is
checked (an HMAC over a bounded body: cheap) *before* the rate limit, so a request is counted
in the provider's bucket only when it is signed. Forged requests spend a bucket of their own
(:func:`admit` with ``signed=False``): a flood of unsigned junk gets 403 and then 429 from it,
and never makes the real provider's deliveries 429.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from fastapi import Request

from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.vault import VaultError
from csdesk.server.errors import ApiError

log = logging.getLogger(__name__)


class RateLimiter:
    """A token bucket per key: ``rate`` requests a minute, bursts up to ``rate``.

    Per process: behind several server processes each allows the rate, which is still a
    bound, and needs no shared state on the hot path. A bucket that has filled up again is the
    same as none, so such buckets are forgotten whenever the table has doubled: keys a client
    makes up (the chat API keys on a header it has not checked yet) cannot grow it without end.
    """

    #: The table is pruned when it reaches this size, or twice what the last pruning left.
    PRUNE_AT = 4096

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # key -> (tokens, last refill, capacity)
        self._buckets: dict[str, tuple[float, float, float]] = {}
        self._lock = threading.Lock()
        self._prune_at = self.PRUNE_AT

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, rate_per_minute: int) -> float:
        """Spend one token; 0.0 when allowed, else the seconds until one is available."""
        capacity = float(max(rate_per_minute, 1))
        refill = capacity / 60.0
        now = self._clock()
        with self._lock:
            if key not in self._buckets and len(self._buckets) >= self._prune_at:
                self._prune(now)
            tokens, last, _cap = self._buckets.get(key, (capacity, now, capacity))
            tokens = min(capacity, tokens + (now - last) * refill)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now, capacity)
                return 0.0
            self._buckets[key] = (tokens, now, capacity)
            return (1.0 - tokens) / refill

    def _prune(self, now: float) -> None:
        self._buckets = {
            key: (tokens, last, cap)
            for key, (tokens, last, cap) in self._buckets.items()
            if tokens + (now - last) * cap / 60.0 < cap
        }
        self._prune_at = max(self.PRUNE_AT, 2 * len(self._buckets))


def refuse_unconfigured(provider: Provider) -> ApiError:
    return ApiError(
        404,
        "channel_not_configured",
        f"the {provider.value} channel is not configured on this server",
    )


def check_channel(
    lookup: Callable[[Provider], ChannelSettings | None], provider: Provider
) -> ChannelSettings:
    """The provider's settings, or the refusal the webhook answers with."""
    try:
        settings = lookup(provider)
    except VaultError as exc:
        log.error("%s webhook refused: %s", provider.value, exc)
        raise ApiError(
            503, "channel_unavailable", f"the {provider.value} channel cannot be used now"
        ) from None
    if settings is None:
        raise refuse_unconfigured(provider)
    return settings


def admit(
    limiter: RateLimiter, provider: Provider, settings: ChannelSettings, *, signed: bool
) -> None:
    """Spend one token of the provider's bucket, or of its forged-requests bucket when the
    signature did not verify; 429 with Retry-After when that bucket is empty."""
    key = provider.value if signed else f"{provider.value}:forged"
    wait = limiter.take(key, settings.rate_per_minute)
    if wait > 0:
        what = "" if signed else "unsigned "
        raise ApiError(
            429,
            "rate_limited",
            f"too many {what}{provider.value} webhook requests; retry later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body (signatures cover these exact bytes), refused with 413 past ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"webhook body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"webhook body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
