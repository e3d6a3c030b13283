"""Editing a conversation's tags: one rule for the server and the desk's optimistic copy, so
both end with the same list (order kept, no duplicates, surrounding spaces ignored)."""

from __future__ import annotations

from collections.abc import Iterable


def edit_tags(
    current: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> list[str]:
    gone = {t.strip() for t in remove}
    tags: list[str] = []
    for tag in [*current, *add]:
        tag = tag.strip()
        if tag and tag not in gone and tag not in tags:
            tags.append(tag)
    return tags
