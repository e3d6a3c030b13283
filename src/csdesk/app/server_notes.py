"""A note or notice the server wrote (``body_phrases``), as the desk shows it: in the agent's
language (``sync.reasons.phrases_text``), with the times it names in the desk's local time and
format ("due 8 Dec 2026 03:04", not "due 2026-12-08 02:04 UTC")."""

from __future__ import annotations

from csdesk.app.formats import datetime_text
from csdesk.sync.reasons import phrases_text


def note_text(phrases: object, english: str) -> str:
    return phrases_text(phrases, english, times=datetime_text)
