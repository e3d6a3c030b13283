"""schemathesis hooks (``SCHEMATHESIS_HOOKS``): put NUL and lone surrogates into what it sends.

Its own string strategies never produce a lone surrogate (they must encode as UTF-8), and a
NUL only by chance.  These hooks take each generated body (and query and path parameters)
and, in some examples, put one bad code point into one of its strings, so every operation is
tried with text PostgreSQL or any UTF-8 encoder refuses.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

#: A lone surrogate cannot be percent-encoded into a URL, so URLs get NUL only.
BODY_BAD = ["\x00", "\ud800", "\udfff"]
URL_BAD = ["\x00"]


def _string_slots(value: Any, path: tuple[Any, ...] = (), *, keys: bool) -> list[tuple[Any, ...]]:
    """Paths to every string value and (with ``keys``) every object key (``("key", name)``)."""
    if isinstance(value, str):
        return [path]
    slots: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if keys and isinstance(key, str):
                slots.append((*path, ("key", key)))
            slots.extend(_string_slots(child, (*path, key), keys=keys))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            slots.extend(_string_slots(child, (*path, i), keys=keys))
    return slots


def _inject(value: Any, slot: tuple[Any, ...], bad: str, at: int) -> Any:
    if not slot:
        assert isinstance(value, str)
        pos = at % (len(value) + 1)
        return value[:pos] + bad + value[pos:]
    head, rest = slot[0], slot[1:]
    if isinstance(head, tuple) and head[0] == "key" and not rest:
        return {(_inject(k, (), bad, at) if k == head[1] else k): v for k, v in value.items()}
    if isinstance(value, dict):
        return {k: (_inject(v, rest, bad, at) if k == head else v) for k, v in value.items()}
    return [(_inject(v, rest, bad, at) if i == head else v) for i, v in enumerate(value)]


def _tainted(value: Any, bad: list[str], *, keys: bool = False) -> st.SearchStrategy[Any]:
    slots = _string_slots(value, keys=keys)
    if not slots or not bad:
        return st.just(value)
    tainted = st.builds(
        lambda slot, char, at: _inject(value, slot, char, at),
        st.sampled_from(slots),
        st.sampled_from(bad),
        st.integers(0, 64),
    )
    return st.one_of(st.just(value), tainted)


def _body_bad(context: Any) -> list[str]:
    """JSON bodies get all three; a form body is percent-encoded like a URL (NUL only); a
    file upload is bytes, not text."""
    path = str(getattr(getattr(context, "operation", None), "path", ""))
    if path == "/api/v1/attachments":
        return []
    return URL_BAD if path.startswith("/webhooks/twilio") else BODY_BAD


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _tainted(body, _body_bad(context), keys=True)


@schemathesis.hook
def flatmap_query(_context: Any, query: Any) -> st.SearchStrategy[Any]:
    return _tainted(query, URL_BAD) if query else st.just(query)


@schemathesis.hook
def flatmap_path_parameters(_context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    return _tainted(path_parameters, URL_BAD) if path_parameters else st.just(path_parameters)
