"""Screen-reader sentences for conversations and messages."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from csdesk import i18n
from csdesk.app.sentences import (
    CHANNELS,
    channel_name,
    conversation_sentence,
    message_sentence,
    sla_text,
    waiting_text,
)
from csdesk.domain.enums import Channel, Direction, Priority
from csdesk.domain.sla import sla_state

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def source_strings() -> Iterator[None]:
    i18n.use_translations(gettext.NullTranslations())
    yield
    i18n.use_translations(gettext.NullTranslations())


class FakeGerman(gettext.NullTranslations):
    """Just enough of a catalogue to show the sentences are looked up, not hard-coded."""

    CATALOGUE: ClassVar[dict[str, str]] = {
        "Email from {customer}": "E-Mail von {customer}",
        "unassigned": "nicht zugewiesen",
        "high priority": "hohe Priorität",
        "unread": "ungelesen",
        "{author} wrote on WhatsApp": "{author} schrieb auf WhatsApp",
        "waiting {n} minutes": "wartet seit {n} Minuten",
    }

    def gettext(self, message: str) -> str:
        return self.CATALOGUE.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.CATALOGUE.get(msgid2 if n != 1 else msgid1, msgid2 if n != 1 else msgid1)


def test_every_channel_has_wording() -> None:
    assert set(CHANNELS) == set(Channel)
    names = [wording.name for wording in CHANNELS.values()]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(
    ("channel", "name"),
    [
        (Channel.WHATSAPP, "WhatsApp"),
        (Channel.SMS, "SMS"),
        ("messenger", "Messenger"),
        (Channel.EMAIL, "Email"),
        ("fax", "fax"),  # a channel from a newer server is shown as it comes
    ],
)
def test_channel_name(channel: Channel | str, name: str) -> None:
    assert channel_name(channel) == name


def test_conversation_sentence_full() -> None:
    sentence = conversation_sentence(
        Channel.EMAIL,
        "Jane Doe",
        "Where is my order",
        "waiting 5 minutes",
        Priority.HIGH,
        None,
        True,
        "first response due in 10 min",
    )
    assert sentence == (
        "Email from Jane Doe, 'Where is my order', waiting 5 minutes, high priority, "
        "unassigned, unread, first response due in 10 min"
    )


def test_conversation_sentence_leaves_out_defaults() -> None:
    sentence = conversation_sentence("whatsapp", "Jane Doe", "", None, "normal", "Ann", False, None)
    assert sentence == "WhatsApp from Jane Doe, assigned to Ann"


@pytest.mark.parametrize(
    ("priority", "word"),
    [(Priority.LOW, "low priority"), (Priority.URGENT, "urgent"), ("high", "high priority")],
)
def test_priority_words(priority: Priority | str, word: str) -> None:
    sentence = conversation_sentence(Channel.SMS, "Jo", "", None, priority, "Ann", False, None)
    assert sentence == f"SMS from Jo, {word}, assigned to Ann"


def test_conversation_sentence_is_one_line_and_survives_odd_input() -> None:
    sentence = conversation_sentence(
        "fax", "  ", "Line one\nline   two", None, "critical", "  ", False, None
    )
    assert sentence == "Conversation with unknown customer, 'Line one line two', unassigned"


def test_conversation_sentence_is_translated() -> None:
    i18n.use_translations(FakeGerman())
    sentence = conversation_sentence(
        Channel.EMAIL, "Jane", "", "wartet", Priority.HIGH, None, True, None
    )
    assert sentence == "E-Mail von Jane, wartet, hohe Priorität, nicht zugewiesen, ungelesen"


def test_inbound_message() -> None:
    assert (
        message_sentence(
            Direction.IN, False, "Jane Doe", Channel.EMAIL, "10:42", "Where is\nmy order?"
        )
        == "Jane Doe wrote by email, 10:42: Where is my order?"
    )


def test_note() -> None:
    assert (
        message_sentence("out", True, "Ann", Channel.EMAIL, "10:45", "Refund approved")
        == "Internal note by Ann, 10:45: Refund approved"
    )
    assert (
        message_sentence("out", True, "Ann", Channel.EMAIL, "10:45", "Refund approved", own=True)
        == "Your internal note, 10:45: Refund approved"
    )


def test_outbound_messages() -> None:
    assert (
        message_sentence(Direction.OUT, False, "Ann", Channel.SMS, "10:50", "On its way", own=True)
        == "You replied by SMS, 10:50: On its way"
    )
    assert (
        message_sentence(Direction.OUT, False, "Bob", "whatsapp", "10:51", "Hi")
        == "Bob replied on WhatsApp, 10:51: Hi"
    )


def test_message_without_time_or_text_or_author() -> None:
    assert message_sentence("in", False, "", "telegram", " ", "  ") == (
        "unknown sender wrote on Telegram: no text"
    )


def test_message_sentence_is_translated() -> None:
    i18n.use_translations(FakeGerman())
    assert message_sentence("in", False, "Jane", Channel.WHATSAPP, "10:00", "Hallo") == (
        "Jane schrieb auf WhatsApp, 10:00: Hallo"
    )


def test_sla_and_waiting_wrappers_use_the_active_catalogue() -> None:
    state = sla_state(
        NOW,
        status="open",
        first_response_due_at=NOW + timedelta(minutes=10),
        resolution_due_at=None,
        first_response_at=None,
    )
    assert sla_text(state) == "first response due in 10 min"
    assert waiting_text(NOW - timedelta(minutes=5), NOW) == "waiting 5 minutes"
    i18n.use_translations(FakeGerman())
    assert waiting_text(NOW - timedelta(minutes=5), NOW) == "wartet seit 5 Minuten"


def test_add_sentence_never_doubles_the_period() -> None:
    from csdesk.app.sentences import add_sentence

    assert add_sentence("Thanks.", "sent") == "Thanks. sent"
    assert add_sentence("Thanks", "sent") == "Thanks. sent"
    assert add_sentence("Really?  ", "sent") == "Really? sent"
    assert add_sentence("Thanks.", "  ") == "Thanks."
    assert add_sentence("", "sent") == "sent"


def test_a_name_that_ends_a_sentence_gets_no_second_period() -> None:
    from csdesk.app.sentences import one_period

    assert one_period("Ringing: Acme Inc..") == "Ringing: Acme Inc."
    assert one_period("On call with Jane?.") == "On call with Jane?"
    assert one_period("Ringing: Jane Doe.") == "Ringing: Jane Doe."
    assert one_period("Wrapped up: resolved…") == "Wrapped up: resolved…"
