"""The knowledge base on the desk (Qt-free, run on workers): articles from the local cache
(they sync to every desk), searched offline in the cache's own search index
(``app.search``, kind ``a``), suggestions from a conversation's last inbound message, the text
or link an agent inserts into a reply, and supervisors' edits through the outbox. See
docs/knowledge-base.md."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.app.search import article_hits, match_expression
from csdesk.app.workstation import Workstation
from csdesk.domain import kb
from csdesk.domain.enums import Direction, Role
from csdesk.markdown_text import excerpt, plain
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

EDITORS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
#: Articles a chooser lists at most.
MAX_RESULTS = 50
#: Characters of an article's plain text an inserted excerpt keeps at most.
INSERT_EXCERPT = 600


@dataclass(frozen=True, slots=True)
class Found:
    """One article as a search answers it: by its variant in the best language."""

    article_id: str
    lang: str
    title: str
    body: str  # Markdown, as stored
    public: bool
    slug: str
    tags: tuple[str, ...]
    languages: tuple[str, ...]  # every language the article has

    @property
    def text(self) -> str:
        """The article as plain text (the preview; never rich text)."""
        return plain(self.body)

    @property
    def excerpt(self) -> str:
        return excerpt(self.body)


@dataclass(slots=True)
class Article:
    """An article as the editor holds it: every live variant."""

    id: str
    slug: str
    public: bool
    tags: list[str]
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)  # lang -> (title, body)

    def title(self, lang: str = "en") -> str:
        if not self.variants:
            return ""
        pick = self.variants.get(lang) or self.variants.get("en")
        return (pick or next(iter(self.variants.values())))[0]


def public_url(base_url: str, slug: str, lang: str) -> str:
    """The address of a public article's page on the server (``server.kb.pages``)."""
    return f"{base_url.rstrip('/')}/kb/{slug}?lang={lang}"


class KnowledgeBase:
    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    @property
    def may_edit(self) -> bool:
        return self.ws.me.role in EDITORS

    @property
    def base_url(self) -> str:
        """Where customers reach the articles: the server's public address (told at sign-in),
        else the address this desk talks to."""
        api = self.ws.engine.api
        return api.public_base_url or api.base_url

    # --- reading ---------------------------------------------------------------------------

    def _found(self, ranked: Sequence[tuple[str, float]], lang: str | None) -> list[Found]:
        """Articles of the ranked variants, each once by its best variant: the customer's
        language first, then rank."""
        if not ranked:
            return []
        rank = dict(ranked)
        A, V = m.KbArticle, m.KbVariant
        with self.ws.cache.session() as s:
            pairs = s.execute(
                select(V, A)
                .join(A, A.id == V.article_id)
                .where(V.id.in_(list(rank)), V.deleted_at.is_(None), A.deleted_at.is_(None))
            )
            best: dict[str, tuple[tuple[bool, float], m.KbVariant, m.KbArticle]] = {}
            for v, a in pairs:
                key = (v.lang != lang, rank[v.id])
                if a.id not in best or key < best[a.id][0]:
                    best[a.id] = (key, v, a)
            langs = self._languages(s, list(best))
        ordered = sorted(best.values(), key=lambda kva: (kva[0], kva[1].title or ""))
        return [self._one(v, a, langs.get(a.id, ())) for _k, v, a in ordered[:MAX_RESULTS]]

    @staticmethod
    def _one(v: m.KbVariant, a: m.KbArticle, langs: Sequence[str]) -> Found:
        return Found(
            a.id,
            v.lang or "",
            v.title or "",
            v.body or "",
            bool(a.public),
            a.slug or "",
            tuple(a.tags or ()),
            tuple(langs),
        )

    @staticmethod
    def _languages(s: Session, article_ids: list[str]) -> dict[str, tuple[str, ...]]:
        V = m.KbVariant
        out: dict[str, list[str]] = {}
        for aid, lang in s.execute(
            select(V.article_id, V.lang)
            .where(V.article_id.in_(article_ids), V.deleted_at.is_(None))
            .order_by(V.lang)
        ):
            out.setdefault(aid, []).append(lang)
        return {k: tuple(v) for k, v in out.items()}

    def search(self, query: str, lang: str | None = None) -> list[Found]:
        """Articles matching every word of ``query`` (the last as a prefix), offline; with
        nothing to search for, every article (in ``lang`` where it has it)."""
        expr = match_expression(query[: kb.MAX_QUERY])
        if expr is None:
            return self.everything(lang)
        index = self.ws.search_index
        with self.ws.cache.session() as s:
            if index.pending_in(s):
                return []
            ranked = article_hits(s, expr)
        return self._found(ranked, lang)

    def suggest(self, conversation_id: str, lang: str | None = None) -> list[Found]:
        """Articles for the conversation's last inbound message: any of its uncommon words,
        ranked (empty when it has none or there is no such message)."""
        text = self.last_inbound(conversation_id)
        expr = kb.fts_any(text) if text else None
        if expr is None:
            return []
        with self.ws.cache.session() as s:
            if self.ws.search_index.pending_in(s):
                return []
            ranked = article_hits(s, expr)
        return self._found(ranked, lang)[:10]

    def last_inbound(self, conversation_id: str) -> str:
        M = m.Message
        with self.ws.cache.session() as s:
            row = s.execute(
                select(M.subject, M.body_text)
                .where(
                    M.conversation_id == conversation_id,
                    M.direction == Direction.IN.value,
                    M.is_note.is_(False),
                )
                .order_by(M.created_at.desc())
                .limit(1)
            ).first()
        if row is None:
            return ""
        return f"{row[0] or ''}\n{row[1] or ''}"[:4000]

    def everything(self, lang: str | None = None) -> list[Found]:
        A, V = m.KbArticle, m.KbVariant
        with self.ws.cache.session() as s:
            ranked = [
                (vid, 0.0)
                for vid in s.scalars(
                    select(V.id)
                    .join(A, A.id == V.article_id)
                    .where(V.deleted_at.is_(None), A.deleted_at.is_(None))
                )
            ]
        return sorted(self._found(ranked, lang), key=lambda f: (f.lang != lang, f.title.casefold()))

    def articles(self) -> list[Article]:
        """Every live article with its variants (the editor)."""
        A, V = m.KbArticle, m.KbVariant
        with self.ws.cache.session() as s:
            arts = {
                a.id: Article(a.id, a.slug or "", bool(a.public), list(a.tags or []))
                for a in s.scalars(select(A).where(A.deleted_at.is_(None)))
            }
            for v in s.scalars(
                select(V).where(V.article_id.in_(list(arts)), V.deleted_at.is_(None))
            ):
                arts[v.article_id].variants[v.lang] = (v.title or "", v.body or "")
        return sorted(arts.values(), key=lambda a: a.title().casefold())

    # --- what goes into a reply ------------------------------------------------------------

    def link_text(self, found: Found) -> str:
        """The title and the public page's address (public articles only)."""
        if not found.public:
            raise ValueError("an internal article has no public address")
        return f"{found.title}: {public_url(self.base_url, found.slug, found.lang)}"

    @staticmethod
    def excerpt_text(found: Found, limit: int = INSERT_EXCERPT) -> str:
        """The article's plain text, cut at a word after at most ``limit`` characters."""
        text = found.text
        if len(text) <= limit:
            return text
        return text[:limit].rsplit(" ", 1)[0] + "…"

    # --- supervisors' edits (outbox) -------------------------------------------------------

    def save(
        self,
        article_id: str | None,
        slug: str,
        public: bool,
        tags: Sequence[str],
        variants: dict[str, tuple[str, str]],
    ) -> tuple[str, ChangeSet]:
        aid = article_id or str(uuid.uuid4())
        self.ws.engine.enqueue(
            MutationType.KB_ARTICLE_SAVE,
            {
                "article_id": aid,
                "slug": slug,
                "public": public,
                "tags": list(tags),
                "variants": [
                    {"lang": lang, "title": title, "body": body}
                    for lang, (title, body) in variants.items()
                ],
            },
        )
        return aid, ChangeSet.of([(Entity.KB_ARTICLE, aid)])

    def delete(self, article_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.KB_ARTICLE_DELETE, {"article_id": article_id})
        return ChangeSet.of([(Entity.KB_ARTICLE, article_id)])
