"""PackedIds: the inbox's ordered ids in one bytes object, read like a list (issue 10: a list
of a million strings is walked by every collection that reaches it, and the window stalls)."""

from __future__ import annotations

import gc
import uuid

import pytest

from csdesk.app.packed_ids import BATCH, WIDE, WIDTH, PackedIds
from csdesk.ui.big_lists import same_items


def uuids(n: int) -> list[str]:
    return [str(uuid.UUID(int=i + 1)) for i in range(n)]


def test_it_reads_like_the_list_it_was_made_from() -> None:
    ids = uuids(BATCH * 2 + 7)  # over several batches
    p = PackedIds(ids)
    assert len(p) == len(ids)
    assert p[0] == ids[0] and p[-1] == ids[-1] and p[BATCH] == ids[BATCH]
    assert p[3:9] == ids[3:9] and p[::-1][:3] == ids[::-1][:3]
    assert list(p) == ids
    assert p == ids and p == PackedIds(ids) and p != ids[:-1]
    assert ids[BATCH + 1] in p and "nope" not in p and 7 not in p
    assert p.index(ids[-1]) == len(ids) - 1
    with pytest.raises(IndexError):
        p[len(ids)]
    assert p.nbytes() == len(ids) * WIDTH


def test_index_searches_the_range_it_is_given_like_a_list() -> None:
    ids = ["a", "b", "a", "c"]
    p = PackedIds(ids)
    assert p.index("a") == 0
    assert p.index("a", 1) == 2
    assert p.index("c", -1) == 3
    with pytest.raises(ValueError, match="not in the list"):
        p.index("a", 3)
    with pytest.raises(ValueError, match="not in the list"):
        p.index("b", 0, 1)


def test_a_short_id_is_not_found_inside_a_longer_one_or_across_two() -> None:
    """Records are padded with a byte UTF-8 never uses; a full-width id that matches across
    the boundary of two records is skipped (the search keeps to record starts)."""
    half = WIDTH // 2
    w = "x" * WIDTH
    across = "y" * half + "z" * half
    ids = ["q" * half + "y" * half, "z" * half + "q" * half, across, "ab", w]
    p = PackedIds(ids)
    assert p._blob.find(across.encode()) == half  # the bytes match across records 0 and 1
    assert p.index(across) == 2
    assert "a" not in p and "b" not in p and "x" not in p
    assert p.index("ab") == 3 and p.index(w) == 4
    assert "q" * half + "z" * half not in p


def test_ids_longer_than_a_uuid_and_any_text_come_back_as_they_went_in() -> None:
    ids = [*uuids(BATCH + 3), "é" * 40, "", "tab\there", "nul\0inside", "\udcff lone"]
    ids += [str(uuid.uuid4()) for _ in range(5)]
    p = PackedIds(ids)
    assert list(p) == ids
    assert p.index("é" * 40) == BATCH + 3
    assert p.index(ids[-1]) == len(ids) - 1
    assert PackedIds(ids) == p


def test_the_collector_never_walks_it_and_equal_lists_compare_fast() -> None:
    big = PackedIds(uuids(50_000))
    # What the collector visits for 50,000 ids: the type, the bytes, the width, no list.
    assert len(gc.get_referents(big)) <= 4 and not gc.is_tracked(big._blob)
    assert same_items(big, PackedIds(list(big)))
    assert not same_items(big, PackedIds([*list(big)[:-1], "other"]))
    assert PackedIds() == [] and len(PackedIds()) == 0


def test_a_long_id_widens_the_records_once_and_one_beyond_the_schema_keeps_a_list() -> None:
    """Ids are 36 characters (``storage.models.ID``): up to 144 bytes of UTF-8 widen every
    record once; anything longer (a cache filled by something else) keeps a plain list, so
    one hostile id costs neither quadratic rewrites nor count x its length in memory."""
    ids = uuids(BATCH + 1)
    growing = [*ids, *("x" * n for n in range(37, 140))]
    p = PackedIds(growing)
    assert list(p) == growing and p.nbytes() == len(growing) * WIDE
    huge = [*ids[:10], "h" * 10_000, *ids[10:20]]
    q = PackedIds(huge)
    assert list(q) == huge and q.nbytes() == 0 and len(q) == 21
    assert q[10] == "h" * 10_000 and q[-1] == ids[19] and q[2:4] == ids[2:4]
    assert q.index(ids[15]) == 16 and "h" * 10_000 in q and "nope" not in q
    assert q == huge and PackedIds(huge) == q and q != PackedIds(ids[:21])


def test_different_widths_are_unequal_at_once_and_only_lists_compare_equal() -> None:
    ids = uuids(1000)
    wide = PackedIds([*ids[:-1], "x" * 40])
    assert not PackedIds(ids).same(wide) and PackedIds(ids) != wide
    assert PackedIds(ids[:3]) != tuple(ids[:3])  # as a list is not equal to a tuple
    assert PackedIds() != bytearray()


def test_index_over_records_that_all_match_across_their_boundaries_stays_linear() -> None:
    """Periodic full-width ids: every record boundary is a byte match of the needle; the
    search jumps to the next record start, it does not step a byte at a time."""
    half = WIDTH // 2
    ids = ["a" * half + "b" * half] * 20_000 + ["b" * half + "a" * half]
    p = PackedIds(ids)
    assert p.index("b" * half + "a" * half) == 20_000
    assert p.index("a" * half + "b" * half, 5) == 5
