"""Outside text inside our sentences, kept from reordering them.

A customer named ``"\u202eAna"`` (RIGHT-TO-LEFT OVERRIDE) would otherwise display the rest of
a sentence reversed: "…with ‮Ana, scored 91.7 of 100." reads "…001 fo 7.19 derocs ,anA".
``isolate`` wraps such text in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE (Unicode's
bidirectional algorithm ends every embedding and override begun inside an isolate at its
end), after balancing the isolates the text itself opens and closes. Text without any
directional control is returned unchanged, so ordinary names and screen-reader text stay as
they were; the text's own characters are kept (shown as typed, never dropped).
"""

from __future__ import annotations

from typing import Final

FSI: Final = "\u2068"
PDI: Final = "\u2069"
_OPENERS: Final = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
#: Directional formatting characters: embeddings, overrides, isolates, marks.
CONTROLS: Final = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u200e\u200f\u061c"  # LRM, RLM, ALM
)


def isolate(text: str) -> str:
    """``text`` made safe to put inside a sentence (unchanged when it has no controls)."""
    if not any(ch in CONTROLS for ch in text):
        return text
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch in _OPENERS:
            depth += 1
        elif ch == PDI:
            if depth == 0:
                continue  # would close the isolate around the text: dropped
            depth -= 1
        out.append(ch)
    return FSI + "".join(out) + PDI * depth + PDI
