"""Words the window shows for messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csdesk.app.present import message_texts
from csdesk.app.thread import MessageView


def _msg(**kw: object) -> MessageView:
    base: dict[str, object] = dict(
        id="m1",
        direction="in",
        is_note=False,
        author_name="Jane Doe",
        author_user_id=None,
        channel="email",
        subject="",
        body_text="Where is my order?",
        body_html=None,
        attachments=(),
        delivery_status="received",
        failure_reason=None,
        created_at=datetime(2026, 11, 22, 10, 42, tzinfo=UTC),
    )
    base.update(kw)
    return MessageView(**base)  # type: ignore[arg-type]


def test_an_unreadable_email_says_so_in_header_and_sentence() -> None:
    texts = message_texts(
        _msg(failure_reason="This email could not be read completely: unknown charset x-foo"),
        "me",
        datetime.now(UTC),
    )
    assert "warning: This email could not be read completely" in texts.header
    assert "Warning: This email could not be read completely" in texts.sentence


def test_offline_replies_are_marked_waiting() -> None:
    texts = message_texts(
        _msg(direction="out", author_user_id="me", author_name="Ann", delivery_status="pending"),
        "me",
        datetime.now(UTC),
    )
    assert texts.kind == "out" and "waiting to be sent (offline)" in texts.header
    assert texts.sentence.startswith("You replied by email")


def test_failed_replies_show_the_reason() -> None:
    texts = message_texts(
        _msg(
            direction="out",
            delivery_status="failed",
            failure_reason="No provider for sms is configured",
        ),
        "me",
        datetime.now(UTC),
    )
    assert "failed: No provider for sms is configured" in texts.header


def test_a_chat_reply_nobody_picked_up_says_why_it_is_still_queued() -> None:
    """The review saw a chat reply sit "queued" for a minute with no word of why: the widget
    long-polls, so a reply still queued after 20 s means nobody has the chat window open."""
    sent = datetime(2026, 11, 22, 10, 42, tzinfo=UTC)
    reply = _msg(
        direction="out",
        author_user_id="me",
        author_name="Ann",
        channel="chat",
        delivery_status="queued",
        created_at=sent,
    )
    fresh = message_texts(reply, "me", sent + timedelta(seconds=5))
    assert fresh.header.endswith("· queued")
    stale = message_texts(reply, "me", sent + timedelta(seconds=60))
    assert "the customer's chat window is closed or offline" in stale.header
    assert "they will see this reply when they come back" in stale.sentence
    sms = message_texts(
        _msg(
            direction="out",
            author_user_id="me",
            channel="sms",
            delivery_status="queued",
            created_at=sent,
        ),
        "me",
        sent + timedelta(minutes=5),
    )
    assert sms.header.endswith("· queued")  # the dispatcher's queue, not a visitor's absence


def test_machine_mail_is_labelled_in_words() -> None:
    now = datetime.now(UTC)
    auto = message_texts(_msg(is_auto=True, auto_kind="auto_reply"), "me", now)
    assert "Automatic reply" in auto.header and "Automatic reply" in auto.sentence
    report = message_texts(_msg(is_auto=True, auto_kind="delivery_report"), "me", now)
    assert "Automatic delivery report" in report.header
    person = message_texts(_msg(), "me", now)
    assert "Automatic" not in person.header and "Automatic" not in person.sentence


def test_an_unverified_sender_is_a_warning_on_the_message() -> None:
    texts = message_texts(
        _msg(sender_warning="DMARC failed for bank.example"), "me", datetime.now(UTC)
    )
    assert "Unverified sender: DMARC failed for bank.example" in texts.header
    assert "Unverified sender: DMARC failed for bank.example" in texts.sentence


def test_no_message_sentence_has_a_double_period() -> None:
    """Issue 9 item 37: a body that ends its own sentence ("Thanks.") then a delivery state or
    a warning read "Thanks.. sent"."""
    now = datetime.now(UTC)
    for body in ("Thanks.", "Really?", "Wait…", "Done. ", "no stop"):
        for kw in (
            {"direction": "out", "author_user_id": "me", "delivery_status": "sent"},
            {"direction": "out", "delivery_status": "failed", "failure_reason": "Refused."},
            {"failure_reason": "This email could not be read completely."},
        ):
            sentence = message_texts(_msg(body_text=body, **kw), "me", now).sentence
            assert ".." not in sentence.replace("…", ""), sentence
            assert not sentence.endswith(".."), sentence
    plain = message_texts(
        _msg(body_text="no stop", direction="out", author_user_id="me", delivery_status="sent"),
        "me",
        now,
    ).sentence
    assert plain.endswith("no stop. sent")


def test_survey_lines_are_labelled_whichever_way_they_go() -> None:
    now = datetime.now(UTC)
    sent = message_texts(
        _msg(direction="out", is_auto=True, auto_kind="survey", delivery_status="sent"), "me", now
    )
    assert "Automatic satisfaction survey" in sent.header
    assert "Automatic satisfaction survey" in sent.sentence
    answer = message_texts(
        _msg(direction="out", is_note=True, is_auto=True, auto_kind="survey_answer"), "me", now
    )
    assert "Satisfaction survey answer" in answer.header
    reply = message_texts(_msg(is_auto=True, auto_kind="survey_reply"), "me", now)
    assert "Satisfaction survey reply" in reply.header
