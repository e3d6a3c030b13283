"""Finding what a trainee wrote: phrases matched case-insensitively on word boundaries.

A team lead writes the phrases by hand, so the rules are few and predictable: letters are
compared without regard to case, any run of spaces or line breaks counts as one space, curly
apostrophes count as straight ones, and a phrase matches only whole words ("refund" does not
match "refunded"), unless its word ends in ``*`` ("apolog*" matches "apologise", "apologies").
Plain substring search would reward "sorry" inside "not sorry at all" just the same, but would
also find "no" in "know"; word boundaries keep the surprises to the first kind, which the
scenario's "avoid" list handles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PhraseError", "PhraseSet", "normalise"]

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"'})


class PhraseError(ValueError):
    """A phrase that cannot be matched (empty, or a lone ``*``)."""


def normalise(text: str) -> str:
    """The form both sides are compared in: one line, straight quotes, case folded."""
    return " ".join(text.translate(_APOSTROPHES).translate(_QUOTES).split()).casefold()


def _pattern(phrase: str) -> str:
    words = normalise(phrase).split(" ")
    if not words or words == [""]:
        raise PhraseError("a phrase must not be empty")
    parts: list[str] = []
    for word in words:
        stem = word.rstrip("*")
        if not stem:
            raise PhraseError(f"{phrase!r}: '*' must follow at least one letter")
        parts.append(re.escape(stem) + (r"\w*" if word.endswith("*") else ""))
    # Look-arounds rather than \b, so phrases that start or end in punctuation ("order #")
    # still need a word boundary on the outside only.
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """Synonyms for one idea; :meth:`find` says which one the text used, if any."""

    phrases: tuple[str, ...]
    _regex: re.Pattern[str]

    @classmethod
    def of(cls, phrases: Iterable[str]) -> PhraseSet:
        items = tuple(phrases)
        if not items:
            raise PhraseError("at least one phrase is needed")
        alternatives = "|".join(f"(?:{_pattern(p)})" for p in items)
        return cls(items, re.compile(alternatives, re.IGNORECASE))

    def find(self, text: str) -> str | None:
        """The words of ``text`` that matched (as written, case folded), or None."""
        found = self._regex.search(normalise(text))
        return found.group(0) if found else None
