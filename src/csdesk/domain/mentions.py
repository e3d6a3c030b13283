"""@mentions of teammates in internal notes (issue 14, docs/mentions.md): the rules the
server and the desk share.

A mention is a *choice*, not text: the composer records the user id an agent picked from the
teammate list, and only the picks whose ``@Name`` is still in the note when it is sent become
mentions (``kept``). A name someone merely typed is unverified text and mentions nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: At most this many teammates in one note (the server refuses more).
MAX_MENTIONS = 20
#: The note's first line kept on the mention row (what the Mentions view quotes).
MAX_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class Pick:
    """A teammate chosen from the completer: their id and the name inserted after ``@``."""

    user_id: str
    name: str

    @property
    def token(self) -> str:
        return f"@{self.name}"


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """The first non-blank line of ``text``, whitespace collapsed, at most ``limit`` chars."""
    for line in text.splitlines():
        words = " ".join(line.split())
        if words:
            return words if len(words) <= limit else words[: limit - 1] + "…"
    return ""


def _continues_name(ch: str) -> bool:
    """Whether ``ch`` right after ``@Name`` would make it a longer word ("@Samuel")."""
    return ch.isalnum() or ch in "_-"


def _starts_mention(text: str, at: int) -> bool:
    """Whether the ``@`` at ``at`` can start a mention (not inside a word: an email address)."""
    return at == 0 or text[at - 1].isspace() or text[at - 1] in "([{\"'"


def present(text: str, picks: Iterable[Pick]) -> list[Pick]:
    """The ``picks`` whose ``@Name`` stands in ``text`` as a whole token, in pick order.

    Each ``@`` names at most one pick: the longest name that follows it and ends where a name
    ends (so ``@Sam Lee`` is Sam Lee's, not Sam's too, and ``@Samuel`` is not Sam's)."""
    chosen = list(picks)
    by_length = sorted({p.name for p in chosen if p.name}, key=len, reverse=True)
    named: set[str] = set()
    at = text.find("@")
    while at >= 0:
        if _starts_mention(text, at):
            for name in by_length:
                end = at + 1 + len(name)
                if text.startswith(name, at + 1) and (
                    end == len(text) or not _continues_name(text[end])
                ):
                    named.add(name)
                    break
        at = text.find("@", at + 1)
    return [p for p in chosen if p.name in named]


def kept(text: str, picks: Iterable[Pick]) -> list[str]:
    """The user ids of ``picks`` whose ``@Name`` is still in ``text`` as a whole token
    (``present``), first pick first, each once, at most ``MAX_MENTIONS``."""
    out: list[str] = []
    for pick in present(text, picks):
        if pick.user_id not in out:
            out.append(pick.user_id)
    return out[:MAX_MENTIONS]


def query_at(text: str, cursor: int, limit: int = 40) -> tuple[int, str] | None:
    """The ``@`` being typed before ``cursor``: (its position, the letters after it), or None
    when the cursor is not in a mention being typed. An ``@`` inside a word (an email address)
    starts none; a query stops at a line break or after ``limit`` characters."""
    start = max(0, cursor - limit - 1)
    at = text.rfind("@", start, cursor)
    if at < 0:
        return None
    if not _starts_mention(text, at):
        return None
    query = text[at + 1 : cursor]
    if "\n" in query or "@" in query or query[:1].isspace() or query[-1:].isspace():
        return None
    return at, query


def matches(query: str, names: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(id, name) pairs whose name or a word of it starts with ``query`` (case-insensitive),
    those starting with it first, then by name."""
    q = query.casefold().strip()
    hits = []
    for uid, name in names:
        folded = name.casefold()
        if folded.startswith(q):
            hits.append((0, folded, uid, name))
        elif any(w.startswith(q) for w in folded.split()):
            hits.append((1, folded, uid, name))
    hits.sort()
    return [(uid, name) for _, _, uid, name in hits]


#: Mention row ids are derived (``mention_id``), so a note's mention of one teammate is one row.
_NAMESPACE = uuid.UUID("6d3c1f8e-3a52-4c55-9a5e-4f1d0c2b7a91")


def mention_id(message_id: str, user_id: str) -> str:
    """The id of the mention of ``user_id`` in the note ``message_id``."""
    return str(uuid.uuid5(_NAMESPACE, f"{message_id}\n{user_id}"))
