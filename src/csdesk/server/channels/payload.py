"""What every webhook parser checks before a provider's value reaches the database.

A signed request is still only as sane as its sender's code.  Values no provider sends (a
timestamp of NaN or 10^20, a body nested 50,000 levels deep, a "phone number" of 200 digits,
an id longer than the column it is stored in) used to surface as a 500 from wherever they broke
first, and a provider redelivers a 500 forever; on SQLite, which does not enforce a column's
width, some were stored instead.  The parsers read such values through these helpers, which
raise ``PayloadError`` naming the provider's field (the route answers 400 ``invalid_payload``)
before anything is written.  Nothing is ever cut to fit: a shortened id or number would be
another message or another person.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from csdesk.domain.enums import IdentityKind
from csdesk.server.channels.inbound import Handle, PayloadError
from csdesk.server.edge.bad_text import scrub_payload

#: The widths of the columns these values are stored in (a unit test holds them to the models).
PROVIDER_ID_WIDTH = 255  # messages.provider_message_id; conversation_routes.business
ADDRESS_WIDTH = 320  # customer_identities.value, conversation_routes.address
PHONE_WIDTH = 32  # customers.phone, which a phone or WhatsApp sender's handle fills
CALL_SID_WIDTH = 64  # calls.call_sid
#: How deep a provider's JSON may nest.  Real deliveries stay near ten levels (a WhatsApp
#: interactive reply is ten); the bound keeps a body's walk (the text scrub) far from
#: Python's recursion limit.
MAX_DEPTH = 64
#: Provider timestamps are Unix times: nothing is dated before 1970, and nothing after the year
#: 3000, which leaves ``datetime`` (to 9999) room for the SLA clocks' arithmetic.
_LATEST = datetime(3000, 1, 1, tzinfo=UTC).timestamp()
_PHONE_KINDS = frozenset({IdentityKind.PHONE, IdentityKind.WHATSAPP})


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


def fitting(value: str, width: int, where: str) -> str:
    """``value`` when it fits a column ``width`` characters wide."""
    if len(value) > width:
        raise PayloadError(f"{where} is longer than {width} characters")
    return value


def sender_handle(kind: IdentityKind, value: str, where: str) -> Handle:
    """The handle a sender is stored under, when it fits its identity row (and, for phone and
    WhatsApp numbers, the customer's phone, which the first one fills)."""
    width = PHONE_WIDTH if kind in _PHONE_KINDS else ADDRESS_WIDTH
    return Handle(kind, fitting(value, width, where))
