"""Text a database stores: no control character (other than a new line or a tab) and no half
of a surrogate pair. PostgreSQL refuses NUL in text and neither database takes a lone
surrogate; the other control characters are refused too, so what an agent typed or pasted
reads the same on every desk. The server's argument checks and the desk's own checks (which
say so before the server refuses) use the same rule."""

from __future__ import annotations

import unicodedata

__all__ = ["check_storable", "unstorable"]


def unstorable(text: str) -> bool:
    """Whether ``text`` holds a character no record may hold."""
    return any(ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def check_storable(value: str) -> str:
    """``value`` unchanged, or ``ValueError`` (a pydantic validator's refusal)."""
    if unstorable(value):
        raise ValueError("contains a character that cannot be stored")
    return value
