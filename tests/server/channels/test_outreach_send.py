"""Outreach and started conversations against a live server (SQLite and PostgreSQL) whose
channels talk to the local provider fakes: the server's own periodic detector lists late
orders, a bulk send reaches Twilio spaced out, never twice and never to a customer who opted
out, the answer comes back to the started conversation; channels that do not let the shop
write first refuse with the reason; bad input is refused, never a 5xx."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.vault import Vault
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import new_id
from tests.helpers.server import TestUser
from tests.server.channels.support import (
    WHATSAPP_NUMBER_ID,
    Desk,
    Fakes,
    live_desk,
    new_sid,
    sms_params,
    state_for,
    wait_until,
)
from tests.server.outreach import seed


@pytest.fixture(scope="module")
def odesk(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """A live server scanning for late orders five times a second, sending 120 outreach
    messages a minute at most (one every half second)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_OUTREACH_SCAN_SECONDS", "0.2")
        mp.setenv("CSDESK_OUTREACH_PER_MINUTE", "120")
        mp.setenv("CSDESK_WA_TEMPLATES_REFRESH_SECONDS", "0")
        with live_desk(backend, shared_users, fakes, tmp_path_factory) as desk:
            yield desk


@pytest.fixture
def desk(odesk: Desk) -> Desk:
    odesk.fakes.clear()
    return odesk


def _number() -> str:
    return f"+1415557{random.randrange(10_000):04d}"


def _seed(desk: Desk, make: Any) -> Any:
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.writes() as s:
            out = make(s)
            s.commit()
        return out
    finally:
        state.engine.dispose()


def _outreach_for(desk: Desk, customer_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The outreach records of ``customer_ids`` by customer, once the detector listed all."""

    def probe() -> dict[str, dict[str, Any]] | None:
        found = {
            r["customer_id"]: r
            for r in desk.entities("outreach").values()
            if r["customer_id"] in customer_ids
        }
        return found if len(found) == len(customer_ids) else None

    return wait_until(probe, 20, "the detector to list the late orders")


def _send(rec: dict[str, Any], body: str = "") -> tuple[str, dict[str, Any]]:
    args = {"outreach_id": rec["id"], "conversation_id": new_id(), "message_id": new_id()}
    return ("outreach.send", args | ({"body_text": body} if body else {}))


def test_bulk_delay_notices_are_spaced_sent_once_and_answered_in_place(
    desk: Desk, shared_users: dict[str, TestUser]
) -> None:
    now = utcnow()
    phones = [_number() for _ in range(4)]

    def make(s: Any) -> list[str]:
        ids = []
        for n, phone in enumerate(phones):
            cid = seed.customer(
                s, f"Late Customer{n}", kinds=(("phone", phone, True),), opt_out=n == 3
            )
            seed.order(s, cid, now, status="paid", placed_days=5)
            ids.append(cid)
        return ids

    customers = _seed(desk, make)
    recs = _outreach_for(desk, set(customers))
    assert all(recs[c]["channel"] == "sms" and recs[c]["status"] == "open" for c in customers)
    proposed = recs[customers[0]]["message"]
    assert proposed.startswith("Hi Late, your order T-")

    sends = [_send(recs[c], "Edited: we are sorry." if i == 1 else "") for i, c in
             enumerate(customers)]  # fmt: skip
    results = desk.agent.push(*sends)
    assert [r["status"] for r in results] == ["applied", "applied", "applied", "rejected"]
    assert results[3]["reason"]["code"] == "forbidden"
    assert "asked not to be contacted first" in results[3]["reason"]["message"]

    reqs = desk.fakes.twilio.wait_requests(3, timeout=30)
    assert desk.fakes.twilio.violations == []
    bodies = {r.form_dict()["To"]: r.form_dict()["Body"] for r in reqs}
    assert set(bodies) == set(phones[:3])
    assert bodies[phones[0]] == proposed
    assert bodies[phones[1]] == "Edited: we are sorry."

    # Spaced out: one every half second (120 a minute), in the order they were pushed.
    def read(s: Any) -> list[Any]:
        rows = s.scalars(select(m.Outreach).where(m.Outreach.customer_id.in_(customers[:3]))).all()
        return sorted((r.send_at, r.customer_id) for r in rows)

    slots = _seed(desk, read)
    assert [c for _, c in slots] == customers[:3]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(slots)]
    assert gaps == [timedelta(seconds=0.5)] * 2

    ann_id = desk.entities("user")
    ann = next(u["id"] for u in ann_id.values() if u["username"] == shared_users["ann"].username)
    conv_id = sends[0][1]["conversation_id"]
    conv = desk.entity("conversation", conv_id)
    assert (conv["assignee_id"], conv["status"], conv["channel"]) == (ann, "pending", "sms")
    listed = desk.entity("outreach", recs[customers[0]]["id"])
    assert (listed["status"], listed["sent_by_id"], listed["conversation_id"]) == (
        "sent",
        ann,
        conv_id,
    )

    # Never twice about one order.
    (again,) = desk.agent.push(_send(recs[customers[0]]))
    assert again["status"] == "rejected" and again["reason"]["code"] == "conflict"
    assert "already wrote to this customer about this order" in again["reason"]["message"]

    # The customer's answer comes back to the conversation the notice started.
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, phones[0], "Thanks!")).ok
    assert desk.wait_message(sid)["conversation_id"] == conv_id
    assert desk.entity("conversation", conv_id)["status"] == "open"


def test_starting_conversations_where_providers_allow_it(desk: Desk) -> None:
    def make(s: Any) -> dict[str, str]:
        return {
            "tg": seed.customer(s, "Tom Gram", kinds=(("telegram", "777001", True),)),
            "none": seed.customer(s, "No Gram", kinds=(("email", "ng@example.com", True),)),
            "fb": seed.customer(s, "Fay Book", kinds=(("messenger", "psid-77", True),)),
            "wa": seed.customer(s, "Wan App", kinds=(("whatsapp", _number(), True),)),
        }

    who = _seed(desk, make)

    def start(customer: str, channel: str, **extra: Any) -> dict[str, Any]:
        args = {
            "conversation_id": new_id(),
            "message_id": new_id(),
            "customer_id": customer,
            "channel": channel,
            "body_text": "Hello from the shop.",
        } | extra
        (result,) = desk.agent.push(("conversation.start", args))
        assert isinstance(result, dict)
        return result

    ok = start(who["tg"], "telegram")
    assert ok["status"] == "applied", ok
    (req,) = desk.fakes.telegram.wait_requests(1)
    assert desk.fakes.telegram.violations == []
    assert req.json()["chat_id"] == 777001 and req.json()["text"] == "Hello from the shop."

    refused = start(who["none"], "telegram")
    assert refused["reason"]["code"] == "forbidden"
    assert "started it" in refused["reason"]["message"]
    refused = start(who["fb"], "messenger")
    assert refused["reason"]["code"] == "forbidden"
    assert "within 24 hours" in refused["reason"]["message"]
    refused = start(who["wa"], "whatsapp")
    assert refused["reason"]["code"] == "window_closed"
    assert "approved template" in refused["reason"]["message"]

    # Bad input is refused with a reason, never a server error.
    assert start(who["tg"], "chat")["reason"]["code"] == "invalid"
    assert start(who["tg"], "pigeon")["reason"]["code"] == "invalid"
    assert start(who["tg"], "telegram", body_text="x" * 100_001)["reason"]["code"] == "invalid"
    assert start(who["tg"], "telegram", body_text="   ")["reason"]["code"] == "invalid"
    assert start(new_id(), "telegram")["reason"]["code"] == "not_found"
    mine = start(who["tg"], "telegram", identity_id=new_id())
    assert mine["reason"]["code"] == "not_found"
    assert start(who["none"], "email", subject="")["reason"]["code"] == "invalid"
    nul = desk.agent.post(
        "/api/v1/push",
        json={
            "mutations": [
                {
                    "id": new_id(),
                    "type": "conversation.start",
                    "args": {
                        "conversation_id": new_id(),
                        "message_id": new_id(),
                        "customer_id": who["tg"],
                        "channel": "telegram",
                        "body_text": "bad \u0000 byte",
                    },
                }
            ]
        },
    )
    assert 400 <= nul.status_code < 500, nul.text
    (bad,) = desk.agent.push(("outreach.send", {"outreach_id": new_id()}))
    assert bad["reason"]["code"] == "invalid"
    (bad,) = desk.agent.push(
        ("outreach.send", {"outreach_id": new_id(), "conversation_id": "c", "message_id": "m"})
    )
    assert bad["reason"]["code"] == "not_found"


WABA_ID = "102290129340398"
ORDER_UPDATE = {
    "name": "order_update",
    "language": "en_US",
    "status": "APPROVED",
    "category": "UTILITY",
    "id": "594425479261596",
    "components": [
        {
            "type": "BODY",
            "text": "Hi {{1}}, your order {{2}} is delayed.",
            "example": {"body_text": [["Pablo", "860198-230332"]]},
        }
    ],
}


def _name_the_business_account(desk: Desk) -> None:
    state = state_for(desk.db_url, desk.data_dir)
    vault = Vault(desk.data_dir)
    try:
        with state.writes() as s:
            cfg = config_store.load(s, vault, Provider.META)
            assert cfg is not None
            settings = {k: v for k, v in cfg.settings.items() if k != "secrets_set"}
            config_store.save(
                s, vault, Provider.META, settings | {"waba_id": WABA_ID}, dict(cfg.secrets)
            )
            s.commit()
    finally:
        state.engine.dispose()


def test_whatsapp_outreach_outside_the_window_takes_an_approved_template(desk: Desk) -> None:
    _name_the_business_account(desk)
    desk.fakes.graph.waba_id = WABA_ID
    desk.fakes.graph.templates = [ORDER_UPDATE]
    assert desk.agent.get("/api/v1/channels/whatsapp/templates", params={"refresh": "true"}).json()[
        "templates"
    ]
    wa_id = f"3467{random.randrange(10**7):07d}"
    now = utcnow()

    def make(s: Any) -> tuple[str, str]:
        cid = seed.customer(s, "Wan App", kinds=(("whatsapp", f"+{wa_id}", True),))
        late = seed.order(
            s, cid, now, status="shipped", placed_days=8, shipment="in_transit", eta_days=-3
        )
        return cid, late.number

    customer, number = _seed(desk, make)
    rec = _outreach_for(desk, {customer})[customer]
    assert rec["channel"] == "whatsapp" and "approved template" in rec["detail"]

    (free,) = desk.agent.push(_send(rec))
    assert free["status"] == "rejected" and free["reason"]["code"] == "window_closed"
    assert desk.entity("outreach", rec["id"])["status"] == "open"  # nothing was recorded

    desk.fakes.clear()
    name, args = _send(rec)
    template = {"name": "order_update", "language": "en_US", "parameters": ["Wan", number]}
    (ok,) = desk.agent.push((name, args | {"template": template}))
    assert ok["status"] == "applied", ok
    (req,) = desk.fakes.graph.wait_requests(1)
    assert desk.fakes.graph.violations == []
    assert req.path == f"/v21.0/{WHATSAPP_NUMBER_ID}/messages"
    body = req.json()
    assert (body["type"], body["to"]) == ("template", wa_id)
    assert body["template"]["name"] == "order_update"
    assert [p["text"] for p in body["template"]["components"][0]["parameters"]] == [
        "Wan",
        number,
    ]
    sent = desk.wait_status(args["message_id"], "sent")
    assert sent["body_text"] == f"Hi Wan, your order {number} is delayed."


def test_an_agent_records_an_opt_out_and_outreach_respects_it(desk: Desk) -> None:
    now = utcnow()
    phone = _number()

    def make(s: Any) -> str:
        cid = seed.customer(s, "Ola Quiet", kinds=(("phone", phone, True),))
        seed.order(s, cid, now, status="paid", placed_days=4)
        return cid

    customer = _seed(desk, make)
    rec = _outreach_for(desk, {customer})[customer]
    update = ("customer.update", {"customer_id": customer, "fields": {"contact_opt_out": None}})
    (bad,) = desk.agent.push(update)
    assert bad["reason"]["code"] == "invalid"
    (bad,) = desk.agent.push(
        ("customer.update", {"customer_id": customer, "fields": {"contact_opt_out": [1]}})
    )
    assert bad["reason"]["code"] == "invalid"
    (ok,) = desk.agent.push(
        ("customer.update", {"customer_id": customer, "fields": {"contact_opt_out": True}})
    )
    assert ok["status"] == "applied", ok
    assert desk.entity("customer", customer)["contact_opt_out"] is True
    (refused,) = desk.agent.push(_send(rec))
    assert refused["reason"]["code"] == "forbidden"
    assert "asked not to be contacted first" in refused["reason"]["message"]
    start = {
        "conversation_id": new_id(),
        "message_id": new_id(),
        "customer_id": customer,
        "channel": "sms",
        "body_text": "Hello from the shop.",
    }
    (refused,) = desk.agent.push(("conversation.start", start))  # writing first by hand too
    assert refused["reason"]["code"] == "forbidden"
    assert "asked not to be contacted first" in refused["reason"]["message"]
    gone = desk.agent.get(f"/api/v1/entities/conversation/{start['conversation_id']}")
    assert gone.status_code == 404
    assert desk.fakes.twilio.requests == []
    (dismissed,) = desk.agent.push(("outreach.dismiss", {"outreach_id": rec["id"]}))
    assert dismissed["status"] == "applied"
    assert desk.entity("outreach", rec["id"])["status"] == "dismissed"
    (again,) = desk.agent.push(("outreach.dismiss", {"outreach_id": rec["id"]}))
    assert again["reason"]["code"] == "conflict"
