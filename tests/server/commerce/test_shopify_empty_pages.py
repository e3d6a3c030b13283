"""A store (buggy or hostile) whose connections answer empty pages with hasNextPage true and a
fresh cursor each time, or pages of one node each, cannot keep csdesk reading one order for
ever (review r6): an empty page that claims more is the store misbehaving (StoreUnavailable,
whose reason the store's sync status shows), and a connection is read for at most
``cap // page size + 1`` pages. A fake store that gives up after 2,000 requests stands in for
"for ever"."""

from __future__ import annotations

from typing import Any

import pytest

from csdesk.server.commerce import shopify_queries as q
from csdesk.server.commerce.shopify import ShopifyConnector
from csdesk.server.commerce.store_api import StoreUnavailable

MAX_FOLLOW_PAGES = q.MAX_LINES // q.LINES_PAGE + 1


class Endless(Exception):
    pass


def _connector(per_page: int = 0) -> tuple[ShopifyConnector, list[int]]:
    """A connector whose store answers every page with ``per_page`` nodes, more to come."""
    conn = ShopifyConnector.__new__(ShopifyConnector)
    calls = [0]

    def graphql(document: str, variables: Any) -> dict[str, Any]:
        calls[0] += 1
        if calls[0] > 2000:
            raise Endless(f"{calls[0]} requests to the store for one order")
        n = calls[0]
        page = {
            "pageInfo": {"hasNextPage": True, "endCursor": f"c{n}"},
            "nodes": [
                {"id": f"gid://shopify/FulfillmentLineItem/{n}-{i}", "lineItem": {"id": "x"}}
                for i in range(per_page)
            ],
        }
        if "fulfillments(" in document:
            return {"order": {"fulfillments": [{"id": "gid://shopify/Fulfillment/1"}]}}
        return {
            "order": {"id": "gid://shopify/Order/1", "lineItems": page, "returns": page},
            "fulfillment": {"fulfillmentLineItems": page},
        }

    conn.graphql = graphql  # type: ignore[method-assign]
    return conn, calls


def test_follow_stops_on_an_empty_page_that_claims_more() -> None:
    conn, calls = _connector()
    first = {"pageInfo": {"hasNextPage": True, "endCursor": "c0"}, "nodes": [{"id": "a"}]}
    with pytest.raises(StoreUnavailable, match=r"empty page of lineItems .* misbehaving"):
        conn._follow(q.ORDER_LINE_ITEMS, "gid://shopify/Order/1", "lineItems", first, q.MAX_LINES)
    assert calls[0] == 1


def test_an_empty_first_page_that_claims_more_is_refused_before_any_request() -> None:
    conn, calls = _connector()
    first = {"pageInfo": {"hasNextPage": True, "endCursor": "c0"}, "nodes": []}
    with pytest.raises(StoreUnavailable, match="empty page"):
        conn._follow(q.ORDER_LINE_ITEMS, "gid://shopify/Order/1", "lineItems", first, q.MAX_LINES)
    assert calls[0] == 0


def test_follow_reads_tiny_pages_up_to_the_page_cap_and_marks_the_rest_unread() -> None:
    conn, calls = _connector(per_page=1)
    first = {"pageInfo": {"hasNextPage": True, "endCursor": "c0"}, "nodes": [{"id": "a"}]}
    nodes, more = conn._follow(
        q.ORDER_LINE_ITEMS, "gid://shopify/Order/1", "lineItems", first, q.MAX_LINES
    )
    assert calls[0] == MAX_FOLLOW_PAGES
    assert len(nodes) == MAX_FOLLOW_PAGES + 1
    assert more  # the order is marked read in part


def test_order_pages_stops_on_an_empty_page_that_claims_more() -> None:
    conn, calls = _connector()
    with pytest.raises(StoreUnavailable, match="empty page of returns"):
        list(
            conn._order_pages(
                q.ORDER_RETURNS, "gid://shopify/Order/1", "returns", cap=q.MAX_RETURNS
            )
        )
    assert calls[0] == 1


def test_order_pages_refuses_a_store_whose_tiny_pages_go_on() -> None:
    conn, calls = _connector(per_page=1)
    got: list[Any] = []
    with pytest.raises(StoreUnavailable, match=r"go on past .* misbehaving"):
        for item in conn._order_pages(
            q.ORDER_RETURNS, "gid://shopify/Order/1", "returns", cap=q.MAX_RETURNS
        ):
            got.append(item)
    assert calls[0] == q.MAX_RETURNS // q.RETURNS_PAGE + 1
    assert len(got) == calls[0]


def test_fulfilled_lines_stops_on_empty_pages() -> None:
    conn, calls = _connector()
    with pytest.raises(StoreUnavailable, match="empty page of fulfillmentLineItems"):
        conn._fulfilled_lines("gid://shopify/Order/1", {"gid://shopify/LineItem/9"})
    assert calls[0] == 2  # the fulfillments, then one empty page of their lines


def test_fulfilled_lines_stops_on_tiny_pages() -> None:
    conn, calls = _connector(per_page=1)
    with pytest.raises(StoreUnavailable, match="misbehaving"):
        conn._fulfilled_lines("gid://shopify/Order/1", {"gid://shopify/LineItem/9"})
    assert calls[0] == 1 + MAX_FOLLOW_PAGES
