"""What a customer edit may hold, checked the same way by the desk (before queueing it, so the
agent hears at once) and the server (which has the last word, for any client).

The name must not be blank; an email must have an address's shape and a phone be a possible
international (E.164) number, both stored in their canonical spelling so they match the
identities channels record; a blank email or phone clears it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from csdesk.domain.phrase import Phrase, PhraseError
from csdesk.identities import normalize_email, normalize_phone

#: A BCP 47-like tag, as short as "en" and at most the column's 16 characters.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


class FieldError(PhraseError):
    """``field`` cannot take the value given; ``phrase`` says why, for the agent
    (``message``: in English)."""

    def __init__(self, field: str, phrase: Phrase) -> None:
        super().__init__(phrase)
        self.field = field
        self.message = phrase.text


def clean_tags(tags: Any) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    out: list[str] = []
    for tag in tags or ():
        text = str(tag).strip()
        if text and text not in out:
            out.append(text)
    return out


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` in their stored form; raises ``FieldError`` for the first bad one."""
    out = dict(fields)
    if "name" in out:
        name = str(out["name"] or "").strip()
        if not name:
            raise FieldError("name", Phrase("A customer's name cannot be empty."))
        out["name"] = name
    if "email" in out:
        email = str(out["email"] or "").strip()
        try:
            out["email"] = normalize_email(email) if email else None
        except ValueError:
            raise FieldError(
                "email",
                Phrase(
                    "{value} is not an email address (it needs the form name@example.com).",
                    value=repr(email),
                ),
            ) from None
    if "phone" in out:
        phone = str(out["phone"] or "").strip()
        try:
            out["phone"] = normalize_phone(phone) if phone else None
        except ValueError:
            raise FieldError(
                "phone",
                Phrase(
                    "{value} is not a phone number in international form "
                    "(a + and the country code, e.g. +44 20 7946 0958).",
                    value=repr(phone),
                ),
            ) from None
    if "language" in out and out["language"] is not None:
        language = str(out["language"]).strip()
        if len(language) > 16 or not _LANGUAGE.match(language):
            raise FieldError(
                "language",
                Phrase(
                    "{value} is not a language code (such as en, de or pt-BR).",
                    value=repr(language),
                ),
            )
        out["language"] = language
    if "tags" in out and out["tags"] is not None:
        out["tags"] = clean_tags(out["tags"])
    return out
