"""Ranked full-text search over the knowledge base's live variants.

SQLite: an FTS5 table ``kb_fts`` (made by migration 0011_kb) kept current by ``reindex`` in
the transaction of every write (the mutations and the demo loader are the only writers);
ranked by bm25 with the title weighing most, then the tags, then the body. PostgreSQL: the
variant's text as a weighted ``tsvector`` in the text-search configuration of its language
(stemming: "returns" finds "return"), matched against ``websearch_to_tsquery`` and ranked by
``ts_rank``, at query time (a knowledge base is hundreds or a few thousand variants).

Every query word must match (the last also as a prefix on SQLite, as one types). Variants in
the asked language come first; each article is answered once, by its best variant.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from csdesk.domain import kb
from csdesk.storage import models as m

#: PostgreSQL text-search configurations for the languages it stems; others use 'simple'.
PG_CONFIGS: Final = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
#: Variants considered before grouping by article.
_CANDIDATES: Final = 200


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: str
    variant_id: str
    slug: str
    lang: str
    title: str
    body: str
    public: bool
    tags: tuple[str, ...]
    rank: float  # lower is better


def reindex(session: Session, variant_ids: Collection[str]) -> None:
    """Make the SQLite index of ``variant_ids`` match their rows (deleted or gone: none)."""
    if session.get_bind().dialect.name != "sqlite" or not variant_ids:
        return
    ids = sorted(variant_ids)
    session.flush()
    session.execute(
        text("DELETE FROM kb_fts WHERE variant_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    A, V = m.KbArticle, m.KbVariant
    rows = session.execute(
        select(V.id, V.title, V.body, A.tags)
        .join(A, A.id == V.article_id)
        .where(V.id.in_(ids), V.deleted_at.is_(None), A.deleted_at.is_(None))
    ).all()
    for vid, title, body, tags in rows:
        session.execute(
            text("INSERT INTO kb_fts (title, body, tags, variant_id) VALUES (:t, :b, :g, :v)"),
            {"t": title, "b": body, "g": " ".join(tags or []), "v": vid},
        )


def search(
    session: Session,
    query: str,
    lang: str | None = None,
    *,
    public_only: bool = False,
    limit: int = 20,
) -> list[Hit]:
    """Articles matching every word of ``query``, best first, each by one variant (the one in
    ``lang`` when it matched)."""
    # The candidates are public ones already when only public articles are wanted: internal
    # articles matching better must not crowd the public ones out of the first 200.
    if session.get_bind().dialect.name == "postgresql":
        ranked = _postgres(session, query, public_only)
    else:
        ranked = _sqlite(session, query, public_only)
    if not ranked:
        return []
    A, V = m.KbArticle, m.KbVariant
    q = (
        select(V, A)
        .join(A, A.id == V.article_id)
        .where(V.id.in_(list(ranked)), V.deleted_at.is_(None), A.deleted_at.is_(None))
    )
    if public_only:
        q = q.where(A.public.is_(True))
    best: dict[str, tuple[tuple[bool, float], Hit]] = {}
    for v, a in session.execute(q):
        hit = Hit(
            a.id,
            v.id,
            a.slug,
            v.lang,
            v.title,
            v.body,
            bool(a.public),
            tuple(a.tags or ()),
            ranked[v.id],
        )
        key = (v.lang != lang, hit.rank)
        if a.id not in best or key < best[a.id][0]:
            best[a.id] = (key, hit)
    ordered = sorted(best.values(), key=lambda kh: (kh[0], kh[1].title))
    return [h for _k, h in ordered[:limit]]


def _sqlite(session: Session, query: str, public_only: bool = False) -> dict[str, float]:
    expr = kb.fts_all(query)
    if expr is None:
        return {}
    rows = session.execute(
        text(
            "SELECT f.variant_id, bm25(kb_fts, 10.0, 1.0, 5.0) AS r FROM kb_fts f "
            "JOIN kb_variants v ON v.id = f.variant_id "
            "JOIN kb_articles a ON a.id = v.article_id "
            "WHERE kb_fts MATCH :q AND (:everything OR a.public) ORDER BY r LIMIT :n"
        ),
        {"q": expr, "n": _CANDIDATES, "everything": not public_only},
    ).all()
    return {str(vid): float(r) for vid, r in rows}


_PG_CONFIG = "CAST(CASE split_part(v.lang, '-', 1) {whens} ELSE 'simple' END AS regconfig)"


def _pg_config() -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{c}'" for k, c in PG_CONFIGS.items())
    return _PG_CONFIG.format(whens=whens)


_PG_SQL: Final = (
    "SELECT v.id, ts_rank(doc, query) AS r FROM kb_variants v "
    "JOIN kb_articles a ON a.id = v.article_id, "
    f"LATERAL (SELECT {_pg_config()} AS cfg) c, "
    "LATERAL (SELECT websearch_to_tsquery(c.cfg, :q) AS query) qq, "
    "LATERAL (SELECT setweight(to_tsvector(c.cfg, v.title), 'A') || "
    "setweight(to_tsvector(c.cfg, array_to_string(ARRAY(SELECT json_array_elements_text("
    "a.tags)), ' ')), 'B') || setweight(to_tsvector(c.cfg, v.body), 'D') AS doc) d "
    "WHERE v.deleted_at IS NULL AND a.deleted_at IS NULL AND (:everything OR a.public) "
    "AND doc @@ query "
    "ORDER BY r DESC LIMIT :n"
)


def _postgres(session: Session, query: str, public_only: bool = False) -> dict[str, float]:
    found = kb.words(query)
    if not found:
        return {}
    rows = session.execute(
        text(_PG_SQL), {"q": " ".join(found), "n": _CANDIDATES, "everything": not public_only}
    ).all()
    return {str(vid): -float(r) for vid, r in rows}
