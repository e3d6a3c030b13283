"""Issue 11, the customer record on the server (SQLite and PostgreSQL): each customer's
figures are recomputed in the transaction of every change of their orders, returns, refunds
and messages, in the shop's currency only, with nothing counted twice; profile changes
become timeline events; linking a conversation to another customer is a checked, audited
mutation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Direction, ReturnStatus
from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.server.config import ServerConfig, shop_currency_from_env
from csdesk.server.feed import log as feed_log
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations, new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


@pytest.fixture
def state(db_url: str) -> Iterator[ServerState]:
    st = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, shop_currency="EUR"))
    upgrade(st.engine)
    with st.writes() as s:
        feed_log.ensure_counter(s)
        s.commit()
    try:
        yield st
    finally:
        st.engine.dispose()


def _customer(s: Session, name: str = "Ann Lee") -> m.Customer:
    cust = m.Customer(id=new_id(), name=name)
    s.add(cust)
    return cust


def _order(s: Session, cust: m.Customer, cents: int, currency: str = "EUR", **kw: Any) -> m.Order:
    order = m.Order(
        id=new_id(),
        customer_id=cust.id,
        number=f"A-{new_id()[:8]}",
        total_cents=cents,
        currency=currency,
        **kw,
    )
    s.add(order)
    return order


def _stats(st: ServerState, customer_id: str) -> m.CustomerStats:
    with st.reads() as s:
        row = s.get(m.CustomerStats, customer_id)
        assert row is not None
        return row


def _fed(st: ServerState, entity: str, entity_id: str) -> dict[str, Any] | None:
    import orjson

    with st.reads() as s:
        payload = s.scalar(
            select(m.SyncChange.payload).where(
                m.SyncChange.entity == entity, m.SyncChange.entity_id == entity_id
            )
        )
    return None if payload is None else dict(orjson.loads(payload))


def test_figures_follow_orders_returns_and_refunds_in_the_shop_currency(
    state: ServerState,
) -> None:
    with state.writes() as s:
        ann = _customer(s)
        big = _order(s, ann, 100_00)
        small = _order(s, ann, 50_01)
        _order(s, ann, 70_00, currency="USD")  # another currency: apart, never summed
        _order(s, ann, 30_00, status="cancelled")  # no order at all
        s.commit()
    f = _stats(state, ann.id)
    assert (f.currency, f.order_count, f.gross_cents) == ("EUR", 2, 150_01)
    assert (f.lifetime_value_cents, f.average_order_cents, f.other_currency_orders) == (
        150_01,
        75_00,  # 75.005 rounded
        1,
    )
    assert f.return_rate_bp == 0 and f.last_contact_at is None
    # The same figures went out on the change feed, in the same commit.
    fed = _fed(state, "customer_stats", ann.id)
    assert fed is not None and fed["lifetime_value_cents"] == 150_01

    with state.writes() as s:
        s.add(
            m.Return(
                id=new_id(),
                order_id=big.id,
                status=ReturnStatus.REFUNDED.value,
                refund_cents=20_00,
            )
        )
        s.commit()
    f = _stats(state, ann.id)
    assert (f.refunded_cents, f.lifetime_value_cents, f.returned_orders) == (20_00, 130_01, 1)
    assert f.return_rate_bp == 5_000  # one of two orders came back

    with state.writes() as s:
        # A refund csdesk made on its own order counts once it is done...
        action = m.OrderAction(
            id=new_id(),
            order_id=small.id,
            customer_id=ann.id,
            kind=OrderActionKind.REFUND.value,
            status=OrderActionStatus.AWAITING_APPROVAL.value,
            amount_cents=10_00,
            currency="EUR",
        )
        s.add(action)
        s.commit()
    assert _stats(state, ann.id).refunded_cents == 20_00  # not yet: waiting for approval
    with state.writes() as s:
        row = s.get(m.OrderAction, action.id)
        assert row is not None
        row.status = OrderActionStatus.DONE.value
        # ...a store-connected order's refund comes back as a return: its action never counts.
        shop = _order(s, s.get(m.Customer, ann.id) or ann, 40_00, store="shopify")
        s.flush()
        s.add(
            m.OrderAction(
                id=new_id(),
                order_id=shop.id,
                customer_id=ann.id,
                kind=OrderActionKind.REFUND.value,
                status=OrderActionStatus.DONE.value,
                amount_cents=40_00,
                currency="EUR",
            )
        )
        s.commit()
    f = _stats(state, ann.id)
    assert (f.order_count, f.gross_cents, f.refunded_cents) == (3, 190_01, 30_00)
    assert f.lifetime_value_cents == 160_01


def test_last_contact_follows_messages_but_not_notes_and_moves_with_the_conversation(
    state: ServerState,
) -> None:
    at = utcnow() - timedelta(days=3)
    with state.writes() as s:
        ann, bea = _customer(s), _customer(s, "Bea Ray")
        conv = m.Conversation(id=new_id(), customer_id=ann.id, channel="email")
        s.add(conv)
        s.flush()
        s.add(
            m.Message(
                id=new_id(),
                conversation_id=conv.id,
                channel="email",
                direction=Direction.IN.value,
                created_at=at,
            )
        )
        s.commit()
    assert _stats(state, ann.id).last_contact_at == at
    with state.writes() as s:
        s.add(
            m.Message(
                id=new_id(),
                conversation_id=conv.id,
                channel="email",
                direction=Direction.OUT.value,
                is_note=True,
            )
        )
        s.commit()
    assert _stats(state, ann.id).last_contact_at == at  # a note is no contact
    with state.writes() as s:
        moved = s.get(m.Conversation, conv.id)
        assert moved is not None
        moved.customer_id = bea.id
        s.commit()
    # Both owners are recomputed: the one it left and the one it joined.
    assert _stats(state, ann.id).last_contact_at is None
    assert _stats(state, bea.id).last_contact_at == at


def test_the_shop_currency_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for given, meant in (("usd", "USD"), ("", "EUR"), ("euros", "EUR"), ("€€€", "EUR")):
        monkeypatch.setenv("CSDESK_SHOP_CURRENCY", given)
        assert shop_currency_from_env() == meant
        assert ServerConfig(db_url="sqlite://").shop_currency == meant


# --- over HTTP: a reply, a link, a merge --------------------------------------------------


def _events(api: Raw, customer_id: str) -> list[dict[str, Any]]:
    changes, _cursor = api.pull_all()
    return [
        c["data"]
        for c in changes
        if c["entity"] == "customer_event" and c["data"]["customer_id"] == customer_id
    ]


def test_a_reply_moves_last_contact_and_a_link_is_audited_on_both_timelines(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    a, b = make_conversations(backend, 2)
    ann = Raw.signed_in(live, shared_users["ann"])
    before = ann.get(f"/api/v1/entities/customer_stats/{a.customer_id}").json()["data"]
    assert before["last_contact_at"] is not None  # the customer's message
    head = ann.head()
    (sent,) = ann.push(
        (
            "message.send",
            {"conversation_id": a.conversation_id, "message_id": new_id(), "body_text": "Hi"},
        )
    )
    assert sent["status"] == "applied", sent
    after = ann.get(f"/api/v1/entities/customer_stats/{a.customer_id}").json()["data"]
    assert after["last_contact_at"] > before["last_contact_at"]
    assert {k: v for k, v in after.items() if k not in ("last_contact_at", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("last_contact_at", "updated_at")
    }  # a reply moves nothing else
    fed, _head = ann.pull_all(head)  # and the desks hear of it with the reply
    stats_items = [c for c in fed if c["entity"] == "customer_stats"]
    assert [c["data"]["last_contact_at"] for c in stats_items] == [after["last_contact_at"]]
    # A note is no contact: the figure stays.
    (noted,) = ann.push(
        (
            "message.send",
            {
                "conversation_id": a.conversation_id,
                "message_id": new_id(),
                "body_text": "internal",
                "is_note": True,
            },
        )
    )
    assert noted["status"] == "applied", noted
    still = ann.get(f"/api/v1/entities/customer_stats/{a.customer_id}").json()["data"]
    assert still["last_contact_at"] == after["last_contact_at"]

    tia = Raw.signed_in(live, shared_users["tia"])  # a trainee changes no real profile
    args = {"conversation_id": a.conversation_id, "customer_id": b.customer_id}
    (refused,) = tia.push(("conversation.link_customer", args))
    assert refused["status"] == "rejected"
    assert refused["reason"]["code"] in ("forbidden", "not_found")
    (linked,) = ann.push(("conversation.link_customer", args))
    assert linked["status"] == "applied", linked
    conv = ann.get(f"/api/v1/entities/conversation/{a.conversation_id}").json()["data"]
    assert conv["customer_id"] == b.customer_id
    (here,) = _events(ann, b.customer_id)
    (away,) = _events(ann, a.customer_id)
    assert here["kind"] == "conversation_linked_here" and away["kind"] == "conversation_linked_away"
    assert here["conversation_id"] == away["conversation_id"] == a.conversation_id
    assert here["actor_name"] and here["data"]["other_name"] == "Customer 0"
    assert away["data"]["other_name"] == "Customer 1"
    # The conversation's contact went with it.
    moved = ann.get(f"/api/v1/entities/customer_stats/{b.customer_id}").json()["data"]
    assert moved["last_contact_at"] == after["last_contact_at"]
    left = ann.get(f"/api/v1/entities/customer_stats/{a.customer_id}").json()["data"]
    assert left["last_contact_at"] is None


def test_edits_and_merges_are_on_the_timeline(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    a, b = make_conversations(backend, 2)
    sue = Raw.signed_in(live, shared_users["sue"])
    (edit,) = sue.push(
        ("customer.update", {"customer_id": a.customer_id, "fields": {"name": "Ann Lee"}})
    )
    assert edit["status"] == "applied"
    merge = {"source_customer_id": a.customer_id, "target_customer_id": b.customer_id}
    (merged,) = sue.push(("customer.merge", merge))
    assert merged["status"] == "applied"
    (undone,) = sue.push(("customer.unmerge", {"customer_id": a.customer_id}))
    assert undone["status"] == "applied"
    kinds_a = sorted(e["kind"] for e in _events(sue, a.customer_id))
    kinds_b = sorted(e["kind"] for e in _events(sue, b.customer_id))
    assert kinds_a == ["edited", "merged_away", "unmerged"]
    assert kinds_b == ["merged_in", "unmerged_out"]
    (edited,) = [e for e in _events(sue, a.customer_id) if e["kind"] == "edited"]
    assert edited["data"]["fields"] == ["name"]
    (into,) = [e for e in _events(sue, b.customer_id) if e["kind"] == "merged_in"]
    assert into["data"]["conversations"] == 1 and into["data"]["other_name"] == "Ann Lee"


def test_concurrent_changes_of_one_customer_keep_the_latest_figures(pg_url: str) -> None:
    """PostgreSQL, two transactions on one customer's two conversations: the one that waits
    for the other's lock on the figures computes them from what the other committed, so the
    figures are never older than the data (a later contact is never overwritten)."""
    import threading

    from sqlalchemy import text

    from csdesk.server.crm import hooks

    (made,) = make_conversations(pg_url, 1)
    st = ServerState.build(ServerConfig(db_url=pg_url, listen_notify=False, shop_currency="EUR"))
    try:
        with st.writes() as s:
            second = m.Conversation(id=new_id(), customer_id=made.customer_id, channel="sms")
            s.add(second)
            s.commit()
        later, earlier = utcnow(), utcnow() - timedelta(hours=1)

        def message(conv: str, at: Any) -> m.Message:
            return m.Message(
                id=new_id(), conversation_id=conv, channel="email", direction="in", created_at=at
            )

        first = st.writes()
        first.add(message(made.conversation_id, later))
        hooks.refresh_marked(first, "EUR")  # holds the figures' row lock, not committed
        errors: list[BaseException] = []

        def other() -> None:
            try:
                with st.writes() as s:
                    s.add(message(second.id, earlier))
                    s.commit()  # waits for the first transaction's lock
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        with st.engine.connect() as watch:
            for _poll in range(10_000):  # until the other transaction waits on the lock
                waiting = watch.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                ).scalar_one()
                if waiting:
                    break
                watch.rollback()
            assert waiting, "the second transaction never waited for the figures' lock"
        first.commit()
        first.close()
        thread.join(timeout=60)
        assert not thread.is_alive() and not errors
        assert _stats(st, made.customer_id).last_contact_at == later
    finally:
        st.engine.dispose()


def test_a_deleted_conversation_is_no_longer_a_contact(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    adm = Raw.signed_in(live, shared_users["adm"])
    path = f"/api/v1/entities/customer_stats/{made.customer_id}"
    assert adm.get(path).json()["data"]["last_contact_at"] is not None
    (deleted,) = adm.push(("conversation.delete", {"conversation_id": made.conversation_id}))
    assert deleted["status"] == "applied", deleted
    assert adm.get(path).json()["data"]["last_contact_at"] is None


def test_start_up_fills_in_figures_missing_or_in_another_currency(state: ServerState) -> None:
    from sqlalchemy import delete

    from csdesk.server.crm import backfill

    with state.writes() as s:
        old = [_customer(s, f"Old {n}") for n in range(5)]
        for n, cust in enumerate(old):
            _order(s, cust, (n + 1) * 10_00)
        s.commit()
    ids = sorted(c.id for c in old)
    with state.writes() as s:  # a database from before 0008_record, or a changed currency
        s.execute(delete(m.CustomerStats).where(m.CustomerStats.id.in_(ids[:3])))
        s.execute(delete(m.SyncChange).where(m.SyncChange.entity == "customer_stats"))
        stale = s.get(m.CustomerStats, ids[3])
        assert stale is not None
        stale.currency = "USD"
        s.commit()
    with state.reads() as s:
        assert backfill.stale_customers(s, "EUR", "", 100) == ids[:4]
    assert backfill.run(state, batch=2) == 4  # two batches and a bit: nothing skipped
    for cust in old:
        f = _stats(state, cust.id)
        assert f.currency == "EUR" and f.order_count == 1
        assert f.gross_cents == int(cust.name.split()[1]) * 10_00 + 10_00
    for cid in ids[:4]:  # the desks hear of them
        fed = _fed(state, "customer_stats", cid)
        assert fed is not None and fed["currency"] == "EUR"
    assert _fed(state, "customer_stats", ids[4]) is None  # it was current: not written again
    assert backfill.run(state) == 0


def test_an_orders_status_changes_are_its_history_on_the_timeline(state: ServerState) -> None:
    """Each status change of an order (a store's webhook or reconcile) is a timeline event,
    synced like the others, so the timeline says paid → shipped → delivered, not only the
    latest status."""
    from csdesk.app.timeline import timeline

    with state.writes() as s:
        cust = _customer(s)
        order = _order(s, cust, 5000, status="paid")
        s.commit()
        cid, oid, number = cust.id, order.id, order.number
    for status in ("shipped", "delivered", "delivered"):  # the last one changes nothing
        with state.writes() as s:
            row = s.get(m.Order, oid)
            assert row is not None
            row.status = status
            s.commit()
    with state.reads() as s:
        evs = list(
            s.scalars(
                select(m.CustomerEvent)
                .where(m.CustomerEvent.customer_id == cid, m.CustomerEvent.kind == "order_status")
                .order_by(m.CustomerEvent.created_at)
            )
        )
        assert [(e.data["from"], e.data["to"]) for e in evs] == [
            ("paid", "shipped"),
            ("shipped", "delivered"),
        ]
        assert all(e.data["order_id"] == oid and e.data["number"] == number for e in evs)
        fed = _fed(state, "customer_event", evs[0].id)
        assert fed is not None and fed["kind"] == "order_status"
        texts = [i.text for i in timeline(s, cid) if i.order_id == oid]
    assert any(f"Order {number} went from paid to shipped." in t for t in texts)
    assert any(f"Order {number} went from shipped to delivered." in t for t in texts)
    assert not any("is now" in t for t in texts)  # the history replaces "its status now"
