"""What every webhook parser checks before a provider's value reaches the database.

A signed request is still only as sane as its sender's code.  Values no provider sends (a
timestamp of NaN or 10^20, a body nested 50,000 levels deep) used to surface as a 500 from
wherever they broke first, and a provider redelivers a 500 forever.  The parsers read such
values through these helpers, which raise ``PayloadError`` naming the provider's field (the
route answers 400 ``invalid_payload``) before anything is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from csdesk.server.channels.inbound import PayloadError
from csdesk.server.edge.bad_text import scrub_payload

#: How deep a provider's JSON may nest.  Real deliveries stay near ten levels (a WhatsApp
#: interactive reply is ten); the bound keeps a body's walk (the text scrub) far from
#: Python's recursion limit.
MAX_DEPTH = 64
#: Provider timestamps are Unix times: nothing is dated before 1970, and nothing after the year
#: 3000, which leaves ``datetime`` (to 9999) room for the SLA clocks' arithmetic.
_LATEST = datetime(3000, 1, 1, tzinfo=UTC).timestamp()


def load_json(body: bytes | str, provider: str, what: str) -> dict[str, Any]:
    """A webhook body as a JSON object, no deeper than ``MAX_DEPTH``, its text scrubbed
    (``bad_text.scrub_payload``); ``what`` names the body in the error ("webhook body")."""
    try:
        data = json.loads(body)
    except RecursionError:  # the decoder's own stack ran out: thousands of levels
        raise PayloadError(f"{what} is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{what} is not JSON: {exc}") from None
    if _deeper_than(data, MAX_DEPTH):
        raise PayloadError(f"{what} is nested more than {MAX_DEPTH} levels deep")
    data = scrub_payload(data, provider)
    if not isinstance(data, dict):
        raise PayloadError(f"{what} must be a JSON object")
    return data


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``limit`` levels (no recursion,
    so the check itself cannot run out of stack)."""
    stack = [(value, 1)] if isinstance(value, Mapping | list) else []
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, Mapping) else item:
            if isinstance(child, Mapping | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def unix_time(seconds: float, where: str) -> datetime:
    """A provider's Unix time (seconds) as an aware UTC datetime; ``where`` names the field."""
    if not math.isfinite(seconds) or not 0 <= seconds < _LATEST:
        raise PayloadError(f"{where} is not a timestamp: {seconds!r}")
    return datetime.fromtimestamp(seconds, UTC)
