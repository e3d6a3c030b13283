"""An article's Markdown as plain text, for the desk (previews, excerpts inserted into a reply)
and the server (search results, page listings): one parser configuration for both
(markdown-it-py, CommonMark, raw HTML off, nesting bounded). No Qt, no server: both sides
import it (docs/knowledge-base.md)."""

from __future__ import annotations

from typing import Final

from markdown_it import MarkdownIt

_EXCERPT: Final = 280


def parser() -> MarkdownIt:
    """CommonMark with tables; raw HTML is text, images are not parsed as images, nesting
    stops at 20 levels (a hostile body cannot make the parse deep)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": 20})
    md.enable("table").disable("image")
    return md


_MD: Final = parser()


def plain(markdown: str) -> str:
    """``markdown`` as plain text: the words, each block on its own line, list items with
    "- " or their number, no other markup."""
    lines: list[str] = []
    prefix = ""
    for t in _MD.parse(markdown):
        if t.type == "list_item_open":
            prefix = f"{t.info}. " if t.info else "- "
        elif t.type == "inline":
            words = "".join(
                c.content
                if c.type in ("text", "code_inline")
                else ("\n" if "break" in c.type else "")
                for c in t.children or []
            )
            lines.append(prefix + words)
            prefix = ""
        elif t.type in ("fence", "code_block"):
            lines.append(t.content.rstrip("\n"))
    return "\n".join(line for line in lines if line.strip())


def excerpt(markdown: str, limit: int = _EXCERPT) -> str:
    """The start of ``plain(markdown)`` on one line, cut at a word, at most ``limit``."""
    text = " ".join(plain(markdown).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
