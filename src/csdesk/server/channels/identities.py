"""The canonical forms of identities live in ``csdesk.identities`` (the desk checks what an
agent types with the same rules); re-exported here for the channel code."""

from __future__ import annotations

from csdesk.identities import normalize_email, normalize_phone

__all__ = ["normalize_email", "normalize_phone"]
