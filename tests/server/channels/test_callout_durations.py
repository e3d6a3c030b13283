"""A Dial result whose DialCallDuration is a non-ASCII digit ("²" passes ``str.isdigit``
but not ``int``) is still answered, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from csdesk.server.channels.config_store import Provider
from tests.helpers.server import TestUser
from tests.server.channels.support import Desk, Fakes, live_desk, new_sid, wait_until
from tests.server.channels.test_callout import ANN_PHONE, CALLOUT, _call_params, _customer


@pytest.fixture(scope="module")
def shop(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    with live_desk(backend, shared_users, fakes, tmp_path_factory, (Provider.TWILIO,)) as desk:
        yield desk


@pytest.mark.parametrize("duration", ["\u00b2", "\u00b9\u00b2"])
def test_a_superscript_duration_is_not_a_500(shop: Desk, duration: str) -> None:
    shop.fakes.clear()
    ann = shop.agent
    assert ann.push(("user.set_call_phone", {"call_phone": ANN_PHONE}))[0]["status"] == "applied"
    customer_id, number = _customer(shop)
    call_id = str(uuid.uuid4())
    place = {"call_id": call_id, "customer_id": customer_id, "number": number}
    assert ann.push(("call.place", place))[0]["status"] == "applied"
    wait_until(lambda: shop.fakes.twilio.calls_created() or None, what="create")
    params = _call_params(
        new_sid("CA"), "in-progress", DialCallStatus="completed", DialCallDuration=duration
    )
    r = shop.twilio(f"{CALLOUT}?call={call_id}&step=dialed", params)
    assert r.status_code == 200, r.text
    call = shop.entity("call", call_id)
    assert call["outcome"] == "answered" and call["duration_seconds"] is None


def test_a_call_to_one_customer_does_not_close_another_customer_s_callback(
    shop: Desk,
) -> None:
    from datetime import UTC, datetime, timedelta

    shop.fakes.clear()
    ann = shop.agent
    assert ann.push(("user.set_call_phone", {"call_phone": ANN_PHONE}))[0]["status"] == "applied"
    alice, alice_number = _customer(shop)
    bob, bob_number = _customer(shop)
    cb_id = str(uuid.uuid4())
    schedule = {
        "callback_id": cb_id,
        "customer_id": bob,
        "phone": bob_number,
        "due_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    assert ann.push(("callback.schedule", schedule))[0]["status"] == "applied"
    place = {
        "call_id": str(uuid.uuid4()),
        "customer_id": alice,
        "number": alice_number,
        "callback_id": cb_id,  # Bob's callback, named on a call to Alice
    }
    result = ann.push(("call.place", place))[0]
    assert result["status"] == "rejected", result
    assert shop.entity("callback", cb_id)["status"] == "scheduled"
