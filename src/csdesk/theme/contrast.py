"""WCAG 2.2 contrast maths for opaque sRGB colours.

Kept free of Qt so the themes can be checked in plain unit tests and by tools that never start a
GUI. Only opaque colours are accepted: a contrast ratio of a translucent colour depends on what it
is painted over, so every theme token is opaque by design.
"""

from __future__ import annotations

import re

__all__ = [
    "AAA_TEXT",
    "AA_NON_TEXT",
    "AA_TEXT",
    "contrast_ratio",
    "normalize_hex",
    "parse_hex",
    "relative_luminance",
]

AA_TEXT = 4.5
"""WCAG 1.4.3 (AA) minimum for body text."""
AAA_TEXT = 7.0
"""WCAG 1.4.6 (AAA) minimum for body text."""
AA_NON_TEXT = 3.0
"""WCAG 1.4.11 (AA) minimum for focus indicators, control boundaries and meaningful graphics."""

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def normalize_hex(colour: str) -> str:
    """Return ``colour`` as lowercase ``#rrggbb`` so tokens compare and render consistently."""
    if not isinstance(colour, str) or _HEX.fullmatch(colour) is None:
        raise ValueError(
            f"not an sRGB hex colour: {colour!r} (expected '#rgb' or '#rrggbb', e.g. '#1a73e8')"
        )
    digits = colour[1:].lower()
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return "#" + digits


def parse_hex(colour: str) -> tuple[int, int, int]:
    """Return the 0–255 red, green and blue channels of a ``#rgb`` or ``#rrggbb`` colour."""
    digits = normalize_hex(colour)[1:]
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _linear(channel: int) -> float:
    # WCAG 2.2 uses the sRGB specification's 0.04045 threshold (2.0 printed 0.03928; the results
    # differ only for channel values that do not occur in 8-bit colour).
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance: 0.0 for black, 1.0 for white."""
    r, g, b = parse_hex(colour)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours, from 1.0 to 21.0, independent of order.

    The value is not rounded: WCAG forbids rounding up, so 4.499 must fail a 4.5 threshold.
    """
    a = relative_luminance(first)
    b = relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)
