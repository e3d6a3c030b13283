"""The public knowledge base as plain HTML pages (no JavaScript, nothing loaded from
elsewhere): ``/kb`` lists the public articles (and searches them: ``/kb?q=``), ``/kb/<slug or
id>?lang=`` shows one. Internal and deleted articles are 404 here.

Each page has ``lang`` on ``<html>`` (the variant shown), a skip link to the main content,
one ``h1`` with the article's own headings below it, the other languages as links with
``hreflang``/``lang``, and a labelled search form. Every value is escaped; an article's body
is Markdown rendered by ``render.html`` (raw HTML off, then nh3).
"""

from __future__ import annotations

import html as html_lib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from csdesk.domain import kb
from csdesk.i18n import N_
from csdesk.server.catalogues import tr
from csdesk.server.deps import State
from csdesk.server.kb import render, search
from csdesk.server.kb.page_cache import KbPages, Page, page, version
from csdesk.storage import models as m

router = APIRouter(tags=["knowledge base"])

TITLE: Final = N_("Help centre")
SKIP: Final = N_("Skip to content")
SEARCH_LABEL: Final = N_("Search the help centre")
SEARCH_BUTTON: Final = N_("Search")
NO_RESULTS: Final = N_("No articles match your search.")
NOTHING: Final = N_("There are no articles yet.")
RESULTS: Final = N_("Articles matching “{q}”")
ALL: Final = N_("All articles")
OTHER_LANGUAGES: Final = N_("This article in other languages")
BACK: Final = N_("All help articles")
UPDATED: Final = N_("Updated {date}")
NOT_FOUND: Final = N_("Article not found")
NOT_FOUND_TEXT: Final = N_("There is no public article at this address.")
TOO_MANY: Final = N_("Too many requests")
TOO_MANY_TEXT: Final = N_("This address asked for too many pages just now. Try again in a minute.")

_STYLE: Final = (
    "body{font:1.05rem/1.6 system-ui,sans-serif;max-width:44rem;margin:1rem auto;padding:0 1rem}"
    ".skip{position:absolute;left:-999px}.skip:focus{position:static}"
    "a{color:#0645ad}a:focus-visible,input:focus-visible,button:focus-visible"
    "{outline:3px solid #000;outline-offset:2px}"
    "input,button{font:inherit;padding:.4rem .6rem}table{border-collapse:collapse}"
    "th,td{border:1px solid #666;padding:.25rem .5rem}pre{overflow:auto}"
    "nav ul{padding-left:1.2rem}"
)
HEADERS: Final = {
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
_MAX_KEY: Final = 80


def _e(text: str) -> str:
    return html_lib.escape(text, quote=True)


def _lang(code: str) -> str:
    code = (code or "").strip().lower()[:16]
    return code if kb.is_lang(code) else ""


def _document(lang: str, title: str, content: str) -> str:
    t = partial(tr, lang)
    return (
        f"<!doctype html><html lang={_e(lang)}><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{_e(title)} – {_e(t(TITLE))}</title><style>{_STYLE}</style></head>"
        f"<body><a class=skip href='#main'>{_e(t(SKIP))}</a>"
        f"<header><p><a href='/kb?lang={_e(lang)}'>{_e(t(TITLE))}</a></p>"
        f"{_search_form(lang, '')}</header>"
        f"<main id=main tabindex=-1>{content}</main></body></html>"
    )


def _search_form(lang: str, q: str) -> str:
    return (
        "<form role=search method=get action='/kb'>"
        f"<label for=kb-q>{_e(tr(lang, SEARCH_LABEL))}</label> "
        f"<input id=kb-q name=q type=search maxlength={kb.MAX_QUERY} value='{_e(q)}'>"
        f"<input type=hidden name=lang value='{_e(lang)}'> "
        f"<button type=submit>{_e(tr(lang, SEARCH_BUTTON))}</button></form>"
    )


def _runtime(request: Request) -> KbPages:
    rt: KbPages | None = getattr(request.app.state, "kb_pages", None)
    if rt is None:
        rt = request.app.state.kb_pages = KbPages()
    return rt


def _client(request: Request) -> str:
    return request.client.host if request.client and request.client.host else "unknown"


async def _serve(
    request: Request, state: State, key: tuple[str, str, str], build: Callable[[Session], Page]
) -> Response:
    """The page ``build`` makes, rate-limited per client address and cached until the
    knowledge base changes; 304 to a browser that holds it already."""
    rt = _runtime(request)
    wait = rt.wait(_client(request), searching=bool(key[2]))
    if wait > 0:
        lang = key[1] or "en"
        t = partial(tr, lang)
        content = f"<h1>{_e(t(TOO_MANY))}</h1><p>{_e(t(TOO_MANY_TEXT))}</p>"
        headers = {**HEADERS, "Retry-After": str(max(1, math.ceil(wait)))}
        return HTMLResponse(_document(lang, t(TOO_MANY), content), 429, headers=headers)

    def load() -> Page:
        with state.reads() as s:
            at = version(s)
            found = rt.get(key, at)
            if found is None:
                found = build(s)
                rt.put(key, at, found)
            return found

    found = await run_in_threadpool(load)
    headers = {**HEADERS, "ETag": found.etag}
    if found.status == 200 and found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return HTMLResponse(found.body, status_code=found.status, headers=headers)


@dataclass(frozen=True, slots=True)
class _Listed:
    slug: str
    lang: str
    title: str
    excerpt: str


def _pick(variants: list[m.KbVariant], lang: str) -> m.KbVariant:
    by = {v.lang: v for v in variants}
    return by.get(lang) or by.get(lang.split("-")[0]) or by.get("en") or variants[0]


def _listing(s: Session, lang: str, q: str) -> list[_Listed]:
    if q:
        return [
            _Listed(h.slug, h.lang, h.title, render.excerpt(h.body))
            for h in search.search(s, q, lang or None, public_only=True, limit=50)
        ]
    A, V = m.KbArticle, m.KbVariant
    arts = list(s.scalars(select(A).where(A.public.is_(True), A.deleted_at.is_(None))))
    variants: dict[str, list[m.KbVariant]] = {}
    for v in s.scalars(
        select(V).where(V.article_id.in_([a.id for a in arts]), V.deleted_at.is_(None))
    ):
        variants.setdefault(v.article_id, []).append(v)
    out = []
    for a in arts:
        vs = sorted(variants.get(a.id, []), key=lambda v: v.lang)
        if vs:
            v = _pick(vs, lang or "en")
            out.append(_Listed(a.slug, v.lang, v.title, render.excerpt(v.body)))
    return sorted(out, key=lambda x: x.title.casefold())


@router.get("/kb", response_class=HTMLResponse, include_in_schema=False)
async def kb_index(
    request: Request,
    state: State,
    q: Annotated[str, Query()] = "",
    lang: Annotated[str, Query()] = "",
) -> Response:
    code = _lang(lang)
    query = kb.clean_text(q)[: kb.MAX_QUERY]
    return await _serve(request, state, ("", code, query), partial(_index_page, code, query))


def _index_page(code: str, query: str, s: Session) -> Page:
    found = _listing(s, code, query)
    page_lang = code or "en"
    t = partial(tr, page_lang)
    heading = t(RESULTS).format(q=query) if query else t(ALL)
    if found:
        items = "".join(
            f"<li lang={_e(x.lang)}><a href='/kb/{quote(x.slug)}?lang={_e(x.lang)}'>"
            f"{_e(x.title)}</a><p>{_e(x.excerpt)}</p></li>"
            for x in found
        )
        listing = f"<ul>{items}</ul>"
    else:
        listing = f"<p>{_e(t(NO_RESULTS) if query else t(NOTHING))}</p>"
    content = f"<h1>{_e(t(TITLE))}</h1><h2>{_e(heading)}</h2>{listing}"
    return page(200, _document(page_lang, t(TITLE), content))


@dataclass(frozen=True, slots=True)
class _Article:
    lang: str
    title: str
    body: str
    updated: str
    others: list[tuple[str, str]]  # (lang, title)
    slug: str


def _article(s: Session, key: str, lang: str) -> _Article | None:
    A, V = m.KbArticle, m.KbVariant
    art = s.scalar(
        select(A)
        .where(or_(A.slug == key, A.id == key), A.public.is_(True), A.deleted_at.is_(None))
        # An address names its article before an id does (an id may equal another's slug).
        .order_by(case((A.slug == key, 0), else_=1), A.id)
        .limit(1)
    )
    if art is None:
        return None
    vs = sorted(
        s.scalars(select(V).where(V.article_id == art.id, V.deleted_at.is_(None))),
        key=lambda v: v.lang,
    )
    if not vs:
        return None
    v = _pick(vs, lang or "en")
    when = max(art.updated_at, v.updated_at)
    return _Article(
        v.lang,
        v.title,
        render.html(v.body),
        when.date().isoformat(),
        [(o.lang, o.title) for o in vs if o.id != v.id],
        art.slug,
    )


@router.get("/kb/{key}", response_class=HTMLResponse, include_in_schema=False)
async def kb_article(
    request: Request, state: State, key: str, lang: Annotated[str, Query()] = ""
) -> Response:
    code = _lang(lang)
    clean = kb.clean_text(key)
    if clean != key or len(key) > _MAX_KEY:
        return _not_found(code)
    return await _serve(request, state, (key, code, ""), partial(_article_page, key, code))


def _not_found(code: str) -> HTMLResponse:
    found = _missing(code)
    return HTMLResponse(found.body, status_code=404, headers={**HEADERS, "ETag": found.etag})


def _missing(code: str) -> Page:
    page_lang = code or "en"
    t = partial(tr, page_lang)
    content = f"<h1>{_e(t(NOT_FOUND))}</h1><p>{_e(t(NOT_FOUND_TEXT))}</p>"
    return page(404, _document(page_lang, t(NOT_FOUND), content))


def _article_page(key: str, code: str, s: Session) -> Page:
    found = _article(s, key, code)
    if found is None:
        return _missing(code)
    t = partial(tr, found.lang)
    others = ""
    if found.others:
        links = "".join(
            f"<li><a href='/kb/{quote(found.slug)}?lang={_e(lg)}' hreflang={_e(lg)} "
            f"lang={_e(lg)}>{_e(title)}</a> ({_e(lg)})</li>"
            for lg, title in found.others
        )
        others = f"<nav aria-labelledby=kb-other><h2 id=kb-other>{_e(t(OTHER_LANGUAGES))}</h2>"
        others += f"<ul>{links}</ul></nav>"
    content = (
        f"<article><h1>{_e(found.title)}</h1>"
        f"<p><small>{_e(t(UPDATED).format(date=found.updated))}</small></p>"
        f"{found.body}</article>{others}"
        f"<p><a href='/kb?lang={_e(found.lang)}'>{_e(t(BACK))}</a></p>"
    )
    return page(200, _document(found.lang, found.title, content))
