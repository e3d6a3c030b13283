"""JSON from a store, parsed within bounds: size, nesting depth, number length, clean text.

A store's answer (or a webhook body) is outside input. ``json.loads`` alone recurses once per
nesting level (100,000 ``[`` is a RecursionError deep inside the parser, or worse), takes
numbers of any length, and lets NUL and lone surrogates through, which neither database can
store (see ``csdesk.server.edge.bad_text``). Here the depth is measured first in one linear
pass over the text (strings skipped), numbers are bounded, ``NaN``/``Infinity`` are refused,
floats become ``Decimal`` (no binary rounding of money), and bad code points are replaced with
U+FFFD, as for every provider payload.
"""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any, Final

from csdesk.server.edge.bad_text import scrub

log = logging.getLogger(__name__)

#: Defaults: a page of 100 WooCommerce orders with line items and meta is well under 4 MB;
#: an order is about six levels deep.
MAX_BYTES: Final = 16 * 1024 * 1024
MAX_DEPTH: Final = 64
_MAX_NUMBER_CHARS: Final = 40
#: A string literal (escapes included) or a bracket: the depth scan steps over strings whole.
_TOKENS: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class Malformed(ValueError):
    """The body is not JSON csdesk will read (too big, too deep, not JSON, wrong shape)."""


def depth_of(body: bytes) -> int:
    """The deepest nesting of arrays/objects in ``body`` (brackets inside strings ignored)."""
    depth = deepest = 0
    for found in _TOKENS.finditer(body):
        token = found.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _number(text: str) -> int:
    if len(text) > _MAX_NUMBER_CHARS:
        raise Malformed(f"a number of {len(text)} digits")
    return int(text)


def _float(text: str) -> Decimal:
    if len(text) > _MAX_NUMBER_CHARS:
        raise Malformed(f"a number of {len(text)} characters")
    return Decimal(text)


def _constant(name: str) -> Any:
    raise Malformed(f"{name} is not a number JSON allows")


def loads(body: bytes, *, what: str, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``body`` parsed, or :class:`Malformed` naming ``what`` ("the orders page")."""
    if len(body) > max_bytes:
        raise Malformed(f"{what} is {len(body)} bytes, over the {max_bytes} csdesk reads")
    if depth_of(body) > max_depth:
        raise Malformed(f"{what} is nested deeper than {max_depth} levels")
    try:
        value = json.loads(body, parse_int=_number, parse_float=_float, parse_constant=_constant)
    except Malformed as exc:
        raise Malformed(f"{what}: {exc}") from None
    except (ValueError, RecursionError):
        raise Malformed(f"{what} is not JSON") from None
    cleaned, count = scrub(value)
    if count:
        log.warning("%s: replaced %d code point(s) no database can store with U+FFFD", what, count)
    return cleaned


def loads_object(body: bytes, *, what: str, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    value = loads(body, what=what, max_bytes=max_bytes)
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not a JSON object")
    return value


def loads_list(body: bytes, *, what: str, max_bytes: int = MAX_BYTES) -> list[Any]:
    value = loads(body, what=what, max_bytes=max_bytes)
    if not isinstance(value, list):
        raise Malformed(f"{what} is not a JSON array")
    return value
