"""The delay detector on SQLite and PostgreSQL: one record per late order, with the reason, a
sentence, the channel to write on and the delay notice in the customer's language; a second
round adds nothing; an order that stops being late is cleared from the list."""

from __future__ import annotations

from sqlalchemy import select

from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.outreach.scanner import OutreachScanner
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow
from tests.server.outreach import seed


def test_late_orders_open_one_record_each_and_clear_when_on_time(db_url: str) -> None:
    state = ServerState.build(
        ServerConfig(
            db_url=db_url, listen_notify=False, outreach_stale_days=3, outreach_ship_days=2
        )
    )
    now = utcnow()
    try:
        upgrade(state.engine)
        with state.writes() as s:
            ensure_counter(s)
            seed.canned(s, "/delay-notice", "de", "Hallo {first_name}, {order_number} ({carrier}).")
            seed.canned(s, "/delay-notice", "en", "Hi {first_name}, {order_number} is late.")
            anna = seed.customer(
                s, "Anna Weber", language="de", kinds=(("email", "anna@example.de", True),)
            )
            bob = seed.customer(s, "Bob Lee", kinds=(("phone", "+14155550101", False),))
            cai = seed.customer(s, "Cai Ng", kinds=(("telegram", "4242", True),))
            dee = seed.customer(s, "Dee Ray", kinds=(("messenger", "psid-1", True),))
            past_eta = seed.order(
                s, anna, now, status="shipped", placed_days=8, shipment="in_transit", eta_days=-2
            )
            problem = seed.order(
                s, bob, now, status="shipped", placed_days=6, shipment="exception", eta_days=1
            )
            stale = seed.order(
                s,
                cai,
                now,
                status="shipped",
                placed_days=7,
                shipment="in_transit",
                eta_days=2,
                updated_days=5,
            )
            unshipped = seed.order(s, dee, now, status="paid", placed_days=5)
            seed.order(s, bob, now, status="paid", placed_days=1)  # within the promise
            seed.order(s, anna, now, status="delivered", placed_days=9, shipment="delivered")
            seed.order(s, cai, now, status="cancelled", placed_days=9)
            seed.order(  # moving, carrier spoke yesterday, ETA ahead: on time
                s, dee, now, status="shipped", placed_days=2, shipment="in_transit", eta_days=1
            )
            s.commit()

        scanner = OutreachScanner(state)
        found = scanner.run_once(now)
        assert (found.opened, found.cleared) == (4, 0)
        with state.reads() as s:
            recs = {r.order_id: r for r in s.scalars(select(m.Outreach))}
        assert set(recs) == {
            past_eta.order_id,
            problem.order_id,
            stale.order_id,
            unshipped.order_id,
        }
        assert recs[past_eta.order_id].reason == "past_eta"
        assert recs[problem.order_id].reason == "exception"
        assert recs[stale.order_id].reason == "stale"
        assert recs[unshipped.order_id].reason == "unshipped"
        assert all(r.status == "open" for r in recs.values())
        assert recs[past_eta.order_id].delay.startswith(f"Order {past_eta.number} is 2 days past")
        assert "has reported nothing for 5 days" in recs[stale.order_id].delay
        assert "has not shipped" in recs[unshipped.order_id].delay
        # The customer's language, the canned response's placeholders filled.
        anna_rec = recs[past_eta.order_id]
        assert (anna_rec.language, anna_rec.channel) == ("de", "email")
        assert anna_rec.message == f"Hallo Anna, {past_eta.number} (DHL)."
        assert anna_rec.subject == f"Neuigkeiten zu Ihrer Bestellung {past_eta.number}"
        # An unverified number is written to, with a word for the agent.
        assert recs[problem.order_id].channel == "sms"
        assert "not verified" in recs[problem.order_id].detail
        assert recs[stale.order_id].channel == "telegram"
        # Messenger does not let the shop write first: no channel, and the reason.
        assert recs[unshipped.order_id].channel is None
        assert "may write to first" in recs[unshipped.order_id].detail
        # No "ship delay" canned response in the shop: the built-in English text.
        assert "has not left our warehouse" in recs[unshipped.order_id].message

        assert scanner.run_once(now) == type(found)(0, 0)  # nothing twice

        with state.writes() as s:
            ship = s.scalars(
                select(m.Shipment).where(m.Shipment.order_id == past_eta.order_id)
            ).one()
            ship.status, ship.delivered_at = "delivered", now
            s.get(m.Order, past_eta.order_id).status = "delivered"  # type: ignore[union-attr]
            s.commit()
        assert scanner.run_once(now).cleared == 1
        with state.reads() as s:
            rec = s.get(m.Outreach, anna_rec.id)
            assert rec is not None and rec.status == "cleared"

        # Written to about an order once: late again for another reason, still not listed.
        with state.writes() as s:
            sent = s.get(m.Outreach, recs[unshipped.order_id].id)
            assert sent is not None
            sent.status = "sent"
            s.get(m.Order, unshipped.order_id).status = "shipped"  # type: ignore[union-attr]
            s.add(
                m.Shipment(
                    id=seed.new_id(),
                    realm="production",
                    order_id=unshipped.order_id,
                    carrier="UPS",
                    tracking_number="1Z",
                    status="exception",
                    eta=now,
                    shipped_at=now,
                )
            )
            s.commit()
        assert scanner.run_once(now) == type(found)(0, 0)
        with state.reads() as s:
            mine = s.scalars(
                select(m.Outreach).where(m.Outreach.order_id == unshipped.order_id)
            ).all()
        assert [(r.reason, r.status) for r in mine] == [("unshipped", "sent")]
    finally:
        state.engine.dispose()


def test_opted_out_customers_are_listed_with_the_reason(db_url: str) -> None:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    now = utcnow()
    try:
        upgrade(state.engine)
        with state.writes() as s:
            ensure_counter(s)
            quiet = seed.customer(
                s, "Quiet Person", kinds=(("email", "q@example.com", True),), opt_out=True
            )
            seed.order(s, quiet, now, status="paid", placed_days=6)
            s.commit()
        assert OutreachScanner(state).run_once(now).opened == 1
        with state.reads() as s:
            rec = s.scalars(select(m.Outreach)).one()
        assert rec.detail == "The customer asked not to be contacted first."
    finally:
        state.engine.dispose()
