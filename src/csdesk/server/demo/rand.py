"""A seeded random source that also makes the ids, so one seed reproduces a whole store.

Ids come from the same stream as everything else (not ``uuid.uuid4``): two databases seeded
with the same seed and ``now`` hold byte-identical rows, which makes demos repeatable and lets
a bug report say "seed 7" instead of attaching a database.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar

T = TypeVar("T")

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# RFC 4122 version 4: version nibble 4, variant bits 10 (what uuid.UUID(version=4) sets).
_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_V4_SET = (0x8000 << 48) | (4 << 76)
_ALNUM = _UPPER + "0123456789"


class DemoRandom(random.Random):
    """``random.Random`` plus the few draws the generators need everywhere."""

    def uuid(self) -> str:
        """``str(uuid.UUID(int=getrandbits(128), version=4))``, without the object (hot path:
        a million-message store needs over two million ids)."""
        n = (self.getrandbits(128) & _V4_CLEAR) | _V4_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def hex(self, chars: int) -> str:
        return f"{self.getrandbits(chars * 4):0{chars}x}"

    def chance(self, p: float) -> bool:
        return self.random() < p

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def weighted(self, options: Sequence[T], cum_weights: Sequence[float]) -> T:
        """One of ``options`` by cumulative weights (precomputed: this runs per message);
        the same draw as ``choices(options, cum_weights=...)[0]`` at a third of the cost."""
        return options[bisect(cum_weights, self.random() * cum_weights[-1], 0, len(options) - 1)]

    def span(self, lo: timedelta, hi: timedelta) -> timedelta:
        return lo + (hi - lo) * self.random()

    def pattern(self, pattern: str) -> str:
        """Fill a number pattern: ``#`` a digit, ``%`` a digit 2-9 (no leading 0/1 where a
        numbering plan forbids it), ``@`` a capital letter, ``*`` a letter or digit."""
        out: list[str] = []
        for ch in pattern:
            if ch == "#":
                out.append(str(self.randrange(10)))
            elif ch == "%":
                out.append(str(self.randrange(2, 10)))
            elif ch == "@":
                out.append(self.pick(_UPPER))
            elif ch == "*":
                out.append(self.pick(_ALNUM))
            else:
                out.append(ch)
        return "".join(out)
