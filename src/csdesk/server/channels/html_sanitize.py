"""Email HTML made safe to show in the agent's window, and plain text derived from it.

Customer email is hostile input: scripts, event handlers and iframes are removed, and remote
images are never loaded by default because a tracking pixel tells the sender when an agent
opened the mail (and from where).  Remote ``src`` values are moved to ``data-blocked-src`` so the
UI can offer "load remote images"; ``cid:`` images (attached inline) keep working.

Customer email is also an attack on time: html5ever is quadratic in nesting depth (100,000 nested
``<div>`` took minutes of the mailbox worker).  ``sanitize_email_html`` therefore bounds size and
depth in one linear pass first (``csdesk.domain.html_bounds``) and says when it simplified.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

import nh3

from csdesk.domain.html_bounds import bound_html, depth_of

BLOCKED_SRC_ATTR = "data-blocked-src"
#: Deeper elements are flattened into their ancestor (text kept); no real mail nests this deep.
MAX_DEPTH = 32
#: HTML past this many characters is cut off (the raw message keeps all of it).
MAX_CHARS = 2_000_000

_TAGS = (set(nh3.ALLOWED_TAGS) | {"font"}) - {"area", "map"}
_CLEAN_CONTENT = {"script", "style", "title", "head", "noscript", "template", "xmp"}
_LAYOUT = {"align", "valign", "width", "height", "bgcolor", "dir", "lang", "title", "style"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": _LAYOUT,
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "border", BLOCKED_SRC_ATTR},
    "table": {"border", "cellpadding", "cellspacing", "summary"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "nowrap", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "li": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
# Inline CSS that changes looks only; nothing that can carry url() (background, list-style,
# border-image, cursor, content) or escape the message pane (position, z-index).
_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "line-height",
    "letter-spacing",
    "white-space",
    "vertical-align",
    "width",
    "max-width",
    "min-width",
    "height",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-style",
    "border-width",
    "border-collapse",
    "border-spacing",
    "border-radius",
    "direction",
    "display",
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}

# Serialized ammonia output always double-quotes attribute values, so this is exact on it.
_IMG_TAG = re.compile(r"<img((?:\s+[^\s\"'>/=]+(?:=\"[^\"]*\")?)*)\s*/?>", re.IGNORECASE)
_SRC_ATTR = re.compile(r"(\s)src=\"([^\"]*)\"")
_REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


def _strict(tag: str, attr: str, value: str) -> str | None:
    """Final pass: an <img src> may only point inside the message (cid:), never outside."""
    if tag == "img" and attr == "src":
        return value if value.lower().startswith("cid:") else None
    if attr == BLOCKED_SRC_ATTR:
        return value if _REMOTE.match(value) else None
    if attr == "href" and not re.match(r"^(?:https?:|mailto:|tel:|#)", value, re.IGNORECASE):
        return None  # relative links in a mail point at our own server
    return value


def _clean(html: str, attribute_filter: Callable[[str, str, str], str | None] | None) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties=_STYLE_PROPERTIES,
    )


def _block_remote(match: re.Match[str]) -> str:
    def swap(src: re.Match[str]) -> str:
        url = src.group(2)
        if not _REMOTE.match(unescape(url)):
            return src.group(0)
        if url.startswith("//"):
            url = "https:" + url
        return f'{src.group(1)}{BLOCKED_SRC_ATTR}="{url}"'

    return "<img" + _SRC_ATTR.sub(swap, match.group(1)) + ">"


def _sanitize(html: str) -> str:
    """Two sanitizer passes: the first normalizes arbitrary markup into ammonia's canonical
    serialization (so a simple pattern can find every ``<img src>``), the rewrite moves remote
    sources aside, and the second pass drops any ``src`` that is still not ``cid:``.  If the
    rewrite ever misses an image, the image disappears; it is never loaded."""
    canonical = _clean(html, None)
    return _clean(_IMG_TAG.sub(_block_remote, canonical), _strict)


@dataclass(frozen=True)
class SanitizedHtml:
    """Safe markup, and why its formatting was simplified (``None`` when it was not)."""

    html: str
    note: str | None = None


def sanitize_email_html(html: str) -> SanitizedHtml:
    """Return ``html`` safe to render, no deeper than ``MAX_DEPTH``, in time linear in its size.

    The bounding pass runs before the sanitizer, so html5ever never sees deep markup.  The
    parser may still add the elements HTML implies (``tbody``, ``tr``); if that takes the result
    past the limit, the (now balanced) output is bounded once more and cleaned again.
    """
    bounded = bound_html(html, max_depth=MAX_DEPTH, max_chars=MAX_CHARS)
    dropped = bounded.dropped
    out = _sanitize(bounded.html)
    if depth_of(out) > MAX_DEPTH:
        again = bound_html(out, max_depth=MAX_DEPTH, max_chars=len(out) + 1)
        dropped += again.dropped
        out = _clean(again.html, _strict)
    reasons = []
    if dropped:
        reasons.append("nested too deeply")
    if bounded.truncated:
        reasons.append(f"too large (first {MAX_CHARS // 1000} kB kept)")
    note = "formatting simplified: " + ", ".join(reasons) if reasons else None
    return SanitizedHtml(out, note)


def sanitize_html(html: str) -> str:
    """Return ``html`` safe to render, with remote images blocked but recoverable (and its
    size and depth bounded: see ``sanitize_email_html``, which also says what it simplified)."""
    return sanitize_email_html(html).html


class _TextExtractor(HTMLParser):
    """Turns sanitized HTML into readable text: paragraphs get a blank line, rows and items one."""

    _PARAGRAPH = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "pre"}
    )
    _LINE = frozenset({"div", "tr", "li", "dt", "dd", "hr", "address", "section", "article"})
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._need = 0  # newlines owed before the next text
        self._skipping = 0

    def _block(self, newlines: int) -> None:
        self._need = max(self._need, newlines)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "br":
            self._need = min(self._need + 1, 2)
        elif tag in self._PARAGRAPH:
            self._block(2)
        elif tag in self._LINE:
            self._block(1)
        if tag == "li":
            self.handle_data("- ")
        elif tag in ("td", "th") and self.out and not self._need:
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._PARAGRAPH:
            self._block(2)
        elif tag in self._LINE:
            self._block(1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not text.strip():
            if not self._need and self.out:
                self.out.append(" ")
            return
        if self._need:
            if self.out:
                self.out.append("\n" * self._need)
            text = text.lstrip()
            self._need = 0
        self.out.append(text)


def html_to_text(html: str) -> str:
    """Plain text for an HTML-only mail: what search indexes and what the preview shows."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out).replace("\xa0", " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()
