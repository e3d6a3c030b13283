"""The desk's local effects of customer edits, merges and undos (no server): seen at once,
kept across pulls, and gone again, every moved row included, when the server refuses."""

from __future__ import annotations

from typing import Any

from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import T0, cache, conversation, customer, page, row

__all__ = ["cache"]  # the fixture, shared


def identity(ident: str, customer_id: str, kind: str, value: str) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "customer_id": customer_id, "kind": kind, "value": value, "verified": True,
    }  # fmt: skip
    return row_to_wire(Entity.IDENTITY, data)


def order(ident: str, customer_id: str, number: str) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "customer_id": customer_id, "number": number, "status": "placed", "total_cents": 1200,
        "currency": "EUR", "placed_at": T0,
    }  # fmt: skip
    return row_to_wire(Entity.ORDER, data)


def _two_customers(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "dup", customer("dup", name="Carla D", phone="+4915112345678")),
            (Entity.CUSTOMER, "keep", customer("keep", name="Carla", email="c@x.test")),
            (Entity.CONVERSATION, "c1", conversation("c1", "dup")),
            (Entity.CONVERSATION, "c2", conversation("c2", "keep")),
            (Entity.IDENTITY, "i1", identity("i1", "dup", "phone", "+4915112345678")),
            (Entity.ORDER, "o1", order("o1", "dup", "FH-1")),
            cursor=6,
        )
    )


def _owners(cache: LocalCache) -> tuple[str, str, str]:
    return (
        row(cache, m.Conversation, "c1").customer_id,
        row(cache, m.CustomerIdentity, "i1").customer_id,
        row(cache, m.Order, "o1").customer_id,
    )


def test_a_merge_shows_at_once_survives_a_pull_and_a_refusal_undoes_all_of_it(
    cache: LocalCache,
) -> None:
    _two_customers(cache)
    outbox = Outbox(cache)
    mid, changes = outbox.enqueue_with_changes(
        MutationType.CUSTOMER_MERGE, {"source_customer_id": "dup", "target_customer_id": "keep"}
    )
    assert _owners(cache) == ("keep", "keep", "keep")
    assert row(cache, m.Customer, "dup").merged_into_id == "keep"
    assert row(cache, m.Customer, "keep").phone == "+4915112345678"  # filled, as the server does
    assert changes.ids(Entity.CONVERSATION) == {"c1"} and changes.ids(Entity.ORDER) == {"o1"}
    assert changes.ids(Entity.CUSTOMER) == {"dup", "keep"}

    # A pull of unrelated news about the duplicate rebases: the merge is replayed, not lost.
    cache.apply_page(page((Entity.CUSTOMER, "dup", customer("dup", name="Carla Dee")), cursor=7))
    assert _owners(cache) == ("keep", "keep", "keep")
    assert row(cache, m.Customer, "dup").name == "Carla Dee"

    changes = outbox.mark_rejected(mid, {"code": "forbidden", "message": "Not allowed."})
    assert _owners(cache) == ("dup", "dup", "dup")
    assert row(cache, m.Customer, "dup").merged_into_id is None
    assert row(cache, m.Customer, "keep").phone is None
    assert {"c1"} <= changes.ids(Entity.CONVERSATION)


def test_an_undo_gives_the_profile_back_at_once(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "keep", customer("keep")),
            (Entity.CUSTOMER, "dup", customer("dup", merged_into_id="keep")),
            cursor=2,
        )
    )
    Outbox(cache).enqueue(MutationType.CUSTOMER_UNMERGE, {"customer_id": "dup"})
    assert row(cache, m.Customer, "dup").merged_into_id is None


def test_an_edit_is_stored_as_the_server_stores_it(cache: LocalCache) -> None:
    cache.apply_page(page((Entity.CUSTOMER, "cust-1", customer("cust-1")), cursor=1))
    outbox = Outbox(cache)
    outbox.enqueue(
        MutationType.CUSTOMER_UPDATE,
        {
            "customer_id": "cust-1",
            "fields": {"name": "  Carla Q ", "email": "Carla@X.TEST", "phone": "+44 20 7946 0958"},
        },
    )
    cust = row(cache, m.Customer, "cust-1")
    assert (cust.name, cust.email, cust.phone) == ("Carla Q", "Carla@x.test", "+442079460958")
    # What the server would refuse changes nothing here; its refusal explains why.
    outbox.enqueue(
        MutationType.CUSTOMER_UPDATE, {"customer_id": "cust-1", "fields": {"email": "nope"}}
    )
    assert row(cache, m.Customer, "cust-1").email == "Carla@x.test"
