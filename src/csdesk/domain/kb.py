"""Knowledge-base rules shared by the server and the desk (standard library only): limits,
language codes, slugs, the id of an article's language variant, and the words a search is
made of. See docs/knowledge-base.md."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Final

MAX_TITLE: Final = 200
MAX_BODY: Final = 50_000  # characters of Markdown
MAX_SLUG: Final = 80
MAX_TAGS: Final = 20
MAX_TAG: Final = 40
MAX_VARIANTS: Final = 20
#: A search query longer than this is refused (422 on the API) rather than searched.
MAX_QUERY: Final = 200
#: At most this many words of a query (or of a customer's message, for suggestions).
MAX_WORDS: Final = 12
LANG: Final = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$")
_SLUG_OK: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
_WORD: Final = re.compile(r"[^\W_]+", re.UNICODE)
_NAMESPACE: Final = uuid.UUID("4d0f7f62-2b53-4f43-9a55-6b8f3c1a0b11")
#: Words too common to suggest an article by (a customer's message is mostly these).
STOP_WORDS: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "hello",
        "hi",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "this",
        "to",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "dear",
        "regards",
        "best",
        "kind",
    ]
)


def variant_id(article_id: str, lang: str) -> str:
    """The id of ``article_id``'s variant in ``lang``: the same on every desk and server."""
    return str(uuid.uuid5(_NAMESPACE, f"{article_id}\n{lang}"))


def is_lang(code: str) -> bool:
    return bool(LANG.match(code))


def is_slug(slug: str) -> bool:
    return len(slug) <= MAX_SLUG and bool(_SLUG_OK.match(slug))


def slugify(title: str) -> str:
    """A URL slug from a title: ASCII letters and digits joined by hyphens ("article" when
    nothing is left)."""
    ascii_ = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", ascii_).strip("-")[:MAX_SLUG].strip("-")
    return slug or "article"


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and newline kept), lone surrogates or NUL:
    what neither database can store or what has no place in a search."""
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )


def words(text: str, *, limit: int = MAX_WORDS, drop_common: bool = False) -> list[str]:
    """The distinct words of ``text`` (letters and digits, lower case, NFC), at most
    ``limit``, in order; ``drop_common`` leaves out stop words and one-letter words."""
    out: list[str] = []
    for w in _WORD.findall(unicodedata.normalize("NFC", clean_text(text)).lower()):
        if drop_common and (len(w) < 3 or w in STOP_WORDS or w.isdigit()):
            continue
        if w not in out:
            out.append(w)
            if len(out) >= limit:
                break
    return out


def fts_any(text: str) -> str | None:
    """An FTS5 expression matching any of the uncommon words of ``text`` (suggestions from a
    customer's message), each quoted so nothing is read as FTS syntax."""
    found = words(text, drop_common=True)
    return " OR ".join(f'"{w}"' for w in found) if found else None


def fts_all(text: str) -> str | None:
    """An FTS5 expression matching every word of ``text``, the last as a prefix (results as
    one types), each quoted; None when nothing is left to search for."""
    found = words(text)
    if not found:
        return None
    quoted = [f'"{w}"' for w in found]
    if len(found[-1]) > 1:
        quoted[-1] += "*"
    return " ".join(quoted)
