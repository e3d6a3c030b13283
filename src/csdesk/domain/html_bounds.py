"""Bounding hostile HTML in one linear pass, before any real HTML engine sees it.

HTML engines are not linear in what an attacker controls: html5ever (behind nh3) does work per
open element for each new tag, so 100,000 nested ``<div>`` cost minutes; Qt's rich-text engine is
exponential in nested tables (22 levels: over 40 s) and crashes on thousands.  Python's own
``html.parser`` is no way out either: it is quadratic on ``<a<a<a…`` (400 kB: three minutes).

So this module tokenizes with a few possessive regular expressions (each character is looked at a
bounded number of times) and rebuilds a balanced tree no deeper than a limit.  Container tags past
the limit (or tables nested past their own limit) are dropped and their text kept, with a line
break or a space where a dropped block or cell was, so words do not run together.  Input past a
size limit is cut off.  The pass decides structure only: its output is still hostile and must go
through the sanitizer (the server) or be shown by an engine that loads nothing (the desk).

Standard library only: the server's sanitizer and the desk's email view both use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
#: Elements whose content is not markup; their end tag is searched for directly.
RAW_TEXT = frozenset(
    ["script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title", "plaintext"]
)
#: Merged into one element by every HTML parser, so they never nest: dropped here.
_DOCUMENT = frozenset({"html", "head", "body"})
TABLE_PARTS = frozenset(
    ["table", "caption", "colgroup", "thead", "tbody", "tfoot", "tr", "td", "th"]
)
_CELLS = frozenset({"td", "th"})
#: Dropped blocks leave a line break behind; dropped cells a space.
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
#: A start tag of these closes an open <p> (HTML's "close a p element"), so that
#: ``<p>one<p>two`` is two paragraphs here as in a browser, not two levels.
_CLOSES_P = _BLOCKS - {"caption", "dd", "dt", "li", "tbody", "tfoot", "thead", "tr"} | {"hr"}
#: Where HTML stops looking for an element to close implicitly.
_SCOPE = frozenset(
    ["applet", "button", "caption", "html", "marquee", "object", "table", "td", "template", "th"]
)
#: start tag -> (open elements it closes implicitly, elements that stop the search)
_IMPLIED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), _SCOPE | {"ol", "ul"}),
    "dt": (frozenset({"dt", "dd"}), _SCOPE | {"dl"}),
    "dd": (frozenset({"dt", "dd"}), _SCOPE | {"dl"}),
    "option": (frozenset({"option"}), _SCOPE | {"select"}),
    "tr": (frozenset({"tr"}), frozenset({"table"})),
    "td": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "th": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "thead": (frozenset({"thead", "tbody", "tfoot"}), frozenset({"table"})),
    "tbody": (frozenset({"thead", "tbody", "tfoot"}), frozenset({"table"})),
    "tfoot": (frozenset({"thead", "tbody", "tfoot"}), frozenset({"table"})),
}
for _h in ("h1", "h2", "h3", "h4", "h5", "h6"):
    _IMPLIED[_h] = (frozenset({"h1", "h2", "h3", "h4", "h5", "h6"}), _SCOPE)

# Possessive quantifiers (Python 3.11+) never backtrack, so a failed match costs what it read.
_TEXT = re.compile(r"[^<]++")
# A tag runs to the first ">" outside a quoted value; as in HTML, a quote opens a value only
# right after "=" (an unclosed one reads as an unquoted value), elsewhere it is a character.
_TAG = re.compile(
    r"""<(/?)([A-Za-z][^\t\n\f\r />]*+)"""
    r"""((?:[^>"'=]++|=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+)|["'])*+)(>?)""",
)


@dataclass
class Bounded:
    """The bounded markup and what had to be simplified to get there."""

    html: str
    max_depth: int = 0  # deepest nesting in ``html``
    dropped: int = 0  # container tags dropped for depth or table nesting
    truncated: bool = False  # input past the size limit was cut off

    @property
    def simplified(self) -> bool:
        return bool(self.dropped or self.truncated)


@dataclass
class _Frame:
    """An element kept in the output, and counts of the dropped ones opened inside it."""

    tag: str
    dropped: dict[str, int] = field(default_factory=dict)


class _Builder:
    def __init__(self, max_depth: int, max_table_depth: int) -> None:
        self.out: list[str] = []
        self.stack: list[_Frame] = [_Frame("#root")]
        self.max_depth = max_depth
        self.max_table_depth = max_table_depth
        self.tables = 0  # kept <table> elements open
        self.flat_tables = 0  # dropped <table> elements open
        self.deepest = 0
        self.dropped = 0
        self.since_break = False  # text written since the last (real or stand-in) line break

    # --- output ----------------------------------------------------------------------------
    def text(self, chunk: str) -> None:
        if chunk:
            self.out.append(chunk)
            if not self.since_break and not chunk.isspace():
                self.since_break = True

    def stand_in(self, tag: str) -> None:
        """What a dropped tag leaves behind: a break for a block, a space for a cell."""
        if tag in _CELLS:
            self.out.append(" ")
        elif tag in _BLOCKS and self.since_break:
            self.out.append("<br>")
            self.since_break = False

    # --- structure -------------------------------------------------------------------------
    def _pop(self) -> None:
        frame = self.stack.pop()
        self.flat_tables -= frame.dropped.get("table", 0)
        if frame.tag == "table":
            self.tables -= 1
        self.out.append(f"</{frame.tag}>")
        if frame.tag in _BLOCKS:
            self.since_break = False

    def _close_implied(self, tag: str) -> None:
        rule = _IMPLIED.get(tag)
        if tag in _CLOSES_P:
            rule = (frozenset({"p"}), _SCOPE)
        if rule is None:
            return
        closes, stops = rule
        for at in range(len(self.stack) - 1, 0, -1):
            frame = self.stack[at]
            if frame.dropped:  # dropped elements sit between: the structure is flat there
                return
            if frame.tag in closes:
                while len(self.stack) > at:
                    self._pop()
                return
            if frame.tag in stops:
                return

    def _drops(self, tag: str) -> bool:
        if tag in TABLE_PARTS and (
            self.flat_tables or (tag == "table" and self.tables >= self.max_table_depth)
        ):
            return True
        return len(self.stack) - 1 >= self.max_depth

    def start(self, tag: str, source: str) -> bool:
        """Open ``tag`` (its start tag's text is ``source``); False if it was dropped."""
        if tag in VOID:
            self.out.append(source)
            if tag == "br":
                self.since_break = False
            return True
        if not self.stack[-1].dropped:
            self._close_implied(tag)
        if self._drops(tag):
            counts = self.stack[-1].dropped
            counts[tag] = counts.get(tag, 0) + 1
            self.dropped += 1
            if tag == "table":
                self.flat_tables += 1
            self.stand_in(tag)
            return False
        self.out.append(source)
        if tag in _BLOCKS:
            self.since_break = False
        self.stack.append(_Frame(tag))
        if tag == "table":
            self.tables += 1
        self.deepest = max(self.deepest, len(self.stack) - 1)
        return True

    def end(self, tag: str) -> None:
        for at in range(len(self.stack) - 1, 0, -1):
            frame = self.stack[at]
            if frame.dropped.get(tag):
                while len(self.stack) > at + 1:
                    self._pop()
                frame.dropped[tag] -= 1
                if not frame.dropped[tag]:
                    del frame.dropped[tag]
                if tag == "table":
                    self.flat_tables -= 1
                self.stand_in(tag)
                return
            if frame.tag == tag:
                while len(self.stack) > at:
                    self._pop()
                return
        root = self.stack[0].dropped
        if root.get(tag):  # only when the limit is 0
            root[tag] -= 1
        # an end tag nothing matches is dropped, as browsers do

    def finish(self) -> None:
        while len(self.stack) > 1:
            self._pop()


def _tokens(html: str) -> Iterator[tuple[str, str, str]]:
    """(kind, tag name, source) for "text", "start", "end" and "raw" (a raw-text element's
    content, always followed by its "end").  A tag cut off by the end of the input is dropped,
    as browsers do; so are comments, doctypes and processing instructions."""
    pos, end = 0, len(html)
    while pos < end:
        if html[pos] != "<":
            m = _TEXT.match(html, pos)
            assert m is not None
            yield "text", "", m.group()
            pos = m.end()
            continue
        if html.startswith("<!--", pos):
            close = html.find("-->", pos + 4)
            pos = end if close < 0 else close + 3
            continue
        nxt = html[pos + 1 : pos + 2]
        if nxt in ("!", "?") or (nxt == "/" and not html[pos + 2 : pos + 3].isalpha()):
            close = html.find(">", pos + 2)  # doctype, bogus comment, "</>", "</ "
            pos = end if close < 0 else close + 1
            continue
        tag = _TAG.match(html, pos)
        if tag is None:  # "<" not followed by a letter is text
            yield "text", "", "&lt;"
            pos += 1
            continue
        closing, name, _attrs, gt = tag.groups()
        if not gt:  # the input ends inside the tag
            return
        pos = tag.end()
        name = name.lower()
        if name in _DOCUMENT:
            continue
        if closing:
            yield "end", name, ""
            continue
        yield "start", name, tag.group()
        if name in RAW_TEXT:
            closer = None
            if name != "plaintext":
                closer = re.compile(rf"</{name}(?=[\t\n\f\r />]|$)", re.IGNORECASE).search(
                    html, pos
                )
            stop = end if closer is None else closer.start()
            yield "raw", name, html[pos:stop]
            yield "end", name, ""
            if closer is None:
                return
            gt_at = html.find(">", closer.end())
            pos = end if gt_at < 0 else gt_at + 1


def bound_html(
    html: str, *, max_depth: int = 32, max_table_depth: int | None = None, max_chars: int
) -> Bounded:
    """Rebuild ``html`` as balanced markup at most ``max_depth`` elements deep.

    Tables nested deeper than ``max_table_depth`` become plain blocks (their rows become lines,
    their cells spaces).  Only the first ``max_chars`` characters are read.  Linear in
    ``len(html)``: every tag is matched against at most ``max_depth`` open elements.
    """
    truncated = len(html) > max_chars
    if truncated:
        html = html[:max_chars]
    b = _Builder(max_depth, max_depth if max_table_depth is None else max_table_depth)
    kept = True
    for kind, name, source in _tokens(html):
        if kind == "text":
            b.text(source)
        elif kind == "start":
            kept = b.start(name, source)
        elif kind == "end":
            b.end(name)
        elif kept:  # raw text of a kept element; a dropped one's goes with it
            b.out.append(source)
    b.finish()
    return Bounded(html="".join(b.out), max_depth=b.deepest, dropped=b.dropped, truncated=truncated)


def depth_of(html: str) -> int:
    """How deeply balanced markup (``bound_html``'s or a sanitizer's output) nests."""
    depth = deepest = 0
    for kind, name, _source in _tokens(html):
        if kind == "start" and name not in VOID:
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "end" and name not in VOID:
            depth -= 1
    return deepest
