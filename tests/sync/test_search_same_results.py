"""The faster search (issue 10: conversations looked up by the hits' keys whatever the view,
the statement made once and run by the driver) finds exactly what the previous one did: the
same ids in the same order, for every class of query, view, sort and hit cap, on a cache
filled the way a sync fills it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Subquery, select
from sqlalchemy.orm import Session

from csdesk.app import inbox, search
from csdesk.app.search import SearchIndex, match_expression
from csdesk.protocol import Entity
from csdesk.sync import LocalCache
from tests.sync.test_cache import ME, T0, conversation, customer, page
from tests.sync.test_search_index import message, wire

SYLLABLES = ["ka", "lo", "mi", "ne", "ro", "ta", "vu", "se", "pi", "do", "bé", "ür", "ßa"]
MESSAGES = 2_400
CONVERSATIONS = 600
CUSTOMERS = 300


def vocabulary(rng: random.Random) -> list[str]:
    """Made-up words sharing many prefixes (so long prefixes begin several words), some with
    letters outside ASCII."""
    words = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(900)}
    return sorted(words)


def feed(rng: random.Random, vocab: list[str]) -> Iterator[tuple[Entity, str, dict[str, Any]]]:
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    for i in range(CUSTOMERS):
        cid = f"cust-{i}"
        yield (
            Entity.CUSTOMER,
            cid,
            customer(
                cid,
                name=f"Carla Kowalski{i}",
                email=f"carla.k{i}@example.com",
                phone=f"+4915{i:06d}",
            ),
        )
        yield (
            Entity.ORDER,
            f"o{i}",
            wire(Entity.ORDER, f"o{i}", customer_id=cid, number=f"SO-{1000 + i}"),
        )
    statuses = ("open", "pending", "resolved", "open", "snoozed")
    priorities = ("normal", "high", "low", "urgent")
    for i in range(CONVERSATIONS):
        at = T0 - timedelta(minutes=rng.randrange(100_000))
        yield Entity.CONVERSATION, f"c{i}", conversation(
            f"c{i}", customer_id=f"cust-{i % CUSTOMERS}", status=statuses[i % 5],
            priority=priorities[i % 4], assignee_id=ME["id"] if i % 7 == 0 else None,
            last_message_at=at, waiting_since=at,
            first_response_due_at=at + timedelta(hours=30) if i % 3 == 0 else None,
        )  # fmt: skip
    for i in range(MESSAGES):
        body = " ".join(rng.choices(vocab, cum_weights=cum, k=10))
        if i % 3 == 0:
            body = "my order " + body
        if i % 41 == 0:
            body += " the blender arrived broken, write to e-mail"
        yield Entity.MESSAGE, f"m{i}", message(f"m{i}", f"c{rng.randrange(CONVERSATIONS)}", body)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalCache, SearchIndex, list[str]]:
    """A first sync in pages of 500 (the index built at its end), then edits indexed as they
    arrive (a renamed customer, new messages)."""
    rng = random.Random(10)
    vocab = vocabulary(rng)
    cache = LocalCache(Path(tmp_path_factory.mktemp("same")) / "cache.sqlite")
    cache.set_user(ME)
    index = SearchIndex(cache)
    changes = list(feed(rng, vocab))
    for start in range(0, len(changes), 500):
        chunk = changes[start : start + 500]
        more = start + 500 < len(changes)
        cache.apply_page(page(*chunk, cursor=start + len(chunk), more=more))
    assert not index.pending()
    cursor = len(changes)
    late = [
        (Entity.CUSTOMER, "cust-3", customer("cust-3", name="Carla Newname")),
        *(
            (Entity.MESSAGE, f"late{n}", message(f"late{n}", f"c{n}", f"{vocab[n]} late reply"))
            for n in range(40)
        ),
    ]
    cache.apply_page(page(*late, cursor=cursor + len(late)))
    return cache, index, vocab


def queries(vocab: list[str]) -> list[str]:
    """Each class of the bench: names, emails, phones, order numbers, common and rare words,
    two words, prefixes of 2 to 6 letters (as typed), phrases, letters outside ASCII."""
    out = [
        "Kowalski17", "carla.k17@example.com", "+491500017", "SO-1017", "so-10", "order",
        "my ord", "blender broken", "blender bro", "blender brok", "arrived blen", "e-mail",
        "e-mai", "Newname", "Kowalski3", "late repl", "zzzz", "kalo", "KALOM", "béka", "bék",
        "ürßa", "ßaka", "straße", "nothingmatches",
    ]  # fmt: skip
    for word in vocab[::60]:
        out += [word[:2], word[:3], word[:4], word[:5], word[:6], word, f"{word} {vocab[5][:4]}"]
    return [q for q in dict.fromkeys(out) if match_expression(q) is not None]


def previous(
    s: Session, index: SearchIndex, query: str, run: Callable[[inbox.Hits], list[str]]
) -> list[str]:
    """``SearchIndex.search`` as it was, over ``run``."""
    expr = match_expression(query)
    assert expr is not None
    if search._reaches(s, expr[:-1], index.max_hits):
        expr = expr[:-1]
    ids = run(search._hits(expr, index.max_hits))
    if len(ids) < min(index.widen_below, index.max_hits) and search._reaches(
        s, expr, index.max_hits
    ):
        ids = run(search._hits(expr, index.wide_hits))
    return ids


def ordered_as_before(
    s: Session, view: str, sort: inbox.Sort, now: datetime, hits: Subquery
) -> list[str]:
    """``inbox.ordered_ids`` over search hits as it was: the view's filter as it stands."""
    conversations = inbox.m.Conversation.__table__
    q = (
        select(inbox.C.id)
        .where(inbox.view_filter(view, ME["id"], now))
        .select_from(hits.join(conversations, inbox.C.id == hits.c.id))
        .order_by(*inbox._order(sort))
    )
    return list(s.scalars(q))


@pytest.mark.parametrize(
    ("max_hits", "wide_hits", "widen_below"),
    [(search.MAX_HITS, search.WIDE_HITS, search.WIDEN_BELOW), (60, 400, 15), (7, 30, 5)],
)
def test_the_faster_search_finds_the_same_ids_in_the_same_order(
    synced: tuple[LocalCache, SearchIndex, list[str]],
    max_hits: int,
    wide_hits: int,
    widen_below: int,
) -> None:
    cache, index, vocab = synced
    index.max_hits, index.wide_hits, index.widen_below = max_hits, wide_hits, widen_below
    now = datetime(2025, 1, 2, tzinfo=UTC)
    views = (
        inbox.View.EVERYWHERE,
        inbox.View.ALL_OPEN,
        inbox.View.MINE,
        inbox.View.PENDING,
        inbox.View.RESOLVED,
        inbox.View.SLA_AT_RISK,
    )
    sorts = (inbox.Sort.NEWEST, inbox.Sort.PRIORITY)
    compared = cut = found = 0
    with cache.session() as s:
        for query in queries(vocab):
            expr = match_expression(query)
            assert expr is not None
            cut += search._reaches(s, expr[:-1], max_hits)
            for view, sort in itertools.product(views, sorts):

                def run(hits: inbox.Hits, view: str = view, sort: inbox.Sort = sort) -> list[str]:
                    return inbox.ordered_ids(s, view, sort, ME["id"], now, hits)

                def ran(hits: inbox.Hits, view: str = view, sort: inbox.Sort = sort) -> list[str]:
                    return ordered_as_before(s, view, sort, now, hits.subquery())

                before = previous(s, index, query, ran)
                assert index.search(s, query, run) == before, (query, view, sort)
                compared += 1
                found += bool(before)
    # Both faster paths were taken, on queries that find something.
    assert found >= compared // 2
    assert cut >= (3 if max_hits < 100 else 0)  # whole words that fill the cap, cut by it
    assert compared >= 200
