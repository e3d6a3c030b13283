"""Phrase matching: case-insensitive, whole words, synonyms, trailing wildcards."""

from __future__ import annotations

import pytest

from csdesk.training.matching import PhraseError, PhraseSet


@pytest.mark.parametrize(
    ("phrases", "text", "found"),
    [
        (["order number"], "Could you give me your ORDER NUMBER?", "order number"),
        (["order number"], "your order\n   number please", "order number"),
        (["refund"], "It was refunded yesterday.", None),  # whole words only
        (["refund*"], "It was refunded yesterday.", "refunded"),
        (["apolog*"], "Apologies for the wait", "apologies"),
        (["I'm sorry"], "I’m sorry about that", "i'm sorry"),  # curly apostrophe
        (["no"], "I know", None),
        (["order #"], "What is your order #?", "order #"),
        (["3-5 days"], "within 3-5 days.", "3-5 days"),
        (["depot", "held"], "It is held at the depot", "held"),
        (["sorry"], "Sorryyy", None),
    ],
)
def test_find(phrases: list[str], text: str, found: str | None) -> None:
    assert PhraseSet.of(phrases).find(text) == found


@pytest.mark.parametrize("bad", [[], [""], ["  "], ["*"], ["order *"]])
def test_bad_phrases_are_refused(bad: list[str]) -> None:
    with pytest.raises(PhraseError):
        PhraseSet.of(bad)
