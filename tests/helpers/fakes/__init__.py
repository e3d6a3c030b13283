"""Local fake provider APIs (Twilio, Meta Graph, Telegram Bot API) for outbound tests."""

from tests.helpers.fakes.base import DROP, Answer, FakeProvider, Recorded
from tests.helpers.fakes.graph import FakeGraph
from tests.helpers.fakes.telegram import FakeTelegram
from tests.helpers.fakes.twilio import FakeTwilio

__all__ = [
    "DROP",
    "Answer",
    "FakeGraph",
    "FakeProvider",
    "FakeTelegram",
    "FakeTwilio",
    "Recorded",
]
