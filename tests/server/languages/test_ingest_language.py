"""Every channel's ingest stores the detected language on message, conversation and customer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels.inbound import Handle, InboundMessage
from csdesk.server.channels.ingest import IngestResult, ingest_message
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.server.channels.support import new_sid, state_for
from tests.server.languages.test_detect import SAMPLES


@pytest.fixture
def state(db_url: str, tmp_path: Path) -> Iterator[ServerState]:
    st = state_for(db_url, tmp_path)
    try:
        yield st
    finally:
        st.engine.dispose()


def _ingest(
    state: ServerState, channel: Channel, handle: Handle, text: str, **kw: object
) -> IngestResult:
    msg = InboundMessage(
        channel=channel,
        provider_message_id=new_sid("p-"),
        sender_handle=handle,
        sender_name="Kim",
        text=text,
        sent_at=datetime.now(UTC),
        **kw,  # type: ignore[arg-type]
    )
    with state.writes() as s:
        result = ingest_message(s, msg)
        s.commit()
        return result


def _rows(state: ServerState, r: IngestResult) -> tuple[m.Customer, m.Conversation, m.Message]:
    with state.reads() as s:
        cust, conv, msg = (
            s.get(m.Customer, r.customer_id),
            s.get(m.Conversation, r.conversation_id),
            s.get(m.Message, r.message_id),
        )
        assert cust is not None and conv is not None and msg is not None
        return cust, conv, msg


@pytest.mark.parametrize(
    ("channel", "handle", "code"),
    [
        (Channel.SMS, Handle(IdentityKind.PHONE, "+4915112345678"), "de"),
        (Channel.WHATSAPP, Handle(IdentityKind.WHATSAPP, "+33612345678"), "fr"),
        (Channel.EMAIL, Handle(IdentityKind.EMAIL, "lotte@example.nl"), "nl"),
        (Channel.TELEGRAM, Handle(IdentityKind.TELEGRAM, "99887766"), "es"),
        (Channel.CHAT, Handle(IdentityKind.CHAT_VISITOR, "v_lang1"), "ar"),
    ],
)
def test_every_channel_detects(
    state: ServerState, channel: Channel, handle: Handle, code: str
) -> None:
    cust, conv, msg = _rows(state, _ingest(state, channel, handle, SAMPLES[code]))
    assert (msg.language, conv.language, cust.language) == (code, code, code)
    assert cust.language_source == "detected"


def test_short_messages_keep_the_language_known_before(state: ServerState) -> None:
    phone = Handle(IdentityKind.PHONE, "+4915199990000")
    first = _ingest(state, Channel.SMS, phone, "ok")
    cust, conv, msg = _rows(state, first)
    assert msg.language is None and cust.language_source is None
    _ingest(state, Channel.SMS, phone, SAMPLES["de"])
    later = _ingest(state, Channel.SMS, phone, "danke")
    cust, conv, msg = _rows(state, later)
    assert msg.language is None
    assert (conv.language, cust.language, cust.language_source) == ("de", "de", "detected")
    # The customer's language is set by the first confident message, not every later one.
    _ingest(state, Channel.SMS, phone, SAMPLES["en"])
    cust, conv, _msg = _rows(state, later)
    assert (cust.language, conv.language) == ("de", "en")


def test_an_agents_choice_is_never_overridden(state: ServerState) -> None:
    phone = Handle(IdentityKind.PHONE, "+31612345678")
    r = _ingest(state, Channel.SMS, phone, "hello")
    with state.writes() as s:
        cust = s.get(m.Customer, r.customer_id)
        assert cust is not None
        cust.language, cust.language_source = "en", "agent"
        s.commit()
    cust, conv, msg = _rows(state, _ingest(state, Channel.SMS, phone, SAMPLES["nl"]))
    assert msg.language == "nl" and conv.language == "nl"
    assert (cust.language, cust.language_source) == ("en", "agent")


def test_the_channels_word_wins_and_machine_mail_says_nothing(state: ServerState) -> None:
    said = _ingest(
        state, Channel.CHAT, Handle(IdentityKind.CHAT_VISITOR, "v_lang2"), "ok", language="pt_BR"
    )
    assert _rows(state, said)[2].language == "pt-BR"
    bogus = _ingest(
        state,
        Channel.CHAT,
        Handle(IdentityKind.CHAT_VISITOR, "v_lang3"),
        SAMPLES["it"],
        language="../../x",
    )
    assert _rows(state, bogus)[2].language == "it"
