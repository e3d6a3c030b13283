"""Status codes shown inside translated sentences are words of the desk's language (issue 13):
the customer pane and timeline read "Bestellung FH-1 ist jetzt: delivered" and "— pending"
in German before these were translated."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from csdesk import i18n
from csdesk.app import status_words as words
from csdesk.domain.calls import CallOutcome, Disposition
from csdesk.domain.enums import ConversationStatus, OrderStatus, ReturnStatus
from csdesk.server.commerce.shopify_parse import SHIPMENT_STATUS

SHIPPED_LANGUAGES = ("de", "fr", "es", "nl", "ar")
#: The same word in English and in the language (Dutch "open", "voicemail").
SAME_WORD = {"nl": {"open", "voicemail"}}
KINDS: list[tuple[Callable[[str], str], list[str]]] = [
    (words.conversation_status, [s.value for s in ConversationStatus]),
    (words.order_status, [s.value for s in OrderStatus]),
    (words.return_status, [s.value for s in ReturnStatus]),
    (words.call_outcome, [s.value for s in CallOutcome]),
    (words.disposition, [s.value for s in Disposition]),
    (words.shipment_status, sorted({*SHIPMENT_STATUS.values(), "delayed", "unknown"})),
]


@pytest.fixture
def language() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.mark.usefixtures("language")
@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
def test_every_status_code_has_a_word_in_every_shipped_language(lang: str) -> None:
    english = {(f.__name__, code): f(code) for f, codes in KINDS for code in codes}
    i18n.set_language(lang)
    untranslated = [
        key
        for f, codes in KINDS
        for code in codes
        if f(code) == english[(key := (f.__name__, code))]
        and f(code) not in SAME_WORD.get(lang, set())
    ]
    assert not untranslated, untranslated


def test_an_unknown_code_is_shown_as_it_came() -> None:
    assert words.shipment_status("held_at_customs") == "held at customs"
    assert words.order_status("partially_refunded") == "partially refunded"
    assert words.disposition("sold_upsell") == "sold upsell"
    assert words.order_status("delivered") == "delivered"
