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
