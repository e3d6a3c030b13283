"""The emails the chat sends a visitor speak the conversation's language (set from the widget's
when the text does not tell), through the ``csdesk`` catalogue: on SQLite and PostgreSQL.

The shipped catalogues do not have these strings until the lead translates them, so the test
writes a small German one of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from csdesk.server import catalogues
from csdesk.server.chat import service, texts, visitors
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.server.channels.support import state_for
from tests.unit.test_survey_language_paths import _mo

GERMAN = {
    "": "Content-Type: text/plain; charset=UTF-8\n",
    texts.TRANSCRIPT_SUBJECT: "Ihr Chatverlauf",
    texts.TRANSCRIPT_INTRO: "Ihr Chat mit uns:",
    texts.TRANSCRIPT_LINE: "[{time} UTC] {who} schrieb: {text}",
    # The widget's "You" and "Agent" have a msgctxt (the desk has its own "You", "Agent"):
    # gettext keys such an entry "context\x04msgid"; the context-less entries are not used.
    f"chat widget\x04{texts.WIDGET['you']}": "Sie",
    f"chat widget\x04{texts.WIDGET['agent']}": "Mitarbeiter",
    "You": "Du (ohne Kontext)",
    "Agent": "Agent (ohne Kontext)",
    texts.PROOF_SUBJECT: "Bestätigen Sie Ihre E-Mail-Adresse",
    # A translator's slip (an unknown placeholder) must not stop the mail: English goes.
    texts.PROOF_BODY: "Öffnen Sie {link} binnen {hours} Stunden.",
}


@pytest.fixture
def state(db_url: str, tmp_path: Path) -> Iterator[ServerState]:
    st = state_for(db_url, tmp_path)
    try:
        yield st
    finally:
        st.engine.dispose()


@pytest.fixture
def german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    localedir = tmp_path / "translations"
    _mo(localedir / "de" / "LC_MESSAGES" / "csdesk.mo", GERMAN)
    monkeypatch.setattr(catalogues, "default_localedir", lambda: localedir)
    catalogues.translator.cache_clear()
    try:
        yield
    finally:
        catalogues.translator.cache_clear()


def _chat(state: ServerState, language: str | None, text: str) -> tuple[visitors.Visitor, str]:
    with state.writes() as s:
        _, visitor = visitors.start(s, "Kim", language)
        conv_id = service.send(s, visitor, text, "c1", None).conversation_id
        s.commit()
    return visitor, conv_id


def _mail(state: ServerState, message_id: str) -> m.Message:
    with state.reads() as s:
        mail = s.get(m.Message, message_id)
        assert mail is not None
        return mail


def test_transcript_and_proof_mail_in_the_widgets_language(
    state: ServerState, german: None
) -> None:
    visitor, conv_id = _chat(state, "de", "ok")
    with state.writes() as s:
        conv = s.get(m.Conversation, conv_id)
        customer = s.get(m.Customer, visitor.customer_id)
        assert conv is not None and customer is not None
        assert (conv.language, customer.language, customer.language_source) == ("de", "de", "page")
        plan = service.TranscriptPlan(conv_id, "kim@example.de", True, None)
        sent_id, sent = service.email_transcript(s, plan, "https://desk.example/c?token=")
        s.commit()
    mail = _mail(state, sent_id)
    assert sent and mail.subject == "Ihr Chatverlauf"
    assert mail.body_text.startswith("Ihr Chat mit uns:\n")
    assert "UTC] Sie schrieb: ok" in mail.body_text
    assert mail.author_name == texts.SENDER  # what agents see stays the same

    with state.writes() as s:
        service.leave_email(s, visitor, "kim@example.de")
        plan = service.plan_transcript(s, visitor)
        assert not plan.proven
        proof_id, sent = service.email_transcript(s, plan, "https://desk.example/c?token=")
        s.commit()
    proof = _mail(state, proof_id)
    assert not sent and proof.subject == "Bestätigen Sie Ihre E-Mail-Adresse"
    assert proof.body_text.startswith("Someone asked our website chat")  # the broken one: English
    # The page the link opens speaks German too.
    assert re.search(r"https://desk\.example/c\?token=[\w-]+&lang=de\n", proof.body_text)


def test_text_in_another_language_wins_and_english_stays_the_default(
    state: ServerState, german: None
) -> None:
    written = "Hi, my parcel has not arrived yet and the tracking page has not changed for a week."
    visitor, conv_id = _chat(state, "de", written)
    with state.writes() as s:
        conv = s.get(m.Conversation, conv_id)
        customer = s.get(m.Customer, visitor.customer_id)
        assert conv is not None and customer is not None
        assert (conv.language, customer.language, customer.language_source) == (
            "en",
            "en",
            "detected",
        )
        plan = service.TranscriptPlan(conv_id, "kim@example.org", True, None)
        mail_id, _ = service.email_transcript(s, plan, "https://desk.example/c?token=")
        s.commit()
    assert _mail(state, mail_id).subject == texts.TRANSCRIPT_SUBJECT
    # No language from the widget: nothing set, the customer's stays unknown.
    visitor, conv_id = _chat(state, None, "ok")
    with state.reads() as s:
        customer = s.get(m.Customer, visitor.customer_id)
        assert customer is not None and customer.language_source is None
