"""An article's Markdown as safe HTML (public pages) and as plain text (excerpts).

markdown-it-py (CommonMark, the Executable Books project's port of markdown-it, pure Python,
actively kept) with raw HTML disabled, so a ``<script>`` in an article is shown as text; its
``maxNesting`` bounds how deep a hostile body nests. The HTML it makes is then passed through
nh3 (the Rust ammonia sanitizer the email channel already uses) with a short list of tags and
only http/https/mailto links, as a second wall: a link to ``javascript:`` cannot survive
both. Headings move one level down (the article's title is the page's ``h1``); images are
dropped (the pages load nothing from elsewhere).
"""

from __future__ import annotations

from typing import Final

import nh3
from markdown_it.token import Token

from csdesk.markdown_text import excerpt, parser, plain

__all__ = ["excerpt", "html", "plain"]

_TAGS: Final = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRS: Final = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
_MD: Final = parser()


def _demote(tokens: list[Token]) -> None:
    for t in tokens:
        if t.type in ("heading_open", "heading_close"):
            level = min(int(t.tag[1]) + 1, 6)
            t.tag = f"h{level}"


def html(markdown: str) -> str:
    """``markdown`` as sanitized HTML for a public page."""
    tokens = _MD.parse(markdown)
    _demote(tokens)
    raw = _MD.renderer.render(tokens, _MD.options, {})
    return nh3.clean(
        raw,
        tags=set(_TAGS),
        attributes={k: set(v) for k, v in _ATTRS.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
