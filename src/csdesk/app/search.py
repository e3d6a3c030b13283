"""Full-text search over the local cache: messages, customer names, emails, phones and order
numbers (SQLite FTS5); and knowledge-base articles (kind ``a``, see ``article_hits``).

The index lives in the cache file and is kept current inside the cache's own write
transactions (a ``LocalCache`` watcher), set-based: each applied page deletes the index rows of
what it touched and re-inserts them with one ``INSERT … SELECT`` per kind, so the index can
never disagree with the rows a reader sees. An initial sync leaves the index *pending* (a
search finds nothing) and builds it once, with one statement per kind, when the last page
lands.

``search_refs`` names what each index row was made from; its integer key IS the FTS rowid, so
re-indexing an entity deletes exactly its old row. (An older layout stored the value of
``INSERT … RETURNING rowid``, which FTS5 answers with -1: old texts stayed searchable. Such an
index is dropped and rebuilt on open.)
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Subquery, select, text
from sqlalchemy.orm import Session

from csdesk.app.inbox import Hits
from csdesk.app.packed_ids import PackedIds
from csdesk.protocol import Entity
from csdesk.sync.cache import CURSOR, CacheWrite, LocalCache
from csdesk.sync.tables import get_state, set_state

log = logging.getLogger(__name__)

#: Bump when the index tables change shape: an index of another layout is rebuilt on open.
LAYOUT = 4  # 4: knowledge-base articles (issue 14)
_LAYOUT_KEY = "search_layout"
#: Set while the index is not built (an initial sync is under way): searches find nothing.
_PENDING_KEY = "search_pending"
#: At most this many index hits (newest first) per search: a query matching half the cache
#: would otherwise list half the cache. Each hit costs a few scattered page reads (its ref, its
#: conversation): at 1.26 M index rows on a loaded 2-core box 2,000 hits took 20-45 ms,
#: 500 hits 10-20 ms (bench/desk_search.py --max-hits).
MAX_HITS = 1000
#: The cap of a second, wider search when the first one's hits were cut and a narrow view
#: (Mine) kept fewer than ``WIDEN_BELOW`` rows of them: the matches it shows may lie further
#: back than the newest ``MAX_HITS`` index hits.
WIDE_HITS = 20_000
#: A view that keeps at least this many rows of the newest ``MAX_HITS`` hits (a screenful and
#: more) is not searched again wider: the agent refines the query rather than scroll past a
#: hundred matches, and the wider search costs 20 times the first (All open keeps about half
#: of a common word's hits; its second pass took 40-80 ms at 1.26 M index rows).
WIDEN_BELOW = 100

_DDL = (
    # Only the text: reading UNINDEXED columns back costs a content-table lookup per hit.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', columnsize = 0)",
    "CREATE TABLE IF NOT EXISTS search_refs ("
    "id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, "
    "conversation_id TEXT, customer_id TEXT, UNIQUE (kind, key))",
)
#: The word every knowledge-base row of the index starts with (letters only: one token).
ARTICLE_MARKER = "csdeskkbarticlerow"
_TOKEN = re.compile(r"[\w@.+\-]+", re.UNICODE)
_PART = re.compile(r"[^\W_]+", re.UNICODE)

# What each kind of index row is made of, from its source table aliased ``x``; ``:keys`` is
# a JSON array of the source ids to index.
_SOURCES = {
    "m": (
        "messages",
        # coalesce: the cache's columns are all nullable (a field an older server did not send
        # is NULL), and one NULL would make the whole text NULL, the row unsearchable.
        "coalesce(x.subject, '') || char(10) || coalesce(x.body_text, '')",
        "x.conversation_id",
        "NULL",
    ),
    "c": (
        "customers",
        "coalesce(x.name, '') || ' ' || coalesce(x.email, '') || ' ' || "
        "coalesce(x.phone, '') || ' ' || "
        "coalesce((SELECT group_concat(i.value, ' ') FROM customer_identities i "
        "WHERE i.customer_id = x.id), '')",
        "NULL",
        "x.id",
    ),
    "o": (
        "orders",
        "coalesce(x.number, '') || ' ' || coalesce((SELECT group_concat(sh.tracking_number, ' ') "
        "FROM shipments sh WHERE sh.order_id = x.id), '')",
        "NULL",
        "x.customer_id",
    ),
    # Knowledge base (issue 14, docs/knowledge-base.md): each language variant of an article,
    # with its article's tags, after a marker word only article rows carry, so an article
    # search is "marker AND words" and never gathers the hits of the messages. Conversation
    # searches never show these rows (they name no conversation and no customer).
    "a": (
        "kb_variants",
        f"'{ARTICLE_MARKER} ' || coalesce(x.title, '') || char(10) || "
        "coalesce((SELECT group_concat(j.value, ' ') FROM kb_articles ka, json_each(ka.tags) j "
        "WHERE ka.id = x.article_id), '') || char(10) || coalesce(x.body, '')",
        "NULL",
        "NULL",
    ),
}
_IN_KEYS = "IN (SELECT value FROM json_each(:keys))"


def match_expression(query: str) -> str | None:
    """An FTS5 query for what the agent typed: every word must match, the last as a prefix
    (results as you type). Quotes keep user input from being read as FTS syntax.

    Never a one-letter prefix: it matches most of the cache, and FTS5 gathers every hit of a
    prefix its prefix index (2 and 3 letters) does not hold before it can sort them. A last
    word of one letter is one just begun and waits for its second; a query with no word of
    two letters or more is not searched at all (None; see ``searchable``)."""
    # Each typed word is a phrase of the tokens FTS5's unicode61 tokenizer makes of it (runs
    # of letters and digits): what counts as one letter is the last of those tokens, so
    # "x.y", "_a_" or "a-b-c" cannot smuggle in a one-letter prefix.
    words = [_PART.findall(w) for w in _TOKEN.findall(unicodedata.normalize("NFC", query))]
    words = [w for w in words if w]
    while words and len(words[-1][-1]) == 1:
        words[-1].pop()  # a last letter is a word just begun: it waits for its second
        if not words[-1]:
            words.pop()
    if not words:
        return None
    quoted = ['"' + " ".join(w) + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def searchable(query: str) -> bool:
    """Whether ``query`` is worth a search (the inbox shows its view unfiltered until it is)."""
    return match_expression(query) is not None


class SearchIndex:
    """Opening is cheap: an index that must first be rebuilt or emptied (an older layout, or
    the cache's tables rebuilt) is made ready on a worker thread (``open``), never on the
    caller's (the GUI thread builds the ``Workstation``); it is *pending* until then."""

    def __init__(self, cache: LocalCache, on_ready: Callable[[], None] | None = None) -> None:
        self.cache = cache
        self.max_hits = MAX_HITS
        self.wide_hits = WIDE_HITS
        self.widen_below = WIDEN_BELOW
        self._on_ready = on_ready
        self._ready = threading.Event()
        self._opening = threading.Lock()
        with cache.session() as s:
            current = self._current(s)
        if current:
            with cache.write() as s:
                self._open(s)  # a fresh cache or an index of this layout: cheap
            cache.add_watcher(self)
            self._ready.set()
        else:
            threading.Thread(
                target=self._open_quietly, name="csdesk-search-open", daemon=True
            ).start()

    @staticmethod
    def _current(s: Session) -> bool:
        """True when opening costs nothing: no index yet, or one of this layout that needs no
        emptying."""
        layout = get_state(s, _LAYOUT_KEY)
        if layout is None:
            exists = s.scalar(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE name IN ('search_fts', 'search_refs')"
                )
            )
            return not exists
        if layout != LAYOUT:
            return False
        return bool(int(get_state(s, CURSOR) or 0) or get_state(s, _PENDING_KEY))

    def open(self) -> None:
        """Rebuild or empty the index if it must be, then keep it current (idempotent; the
        worker thread started by ``__init__`` calls it)."""
        with self._opening:
            if self._ready.is_set():
                return
            with self.cache.write() as s:
                self._open(s)
                self.cache.add_watcher(self)  # under the write lock: no write in between
            self._ready.set()
        if self._on_ready is not None:
            self._on_ready()

    def _open_quietly(self) -> None:
        try:
            self.open()
        except Exception:
            log.exception("could not open the search index")

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the index is open (not necessarily built: see ``pending``)."""
        return self._ready.wait(timeout)

    def _open(self, s: Session) -> None:
        if get_state(s, _LAYOUT_KEY) != LAYOUT:
            s.execute(text("DROP TABLE IF EXISTS search_fts"))
            s.execute(text("DROP TABLE IF EXISTS search_refs"))
        for ddl in _DDL:
            s.execute(text(ddl))
        if get_state(s, _LAYOUT_KEY) != LAYOUT:
            set_state(s, _LAYOUT_KEY, LAYOUT)
            if int(get_state(s, CURSOR) or 0):
                self._build(s)  # cached data, an index of an older layout
                return
            set_state(s, _PENDING_KEY, True)
        elif not int(get_state(s, CURSOR) or 0) and not get_state(s, _PENDING_KEY):
            # The cache's tables were rebuilt (a new schema) since the index was built.
            self._clear(s)

    # --- keeping it current (LocalCache watcher, inside the writer's transaction) ----------

    def changing(self, s: Session, write: CacheWrite) -> object:
        """The customers and orders whose identities and shipments are about to change (a
        deleted identity must leave its customer's text too)."""
        return self._owners(s, write.pairs)

    def changed(self, s: Session, write: CacheWrite, before: object) -> None:
        if write.everything or write.first_page:
            self._clear(s)
        if get_state(s, _PENDING_KEY):
            if write.page and not write.more:
                self._build(s)  # the initial sync's last page: index everything at once
            return
        keys = self._keys(write.pairs)
        assert isinstance(before, dict)
        for kind, owners in before.items():
            keys[kind] |= owners
        for kind, owners in self._owners(s, write.pairs).items():
            keys[kind] |= owners
        for kind, ids in keys.items():
            if ids:
                self._reindex(s, kind, ids)

    def rebuild(self) -> None:
        """Index every cached message, customer and order again, from scratch."""
        with self.cache.write() as s:
            self._build(s)

    def _clear(self, s: Session) -> None:
        s.execute(text("DELETE FROM search_fts"))
        s.execute(text("DELETE FROM search_refs"))
        set_state(s, _PENDING_KEY, True)

    def _build(self, s: Session) -> None:
        s.execute(text("DELETE FROM search_fts"))
        s.execute(text("DELETE FROM search_refs"))
        for kind in _SOURCES:
            s.execute(text(_insert_refs(kind, "")), {"k": kind})
            s.execute(text(_insert_fts(kind, "")), {"k": kind})
        set_state(s, _PENDING_KEY, False)

    @staticmethod
    def _keys(pairs: Collection[tuple[Entity, str]]) -> dict[str, set[str]]:
        keys: dict[str, set[str]] = {"m": set(), "c": set(), "o": set(), "a": set()}
        for entity, ident in pairs:
            if entity == Entity.KB_VARIANT:
                keys["a"].add(ident)
            if entity == Entity.MESSAGE:
                keys["m"].add(ident)
            elif entity == Entity.CUSTOMER:
                keys["c"].add(ident)
            elif entity == Entity.ORDER:
                keys["o"].add(ident)
        return keys

    @staticmethod
    def _owners(s: Session, pairs: Collection[tuple[Entity, str]]) -> dict[str, set[str]]:
        """Customers of the identities and orders of the shipments in ``pairs``."""
        identities = [i for e, i in pairs if e == Entity.IDENTITY]
        shipments = [i for e, i in pairs if e == Entity.SHIPMENT]
        articles = [i for e, i in pairs if e == Entity.KB_ARTICLE]
        out: dict[str, set[str]] = {"c": set(), "o": set(), "a": set()}
        if articles:  # an article's tags are in each of its variants' text
            out["a"] = set(
                s.scalars(
                    text(f"SELECT id FROM kb_variants WHERE article_id {_IN_KEYS}"),
                    {"keys": json.dumps(articles)},
                )
            )
        if identities:
            out["c"] = set(
                s.scalars(
                    text(f"SELECT customer_id FROM customer_identities WHERE id {_IN_KEYS}"),
                    {"keys": json.dumps(identities)},
                )
            )
        if shipments:
            out["o"] = set(
                s.scalars(
                    text(f"SELECT order_id FROM shipments WHERE id {_IN_KEYS}"),
                    {"keys": json.dumps(shipments)},
                )
            )
        return out

    @staticmethod
    def _reindex(s: Session, kind: str, ids: Collection[str]) -> None:
        """Index rows for ``ids`` of ``kind`` made again from the cache, in four statements."""
        args = {"k": kind, "keys": json.dumps(sorted(ids))}
        s.execute(
            text(
                "DELETE FROM search_fts WHERE rowid IN "
                f"(SELECT id FROM search_refs WHERE kind = :k AND key {_IN_KEYS})"
            ),
            args,
        )
        s.execute(text(f"DELETE FROM search_refs WHERE kind = :k AND key {_IN_KEYS}"), args)
        s.execute(text(_insert_refs(kind, f"WHERE x.id {_IN_KEYS}")), args)
        s.execute(text(_insert_fts(kind, f"AND r.key {_IN_KEYS}")), args)

    # --- asking it -------------------------------------------------------------------------

    def hits(
        self, query: str, limit: int | None = None, session: Session | None = None
    ) -> Subquery | None:
        """The ids (column ``id``, distinct) of the conversations matching ``query``: its
        messages, and the conversations of matching customers and orders; at most ``limit``
        index hits, newest first. None when ``query`` is not ``searchable``.

        A subquery, for ``inbox.ordered_ids`` to join conversations to by primary key in one
        statement (an ``id IN (…hits…)`` filter lets SQLite walk a status index instead).
        ``session``: where to look the last word up first as a whole word (see ``_expression``).
        """
        expr = match_expression(query)
        if expr is None:
            return None
        limit = self.max_hits if limit is None else limit
        # Not yet open, the tables may be of an older layout: callers check ``pending_in``.
        if self._ready.is_set():
            if session is None:
                with self.cache.session() as s:
                    expr = self._expression(s, expr, limit)
            else:
                expr = self._expression(session, expr, limit)
        return _hits(expr, limit).subquery()

    @staticmethod
    def _expression(s: Session, expr: str, limit: int) -> str:
        """``expr``, or without its last word's prefix star when the whole word alone fills
        ``limit``: FTS5 gathers every hit of a prefix (beyond the prefix index's 2 and 3
        letters) before it can sort them, a common word's in tens of milliseconds, while the
        newest hits of one word come straight off its index."""
        if not expr.endswith("*"):
            return expr
        exact = expr[:-1]
        return exact if _reaches(s, exact, limit) else expr

    def search(self, s: Session, query: str, run: Callable[[Hits], PackedIds]) -> PackedIds:
        """``run`` (a view's ordering joined to the hits) over the newest ``MAX_HITS`` index
        hits of ``query``; again over ``WIDE_HITS`` of them when the cap cut the hits and the
        view kept fewer than ``WIDEN_BELOW`` rows (nor as many as the cap), so a narrow view
        (Mine) still finds its older matches while a broad one (All open, everywhere) shows
        those of the newest hits at the cost of one pass.

        Both passes search the same FTS expression, the one chosen for the first (a whole word
        that fills the cap stays whole: its prefix would gather every hit of it again)."""
        expr = match_expression(query)
        if expr is None:
            return PackedIds()
        if self._ready.is_set():  # else the tables may be of an older layout (``hits``)
            expr = self._expression(s, expr, self.max_hits)
        ids = run(_hits(expr, self.max_hits))
        enough = min(self.widen_below, self.max_hits)
        if len(ids) < enough and _reaches(s, expr, self.max_hits):
            ids = run(_hits(expr, self.wide_hits))
        return ids

    def pending_in(self, s: Session) -> bool:
        """True while the index is not built (an initial sync, or being opened on a worker):
        searches find nothing."""
        return not self._ready.is_set() or bool(get_state(s, _PENDING_KEY))

    def pending(self) -> bool:
        with self.cache.session() as s:
            return self.pending_in(s)

    def conversation_ids(self, query: str, limit: int | None = None) -> list[str] | None:
        """Conversations matching ``query`` (None: the query has nothing to search for)."""
        if not searchable(query):
            return None
        with self.cache.session() as s:
            if self.pending_in(s):
                return []
            hits = self.hits(query, limit, session=s)
            assert hits is not None
            return list(s.scalars(select(hits.c.id)))


def article_hits(s: Session, expr: str, limit: int = 200) -> list[tuple[str, float]]:
    """(variant id, bm25 rank: lower is better) of the knowledge-base variants matching the
    FTS5 expression ``expr``, best first (``app.kb`` makes the expression and keeps live
    variants only)."""
    rows = s.execute(
        text(
            "SELECT r.key, bm25(search_fts) AS rank FROM search_fts "
            "JOIN search_refs r ON r.id = search_fts.rowid "
            "WHERE search_fts MATCH :q AND r.kind = 'a' ORDER BY rank LIMIT :n"
        ),
        {"q": f'"{ARTICLE_MARKER}" AND ({expr})', "n": limit},
    ).all()
    return [(str(key), float(rank)) for key, rank in rows]


def _hits(expr: str, limit: int) -> Hits:
    """``SearchIndex.hits`` for an FTS expression."""
    return Hits(_HITS, {"search_q": expr, "search_n": limit})


def _reaches(s: Session, expr: str, limit: int) -> bool:
    """Whether the FTS expression ``expr`` has at least ``limit`` index hits (asked of the
    driver on the session's connection, as the search itself: ``inbox.ordered_ids``)."""
    dbapi: Any = s.connection().connection.dbapi_connection
    (found,) = dbapi.execute(_COUNT, {"q": expr, "n": limit}).fetchone()
    return int(found or 0) >= limit


_COUNT = (
    "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH :q "
    "ORDER BY rowid DESC LIMIT :n)"
)


_HITS = (
    "WITH hit AS MATERIALIZED ("
    " SELECT r.conversation_id, r.customer_id FROM ("
    "  SELECT rowid AS rid FROM search_fts WHERE search_fts MATCH :search_q"
    "  ORDER BY rowid DESC LIMIT :search_n) AS h"
    " CROSS JOIN search_refs AS r ON r.id = h.rid)"
    " SELECT conversation_id AS id FROM hit WHERE conversation_id IS NOT NULL"
    " UNION"
    " SELECT sc.id FROM (SELECT DISTINCT customer_id FROM hit WHERE customer_id IS NOT NULL) AS sf"
    " CROSS JOIN conversations AS sc ON sc.customer_id = sf.customer_id"
)


def _insert_refs(kind: str, where: str) -> str:
    table, _body, conv, cust = _SOURCES[kind]
    return (
        "INSERT INTO search_refs (kind, key, conversation_id, customer_id) "
        f"SELECT :k, x.id, {conv}, {cust} FROM {table} x {where}"
    )


def _insert_fts(kind: str, where: str) -> str:
    table, body, _conv, _cust = _SOURCES[kind]
    return (
        "INSERT INTO search_fts (rowid, body) "
        f"SELECT r.id, {body} FROM search_refs r "
        f"JOIN {table} x ON x.id = r.key WHERE r.kind = :k {where} ORDER BY r.id"
    )
