"""The checks every webhook parser shares (``channels.payload``) and Twilio's durations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from csdesk.domain.enums import IdentityKind
from csdesk.server.channels import payload, twilio
from csdesk.server.channels.inbound import PayloadError
from csdesk.storage import models as m


def test_the_widths_are_the_columns_widths() -> None:
    def width(column: object) -> int:
        length = getattr(getattr(column, "type", None), "length", None)
        assert isinstance(length, int)
        return length

    assert width(m.Message.provider_message_id) == payload.PROVIDER_ID_WIDTH
    assert width(m.ConversationRoute.business) == payload.PROVIDER_ID_WIDTH
    assert width(m.CustomerIdentity.value) == payload.ADDRESS_WIDTH
    assert width(m.ConversationRoute.address) == payload.ADDRESS_WIDTH
    assert width(m.Customer.phone) == payload.PHONE_WIDTH
    assert width(m.Call.call_sid) == payload.CALL_SID_WIDTH


@pytest.mark.parametrize("depth", [payload.MAX_DEPTH + 1, 900, 50_000])
def test_json_nested_deeper_than_the_bound_is_refused(depth: int) -> None:
    body = "[" * (depth - 1) + "{}" + "]" * (depth - 1)
    with pytest.raises(PayloadError, match="nested more than 64 levels"):
        payload.load_json(body, "meta", "webhook body")


def test_json_nested_to_the_bound_is_read() -> None:
    inner = "[" * (payload.MAX_DEPTH - 1) + "]" * (payload.MAX_DEPTH - 1)
    assert payload.load_json(f'{{"x":{inner}}}', "meta", "webhook body") == {"x": json.loads(inner)}


def test_json_that_is_no_object_is_refused() -> None:
    with pytest.raises(PayloadError, match="Telegram update must be a JSON object"):
        payload.load_json("[1]", "telegram", "Telegram update")
    with pytest.raises(PayloadError, match="is not JSON"):
        payload.load_json(b"\xff", "telegram", "Telegram update")


@pytest.mark.parametrize(
    "seconds", [float("nan"), float("inf"), -1, 1e20, -99999999999999, 32503680000]
)
def test_a_time_no_provider_sends_is_refused(seconds: float) -> None:
    with pytest.raises(PayloadError, match="date is not a timestamp"):
        payload.unix_time(seconds, "message.date")


def test_a_real_time_is_read() -> None:
    assert payload.unix_time(0, "t") == datetime(1970, 1, 1, tzinfo=UTC)
    assert payload.unix_time(1441645532, "t") == datetime(2015, 9, 7, 17, 5, 32, tzinfo=UTC)


def test_a_sender_is_refused_rather_than_cut_to_fit() -> None:
    number = "+" + "1" * 31
    assert payload.sender_handle(IdentityKind.PHONE, number, "From").value == number
    with pytest.raises(PayloadError, match="From is longer than 32 characters"):
        payload.sender_handle(IdentityKind.WHATSAPP, number + "1", "From")
    page_scoped = "7" * 320
    assert payload.sender_handle(IdentityKind.MESSENGER, page_scoped, "sender.id")
    with pytest.raises(PayloadError, match=r"sender\.id is longer than 320"):
        payload.sender_handle(IdentityKind.MESSENGER, page_scoped + "7", "sender.id")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 0042 ", 42),
        ("0", 0),
        (str(twilio.MAX_CALL_SECONDS), twilio.MAX_CALL_SECONDS),
        (str(twilio.MAX_CALL_SECONDS + 1), None),
        ("99999999999999999999", None),
        ("9" * 5000, None),  # int() would refuse it: more digits than Python converts
        ("-5", None),
        ("\u00b2", None),  # passes str.isdigit, not int()
        ("4.5", None),
        ("", None),
        (None, None),
    ],
)
def test_twilio_durations(raw: str | None, expected: int | None) -> None:
    assert twilio.seconds(raw) == expected
