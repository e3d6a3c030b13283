"""Text no database can store, refused at the edge or cleaned for what providers send.

PostgreSQL refuses NUL (U+0000) in text; a lone UTF-16 surrogate (U+D800-U+DFFF, which JSON
can carry as ``"\\ud800"`` and Python decodes without complaint) cannot be encoded to UTF-8 for
either database.  Both used to surface as a 500 from whichever query met them first.

``TextGuard`` looks at what every route can read, before any route runs: the path, the query
string and a JSON body (parsed exactly as Starlette parses it).  Bad text answers 422
``invalid_request`` naming where it was, the code a desk already treats as "this action can
never succeed" (it rejects that one action instead of retrying it forever).  Provider webhooks
are not refused (the provider would redeliver forever): their parsers call ``scrub``, which
replaces the bad code points with U+FFFD, and log a warning.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csdesk.server.errors import error_body

log = logging.getLogger(__name__)
T = TypeVar("T")
_BAD = re.compile("[\x00\ud800-\udfff]")
_REPLACEMENT = "\ufffd"
#: What a JSON body needs for bad text in it: an escaped NUL or surrogate, or a surrogate's
#: UTF-8 bytes (a match may still be harmless, e.g. an escaped backslash before "u0000").
_MAYBE_BAD = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Loc = list[str | int]


def problem(text: str) -> str | None:
    """What is wrong with ``text`` (its first bad code point), or None."""
    found = _BAD.search(text)
    if found is None:
        return None
    char = found.group()
    kind = "a NUL character" if char == "\x00" else "a lone surrogate"
    return f"text contains {kind} (U+{ord(char):04X}), which cannot be stored"


#: A place in a JSON value: its key or index, and its parent's place (None: the top).
_Place = tuple[str | int, "_Place"] | None


def _loc(place: _Place) -> Loc:
    out: Loc = []
    while place is not None:
        out.append(place[0])
        place = place[1]
    return out[::-1]


def find(value: Any) -> tuple[Loc, str] | None:
    """Where the first bad string (key or value) in a JSON value is, and what is wrong.

    Each item keeps only a link to its parent's place; the path is spelled out for the bad
    one alone (copying each item's whole path took ~4 GB for a 2 MB body 900 deep)."""
    stack: list[tuple[_Place, Any]] = [(None, value)]
    while stack:
        place, item = stack.pop()
        if isinstance(item, str):
            why = problem(item)
            if why:
                return _loc(place), why
        elif isinstance(item, Mapping):
            pending: list[tuple[_Place, Any]] = []
            for key, child in item.items():
                why = problem(str(key))
                if why:
                    return [*_loc(place), _BAD.sub(_REPLACEMENT, str(key))], why
                pending.append(((key, place), child))
            stack.extend(reversed(pending))
        elif isinstance(item, list):
            stack.extend(reversed([((i, place), child) for i, child in enumerate(item)]))
    return None


def scrub(value: Any, *, drop_nul: bool = False) -> tuple[Any, int]:
    """``value`` with every bad code point replaced by U+FFFD (or a NUL dropped, with
    ``drop_nul``), and how many were replaced."""
    count = 0

    def fix(found: re.Match[str]) -> str:
        return "" if drop_nul and found.group() == "\x00" else _REPLACEMENT

    def clean(text: str) -> str:
        nonlocal count
        fixed, n = _BAD.subn(fix, text)
        count += n
        return fixed

    # A loop, not recursion: a payload nested 900 deep (a visitor's or a provider's) used to
    # end in RecursionError, a 500 and a traceback thousands of lines long.
    top: list[Any] = [None]
    stack: list[tuple[Any, list[Any] | dict[Any, Any], Any]] = [(value, top, 0)]
    while stack:
        item, parent, slot = stack.pop()
        if isinstance(item, str):
            parent[slot] = clean(item)
        elif isinstance(item, Mapping):
            new: dict[Any, Any] = {}
            parent[slot] = new
            children = []
            for k, v in item.items():
                key = clean(k) if isinstance(k, str) else k
                new[key] = None  # the order of the keys is the original's
                children.append((v, new, key))
            stack.extend(reversed(children))  # a key cleaned into another's: the last wins
        elif isinstance(item, list):
            items: list[Any] = [None] * len(item)
            parent[slot] = items
            stack.extend(reversed([(v, items, i) for i, v in enumerate(item)]))
        else:
            parent[slot] = item
    return top[0], count


def scrub_payload(value: T, provider: str) -> T:
    """A provider's parsed payload, cleaned (see ``scrub``), with a warning when it had to be."""
    cleaned, count = scrub(value)
    if count:
        log.warning(
            "%s webhook: replaced %d code point(s) no database can store (NUL, lone "
            "surrogates) with U+FFFD",
            provider,
            count,
        )
    return cast(T, cleaned)


def _is_json(headers: Headers) -> bool:
    """Whether FastAPI would parse this body as JSON (no Content-Type counts, as there)."""
    value = headers.get("content-type")
    if not value:
        return True
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _refusal(where: str, why: str, headers: Mapping[str, str]) -> JSONResponse:
    details = [{"loc": where.split("."), "msg": why, "type": "invalid_text"}]
    return JSONResponse(
        error_body("invalid_request", f"{where}: {why}", details), 422, headers=dict(headers)
    )


class TextGuard:
    """ASGI middleware: refuse NUL and lone surrogates in the path, query and JSON body.

    ``skip_body(path)``: routes whose body is not ours to judge (provider webhooks, whose
    parsers scrub, as the signature covers the raw bytes; file uploads, which are bytes).
    ``clean_body(path)``: routes whose body is cleaned instead of refused (the chat widget:
    a visitor's NUL is dropped, as the chat always did, a lone surrogate becomes U+FFFD).
    ``headers_for(path)``: headers for the refusal (CORS for the chat widget's page).
    """

    def __init__(
        self,
        app: ASGIApp,
        skip_body: Callable[[str], bool],
        clean_body: Callable[[str], bool],
        headers_for: Callable[[str], Mapping[str, str]],
    ) -> None:
        self.app = app
        self.skip_body = skip_body
        self.clean_body = clean_body
        self.headers_for = headers_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        refusal = self._check_url(path, scope.get("query_string", b""))
        if refusal is None and self._reads_json(scope):
            first = await _read_all(receive)
            body: bytes = first.get("body", b"")
            # A large body (up to the 2 MB cap) takes a second to parse and walk: off the
            # event loop, which serves every other request meanwhile.
            found = (
                _bad_json(body)
                if len(body) < _BIG_BODY
                else await run_in_threadpool(_bad_json, body)
            )
            if not _utf8(body):
                refusal = _refusal("body", NOT_UTF8, self.headers_for(path))
            elif found is not None and self.clean_body(path):
                cleaned, _count = scrub(found[0], drop_nul=True)
                try:
                    first = {**first, "body": json.dumps(cleaned).encode()}
                except RecursionError:  # nested past what the route could parse anyway
                    refusal = _refusal("body", TOO_DEEP, self.headers_for(path))
            elif found is not None:
                refusal = _refusal(found[1], found[2], self.headers_for(path))
            receive = _replay(first, receive)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _reads_json(self, scope: Scope) -> bool:
        if scope["method"] not in _BODY_METHODS or self.skip_body(scope["path"]):
            return False
        return _is_json(Headers(scope=scope))

    def _check_url(self, path: str, query: bytes) -> JSONResponse | None:
        why = problem(path)
        if why:
            return _refusal("path", why, self.headers_for(path))
        # As Starlette decodes it (latin-1, then percent-decoding as UTF-8).
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            why = problem(key) or problem(value)
            if why:
                return _refusal(f"query.{_BAD.sub(_REPLACEMENT, key)}", why, self.headers_for(path))
        return None


#: JSON between systems is UTF-8 (RFC 8259, 8.1). ``json.loads`` also takes UTF-16 and
#: UTF-32, whose escapes and code points the byte checks here cannot see: such a body let a
#: NUL through to the database (a 500 on PostgreSQL, before authentication).
NOT_UTF8 = "JSON must be encoded as UTF-8"
TOO_DEEP = "JSON is nested too deeply"


def _utf8(body: bytes) -> bool:
    """Whether ``json.loads`` would read ``body`` as UTF-8 (with or without its BOM)."""
    return json.detect_encoding(body) in ("utf-8", "utf-8-sig")


def _bad_json(body: bytes) -> tuple[Any, str, str] | None:
    """(the parsed body, where, what) when the JSON ``body`` holds bad text, else None."""
    # NUL can only arrive escaped (a raw one is invalid JSON); a surrogate escaped, or as
    # the three bytes ED A0..BF 80..BF, which json.loads decodes with "surrogatepass". Most
    # bodies hold other escapes (any non-ASCII letter, as most clients send them): only one
    # of these sends the body through a parse and a walk.
    if _MAYBE_BAD.search(body) is None:
        return None
    try:
        value = json.loads(body)  # as Starlette parses it for FastAPI
    except (ValueError, RecursionError):
        return None  # not JSON: the route answers that itself
    found = find(value)
    if found is None:
        return None
    loc, why = found
    if len(loc) > _LOC_PARTS:  # a body nested hundreds deep: its path is not a message
        loc = [*loc[: _LOC_PARTS // 2], "…", *loc[-_LOC_PARTS // 2 :]]
    return value, ".".join(str(p) for p in loc) or "body", why


#: The most parts of a path a refusal names (the first and last halves).
_LOC_PARTS = 12
#: Bodies larger than this are parsed and walked on a worker thread, not the event loop.
_BIG_BODY = 64 * 1024


async def _read_all(receive: Receive) -> Message:
    """The whole body as one message (the body cap, outside this, bounds it), or the
    disconnect that cut it short (the route then sees that, not a short body)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def _replay(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that hands ``first`` over, then passes through (to see a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first
        return await receive()

    return replay
