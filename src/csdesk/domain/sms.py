"""How many SMS parts a text costs, counted the way carriers bill it (3GPP TS 23.038 / GSM 03.38).

An agent pays per part and a customer sees a long text arrive in pieces, so the composer must show
the real count, not ``len(text)``. The rules:

* A text that uses only the GSM 7-bit default alphabet is sent as GSM-7: every basic character is
  one septet; the extension-table characters (``^ { } \\ [ ~ ] |``, ``€`` and form feed) are an
  escape plus a character, so they cost two.
* A single character outside that alphabet switches the *whole* message to UCS-2, where every
  UTF-16 code unit costs one (so an emoji outside the Basic Multilingual Plane costs two).
* One part holds 160 septets or 70 code units. A longer text is concatenated, and the user-data
  header of each part leaves 153 septets or 67 code units.
* Handsets and gateways never split an escape sequence or a surrogate pair across two parts, so a
  part may end one unit short. We pack greedily the same way, which is why the part count can be
  higher than ``ceil(units / 153)``.

National language shift tables are not used: most carriers and gateways do not enable them, so
counting with them would promise parts the network would not deliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SmsCount",
    "SmsEncoding",
    "count",
    "is_gsm7",
]

# The 128 code points of the default alphabet, in table order. 0x1B (ESC) is left out: it is the
# escape to the extension table, not a character a user can type. 0x09 is drawn as a capital C
# cedilla in the ETSI table but mapped to the small one by Unicode's GSM0338.TXT, and encoders
# accept either, so both count as GSM-7.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇç\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# Characters reached through the escape: each costs two septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")


class SmsEncoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


_SINGLE_LIMIT = {SmsEncoding.GSM7: 160, SmsEncoding.UCS2: 70}
_PART_LIMIT = {SmsEncoding.GSM7: 153, SmsEncoding.UCS2: 67}


@dataclass(frozen=True, slots=True)
class SmsCount:
    """The cost of one text.

    ``units`` are septets for GSM-7 and UTF-16 code units for UCS-2. ``remaining`` is how many
    more units fit in the part being filled, so the composer can say "12 left"; an empty text
    has zero parts and a whole single message remaining. ``ucs2_chars`` lists, once each and in
    order of appearance, the characters that forced UCS-2, so the agent can replace a smart
    quote instead of paying double.
    """

    encoding: SmsEncoding
    units: int
    segments: int
    remaining: int
    ucs2_chars: tuple[str, ...]

    @property
    def segment_size(self) -> int:
        """Units one part holds at this length (160/70 single, 153/67 concatenated)."""
        limits = _PART_LIMIT if self.segments > 1 else _SINGLE_LIMIT
        return limits[self.encoding]


def _non_gsm_chars(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            seen.setdefault(char, None)
    return tuple(seen)


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 7-bit alphabet or its extension."""
    return not _non_gsm_chars(text)


def _unit_costs(text: str, encoding: SmsEncoding) -> list[int]:
    """The cost of each character; one list entry per indivisible piece."""
    if encoding is SmsEncoding.GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def count(text: str) -> SmsCount:
    """Count the encoding, units and parts ``text`` needs, as a carrier would bill it."""
    ucs2_chars = _non_gsm_chars(text)
    encoding = SmsEncoding.UCS2 if ucs2_chars else SmsEncoding.GSM7
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single = _SINGLE_LIMIT[encoding]
    if units <= single:
        segments = 1 if units else 0
        return SmsCount(encoding, units, segments, single - units, ucs2_chars)
    part = _PART_LIMIT[encoding]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:  # never split an escape pair or a surrogate pair
            segments += 1
            used = 0
        used += cost
    return SmsCount(encoding, units, segments, part - used, ucs2_chars)
