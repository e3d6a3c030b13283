"""The limits on what an agent may give away, from the environment (read at each use, so a
changed setting applies after a restart and tests can set it before the server starts).

``CSDESK_REFUND_APPROVAL_LIMIT``: refunds on one order above this (minor units, counting the
order's earlier refunds) wait for a supervisor. ``CSDESK_GOODWILL_POINTS_LIMIT`` and
``CSDESK_GOODWILL_CREDIT_LIMIT``: what an agent may grant one customer in 24 hours.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_REFUND_APPROVAL_LIMIT = 10_000
DEFAULT_GOODWILL_POINTS_LIMIT = 1_000
DEFAULT_GOODWILL_CREDIT_LIMIT = 2_500
#: The largest amount a column holds (a 32-bit INTEGER on PostgreSQL).
MAX_CENTS = 2**31 - 1


def _env_number(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text.isdigit() or len(text) > 10:
        return default
    return min(int(text), MAX_CENTS)


@dataclass(frozen=True, slots=True)
class Limits:
    refund_approval_cents: int
    goodwill_points: int
    goodwill_credit_cents: int

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            _env_number("CSDESK_REFUND_APPROVAL_LIMIT", DEFAULT_REFUND_APPROVAL_LIMIT),
            _env_number("CSDESK_GOODWILL_POINTS_LIMIT", DEFAULT_GOODWILL_POINTS_LIMIT),
            _env_number("CSDESK_GOODWILL_CREDIT_LIMIT", DEFAULT_GOODWILL_CREDIT_LIMIT),
        )
