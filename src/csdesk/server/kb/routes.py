"""``GET /api/v1/kb/search``: ranked knowledge-base search for signed-in staff (every role
sees internal and public articles: they are staff text; only supervisors and administrators
change them, through push mutations).

``q`` is at most ``domain.kb.MAX_QUERY`` characters (longer: 422); characters no database
stores (NUL, lone surrogates, other controls) are dropped before searching. ``lang`` (a code
like ``de``) puts variants in that language first; ``public=true`` keeps public articles
only. Each result names the article, the variant answering, a plain-text excerpt and, for a
public article, its page's address.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from csdesk.domain import kb
from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State
from csdesk.server.kb import render, search

router = APIRouter(prefix=f"{API_PREFIX}/kb", tags=["knowledge base"])


def public_url(base: str, slug: str, lang: str) -> str:
    return f"{base.rstrip('/')}/kb/{slug}?lang={lang}"


@router.get("/search", responses={401: {}, 422: {}})
async def kb_search(
    state: State,
    user: CurrentUser,
    q: Annotated[str, Query(max_length=kb.MAX_QUERY)] = "",
    lang: Annotated[str, Query(max_length=16)] = "",
    public: bool = False,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> dict[str, Any]:
    """Articles matching every word of ``q``, best first."""
    del user  # signed in is enough: every staff role reads the whole knowledge base
    code = lang.strip().lower()
    wanted = code if kb.is_lang(code) else None
    query = kb.clean_text(q)

    def run() -> list[search.Hit]:
        with state.reads() as s:
            return search.search(s, query, wanted, public_only=public, limit=limit)

    hits = await run_in_threadpool(run)
    base = state.config.public_base_url
    return {
        "query": query,
        "results": [
            {
                "article_id": h.article_id,
                "variant_id": h.variant_id,
                "slug": h.slug,
                "lang": h.lang,
                "title": h.title,
                "excerpt": render.excerpt(h.body),
                "public": h.public,
                "tags": list(h.tags),
                "url": public_url(base, h.slug, h.lang) if h.public else None,
            }
            for h in hits
        ],
    }
