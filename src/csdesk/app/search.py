"""Full-text search over the local cache: messages, customer names, emails, phones and order
numbers (SQLite FTS5).

The index lives in the cache file and is kept current from the sync engine's change sets, on
the sync thread: per-row triggers would make a large initial sync many times slower, while
indexing each applied page afterwards costs little. A missing or stale index is rebuilt in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from csdesk.protocol import Entity
from csdesk.storage import models as m
from csdesk.sync.cache import LocalCache
from csdesk.sync.events import ChangeSet

_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "body, conversation_id UNINDEXED, customer_id UNINDEXED, ref UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TABLE IF NOT EXISTS search_refs (ref TEXT PRIMARY KEY, fts_rowid INTEGER NOT NULL)",
)
_TOKEN = re.compile(r"[\w@.+\-]+", re.UNICODE)


def match_expression(query: str) -> str | None:
    """An FTS5 query for what the agent typed: every word must match, the last as a prefix
    (results as you type). Quotes keep user input from being read as FTS syntax."""
    words = [w.strip(".-") for w in _TOKEN.findall(query)]
    words = [w for w in words if w]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class SearchIndex:
    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache
        with cache.write() as s:
            for ddl in _DDL:
                s.execute(text(ddl))

    # --- keeping it current ----------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything:
            self.rebuild()
            return
        refs: list[tuple[str, str]] = []  # (kind, id)
        refs += [("m", i) for i in changes.ids(Entity.MESSAGE)]
        refs += [("c", i) for i in changes.ids(Entity.CUSTOMER) | changes.ids(Entity.IDENTITY)]
        refs += [("o", i) for i in changes.ids(Entity.ORDER) | changes.ids(Entity.SHIPMENT)]
        if refs:
            with self.cache.write() as s:
                self._reindex(s, refs)

    def rebuild(self) -> None:
        with self.cache.write() as s:
            s.execute(text("DELETE FROM search_fts"))
            s.execute(text("DELETE FROM search_refs"))
            refs = [("m", i) for i in s.scalars(select(m.Message.id))]
            refs += [("c", i) for i in s.scalars(select(m.Customer.id))]
            refs += [("o", i) for i in s.scalars(select(m.Order.id))]
            self._reindex(s, refs)

    def needs_rebuild(self) -> bool:
        with self.cache.session() as s:
            indexed = s.scalar(text("SELECT count(*) FROM search_refs")) or 0
            present = s.scalar(select(text("count(*)")).select_from(m.Message)) or 0
        return bool(present) and indexed == 0

    def _reindex(self, s: Session, refs: Iterable[tuple[str, str]]) -> None:
        for kind, ident in refs:
            entry = self._entry(s, kind, ident)
            if entry is None:
                continue
            ref, body, conv_id, cust_id = entry
            old = s.scalar(text("SELECT fts_rowid FROM search_refs WHERE ref = :r"), {"r": ref})
            if old is not None:
                s.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": old})
                s.execute(text("DELETE FROM search_refs WHERE ref = :r"), {"r": ref})
            if body is None:
                continue
            rowid = s.execute(
                text(
                    "INSERT INTO search_fts (body, conversation_id, customer_id, ref) "
                    "VALUES (:b, :c, :u, :r) RETURNING rowid"
                ),
                {"b": body, "c": conv_id, "u": cust_id, "r": ref},
            ).scalar_one()
            s.execute(
                text("INSERT INTO search_refs (ref, fts_rowid) VALUES (:r, :i)"),
                {"r": ref, "i": rowid},
            )

    @staticmethod
    def _entry(
        s: Session, kind: str, ident: str
    ) -> tuple[str, str | None, str | None, str | None] | None:
        """(ref, text to index or None to drop, conversation id, customer id)."""
        if kind == "m":
            msg = s.get(m.Message, ident)
            if msg is None:
                return (f"m:{ident}", None, None, None)
            return (f"m:{ident}", f"{msg.subject}\n{msg.body_text}", msg.conversation_id, None)
        if kind == "c":
            cust_id = ident
            ident_row = s.get(m.CustomerIdentity, ident)
            if ident_row is not None:
                cust_id = ident_row.customer_id
            cust = s.get(m.Customer, cust_id)
            if cust is None:
                return (f"c:{cust_id}", None, None, None) if ident_row is None else None
            values = s.scalars(
                select(m.CustomerIdentity.value).where(m.CustomerIdentity.customer_id == cust.id)
            ).all()
            body = " ".join([cust.name, cust.email or "", cust.phone or "", *values])
            return (f"c:{cust.id}", body, None, cust.id)
        order_id = ident
        ship = s.get(m.Shipment, ident)
        if ship is not None:
            order_id = ship.order_id
        order = s.get(m.Order, order_id)
        if order is None:
            return (f"o:{order_id}", None, None, None) if ship is None else None
        tracking = s.scalars(
            select(m.Shipment.tracking_number).where(m.Shipment.order_id == order.id)
        ).all()
        return (f"o:{order.id}", " ".join([order.number, *tracking]), None, order.customer_id)

    # --- asking it -------------------------------------------------------------------------

    def conversation_ids(self, query: str, limit: int = 2000) -> list[str] | None:
        """Conversations matching ``query`` (None: the query has no searchable words)."""
        expr = match_expression(query)
        if expr is None:
            return None
        with self.cache.session() as s:
            hits = s.execute(
                text(
                    "SELECT conversation_id, customer_id FROM search_fts "
                    "WHERE search_fts MATCH :q LIMIT :n"
                ),
                {"q": expr, "n": limit},
            ).all()
            conv_ids = {c for c, _ in hits if c}
            customers = {u for _, u in hits if u}
            if customers:
                conv_ids |= set(
                    s.scalars(
                        select(m.Conversation.id).where(m.Conversation.customer_id.in_(customers))
                    )
                )
        return list(conv_ids)
