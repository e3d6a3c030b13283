"""The public knowledge-base pages' rate limit and cache (``kb.pages``).

``/kb`` is open to anyone: every search runs full-text search and every article renders
Markdown through nh3. So each client address gets a bucket (``PAGE_RATE`` pages a minute, of
which at most ``SEARCH_RATE`` searches), and rendered pages are kept by address and language
until the knowledge base changes. "Changes" is read from the change feed, which every edit of
an article or a variant goes through on any server process: the highest feed seq of those two
entities, one indexed query per request, instead of the listing, search and rendering.

A page also carries an ``ETag`` (a hash of its bytes): a browser that has it asks again with
``If-None-Match`` and gets ``304 Not Modified``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.protocol import Entity
from csdesk.server.channels.guard import RateLimiter
from csdesk.storage import models as m

#: Pages a minute per client address (a person reading, a crawler that behaves).
PAGE_RATE: Final = 120
#: Searches a minute per client address (each is a full-text query).
SEARCH_RATE: Final = 30
MAX_PAGES: Final = 512
MAX_BYTES: Final = 16 << 20

_KB_ENTITIES: Final = (Entity.KB_ARTICLE.value, Entity.KB_VARIANT.value)


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    body: str
    etag: str


def page(status: int, body: str) -> Page:
    digest = hashlib.blake2b(body.encode(), digest_size=12).hexdigest()
    return Page(status, body, f'"{digest}"')


def version(session: Session) -> int:
    """The knowledge base's latest change: its newest feed seq (0: none)."""
    seq = session.scalar(
        select(func.max(m.SyncChange.seq)).where(m.SyncChange.entity.in_(_KB_ENTITIES))
    )
    return int(seq or 0)


Key = tuple[str, str, str]  # (path, language asked, query)


class KbPages:
    """Per-app: the rate limiter and the pages rendered at a knowledge-base version."""

    def __init__(self) -> None:
        self.limiter = RateLimiter()
        self._pages: OrderedDict[Key, tuple[int, Page]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def wait(self, client: str, searching: bool) -> float:
        """Seconds to wait before this client's next page (0: go on)."""
        wait = self.limiter.take(f"kb:{client}", PAGE_RATE)
        if wait <= 0 and searching:
            wait = self.limiter.take(f"kb-search:{client}", SEARCH_RATE)
        return wait

    def get(self, key: Key, at: int) -> Page | None:
        with self._lock:
            hit = self._pages.get(key)
            if hit is None or hit[0] != at:
                return None
            self._pages.move_to_end(key)
            return hit[1]

    def put(self, key: Key, at: int, found: Page) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1].body)
            self._pages[key] = (at, found)
            self._bytes += len(found.body)
            while self._pages and (len(self._pages) > MAX_PAGES or self._bytes > MAX_BYTES):
                self._bytes -= len(self._pages.popitem(last=False)[1][1].body)
