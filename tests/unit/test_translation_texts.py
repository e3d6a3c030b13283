"""The desk's words for machine translation (issue 13): the label under a message, which
stored translation is shown, the reply's language, and each failure in plain words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from csdesk.app import translation as tr
from csdesk.app.present import message_texts
from csdesk.app.thread import ConversationView, MessageView
from csdesk.sync.api import Offline, ServerError, Throttled

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
MSG = MessageView(
    id="m1", direction="in", is_note=False, author_name="Jana", author_user_id=None,
    channel="email", subject="", body_text="Wo ist mein Paket?", body_html=None,
    attachments=(), delivery_status="delivered", failure_reason=None, created_at=NOW,
    language="de",
)  # fmt: skip


def test_a_stored_translation_into_the_agents_language_is_shown_labelled() -> None:
    entries = (
        {"target": "fr", "source": "de", "text": "Où est mon colis ?", "provider": "deepl"},
        {"target": "en", "source": "de", "text": "old", "provider": "deepl"},
        {"target": "en-GB", "source": None, "text": "Where is my parcel?", "provider": "x"},
        {"target": "en", "text": 42},  # not text: ignored
        "hostile",
    )
    msg = replace(MSG, translations=entries)  # type: ignore[arg-type]
    shown = tr.shown(msg, "en")
    assert shown is not None and shown.language == "en"
    # The newest for the language; the message's own language when the entry names none.
    assert shown.text == "Translated from German by x: Where is my parcel?"
    french = tr.shown(msg, "fr")
    assert french is not None and french.text.endswith("by DeepL: Où est mon colis ?")
    assert tr.shown(msg, "nl") is None
    texts = message_texts(msg, "me", NOW)
    assert texts.body == "Wo ist mein Paket?"  # the original is kept
    assert texts.translation == shown.text and texts.translation_language == "en"
    assert message_texts(MSG, "me", NOW).translation == ""


def test_labels_name_the_language_in_the_agents_language() -> None:
    assert tr.language_name("de", "de") == "Deutsch"
    assert tr.language_name("pt-BR") == "Portuguese"
    assert tr.language_name("zz") == "zz"
    out = tr.Translated.of(
        {"text": "Hello", "source": "nl", "target": "en", "provider": "libretranslate",
         "truncated": True}
    )  # fmt: skip
    assert out.label() == (
        "Translated from Dutch by LibreTranslate: Hello "
        "(Only the beginning of this long message was translated.)"
    )
    assert tr.label("Hi", None, "deepl") == "Translated by DeepL: Hi"
    with pytest.raises(ServerError):
        tr.Translated.of({"text": None})


def test_the_reply_goes_into_the_customers_language() -> None:
    conv = ConversationView(
        id="c1", channel="email", subject="", status="open", priority="normal",
        assignee_id=None, team_id=None, tags=(), customer_id="k1", language="fr",
        last_inbound_at=None, snoozed_until=None, first_response_due_at=None,
        resolution_due_at=None, first_response_at=None, messages=(MSG,),
    )  # fmt: skip
    assert tr.reply_language(conv, None) == "fr"
    assert tr.last_inbound(conv) == MSG
    assert tr.last_inbound(replace(conv, messages=(replace(MSG, body_text=" "),))) is None


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (Offline("x"), "Translation needs the server"),
        (Throttled("busy", 2.2), "Try again in 3 seconds."),
        (ServerError(409, "translation_not_configured", "x"), "No translation service is set up"),
        (ServerError(503, "translation_quota_exceeded", "x"), "quota is used up"),
        (ServerError(502, "translation_unavailable", "x"), "not working right now"),
        (ServerError(504, "translation_timeout", "x"), "did not answer in time"),
        (ServerError(502, "translation_not_authorized", "x"), "refused the server's key"),
        (ServerError(500, "http_500", "Boom"), "Could not translate: Boom"),
    ],
)
def test_each_failure_in_plain_words(exc: Exception, words: str) -> None:
    assert words in tr.error_text(exc)
