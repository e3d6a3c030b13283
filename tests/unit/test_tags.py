from __future__ import annotations

from csdesk.domain.tags import edit_tags


def test_adds_once_in_order_and_strips() -> None:
    assert edit_tags(["vip"], [" refund", "refund", "vip", ""], []) == ["vip", "refund"]


def test_remove_wins_and_ignores_spaces() -> None:
    assert edit_tags(["vip", "late"], ["late"], [" late "]) == ["vip"]


def test_cleans_what_was_stored_before() -> None:
    assert edit_tags([" a", "a", "b "], [], []) == ["a", "b"]
