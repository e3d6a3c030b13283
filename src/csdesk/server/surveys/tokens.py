"""The survey link's token: the survey's id and an expiry time under an HMAC.

The token is the customer's capability to answer that one survey, so it is signed with a
key of the server's own (derived from the attachment-link key: ``CSDESK_SECRET_KEY`` when set,
so every server process of a deployment accepts every other's links, else ``link.key`` in the
data directory) with a label of its own, so a token of one kind is never valid as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from csdesk.server.attachments.links import link_key

#: Longer than any token we make (base64 of ~70 bytes and a 32-character MAC).
MAX_TOKEN: Final = 200
_LABEL: Final = b"csdesk survey links\0"


class Refusal(StrEnum):
    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Signed:
    survey_id: str
    expires: int


def survey_key(data_dir: Path) -> bytes:
    return hmac.new(link_key(data_dir), _LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:24])


def sign(key: bytes, survey_id: str, expires: int) -> str:
    body = _b64(json.dumps([survey_id, expires], separators=(",", ":")).encode("ascii"))
    return f"{body}.{_mac(key, body)}"


def verify(key: bytes, token: str, now: float | None = None) -> Signed | Refusal:
    """The survey a token names, or why it is refused (never raises)."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        return Refusal.MALFORMED
    body, dot, mac = token.partition(".")
    if not dot or not body or not mac:
        return Refusal.MALFORMED
    try:
        if not hmac.compare_digest(_mac(key, body), mac):
            return Refusal.FORGED
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, UnicodeError, TypeError, binascii.Error):
        return Refusal.MALFORMED
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], int)
        or len(value[0]) > 36
    ):
        return Refusal.MALFORMED
    if value[1] < (time.time() if now is None else now):
        return Refusal.EXPIRED
    return Signed(value[0], value[1])
