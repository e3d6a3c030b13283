"""The token buckets the webhooks and the chat API share (``channels.guard.RateLimiter``)."""

from __future__ import annotations

from csdesk.server.channels.guard import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_is_spent_and_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert [limiter.take("k", 2) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k", 2) == 30.0  # one token comes back every 30 s
    clock.now += 30
    assert limiter.take("k", 2) == 0.0


def test_keys_nobody_uses_any_more_are_forgotten() -> None:
    """Found by the outside review: the chat API keys a bucket on the X-Chat-Token header
    before it checks the token, so a client sending a made-up token per request added a bucket
    per request, kept for ever: memory grew without bound (unauthenticated)."""
    clock = Clock()
    limiter = RateLimiter(clock)
    for n in range(50_000):
        limiter.take(f"chat-session:made-up-{n}", 240)
    clock.now += 1.0  # every one of those buckets is full again (a token per 0.25 s)
    for n in range(50_000, 70_000):
        limiter.take(f"chat-session:made-up-{n}", 240)
    # The 50,000 full buckets are gone; what is kept is at most twice the keys in use.
    assert len(limiter._buckets) <= 40_000, len(limiter._buckets)
    # A key still in use keeps its count.
    for _ in range(3):
        limiter.take("slow", 3)
    for n in range(70_000, 150_000):
        limiter.take(f"chat-session:made-up-{n}", 240)
    assert limiter.take("slow", 3) > 0
