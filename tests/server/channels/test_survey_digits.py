"""SMS surveys through Twilio (the fake): resolving sends the question, a digit reply within
the survey window is the CSAT answer (the conversation stays resolved), and anything else is
an ordinary customer message that reopens the conversation as usual."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.server import TestUser
from tests.server.channels.support import Desk, Fakes, live_desk, new_sid, sms_params, wait_until


@pytest.fixture(scope="module")
def desk_module(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """The channels' live server, with SMS and WhatsApp surveys turned on."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_SURVEY_CHANNELS", "sms,whatsapp")
        with live_desk(backend, shared_users, fakes, tmp_path_factory) as desk:
            yield desk


def _number() -> str:
    return f"+1415557{random.randrange(10_000):04d}"


def _rows(db_url: str, model: type[m.Base], conversation_id: str) -> list[m.Base]:
    engine = make_engine(db_url)
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as s:
            col = model.conversation_id  # type: ignore[attr-defined]
            return list(s.scalars(select(model).where(col == conversation_id)))
    finally:
        engine.dispose()


def _resolved_with_survey(desk: Desk, customer: str) -> str:
    """An SMS conversation the agent resolved; waits for the survey text to reach Twilio."""
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "Where is my parcel?")).ok
    conv_id: str = desk.wait_message(sid)["conversation_id"]
    (result,) = desk.agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert result["status"] == "applied", result
    (req,) = desk.fakes.twilio.wait_requests(1)
    form = req.form_dict()
    assert form["To"] == customer
    assert "Reply with one digit: 1 (very unhappy) to 5 (very happy)" in form["Body"]
    assert len(form["Body"]) <= 160  # one SMS segment
    return conv_id


def test_a_digit_reply_is_the_csat_answer_and_reopens_nothing(desk: Desk) -> None:
    customer = _number()
    conv_id = _resolved_with_survey(desk, customer)
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, " 4 ")).ok
    reply = desk.wait_message(sid)
    assert reply["conversation_id"] == conv_id
    assert reply["is_auto"] and reply["auto_kind"] == "survey_reply"
    assert desk.entity("conversation", conv_id)["status"] == "resolved"
    (answer,) = _rows(desk.db_url, m.SurveyAnswer, conv_id)
    assert isinstance(answer, m.SurveyAnswer) and answer.csat == 4 and answer.nps is None
    notes = [
        x for x in _rows(desk.db_url, m.Message, conv_id) if isinstance(x, m.Message) and x.is_note
    ]
    assert [x.body_text for x in notes] == ["Customer rated 4/5."]

    # A second digit is no second answer: the survey is answered, so it is a new message.
    again = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(again, customer, "5")).ok
    assert desk.wait_message(again)["is_auto"] is False
    assert len(_rows(desk.db_url, m.SurveyAnswer, conv_id)) == 1
    assert desk.entity("conversation", conv_id)["status"] == "open"


def test_a_normal_message_after_the_survey_reopens_the_conversation(desk: Desk) -> None:
    customer = _number()
    conv_id = _resolved_with_survey(desk, customer)
    sid = new_sid("SM")
    text = "Still nothing, 5 days late"
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, text)).ok
    msg = desk.wait_message(sid)
    assert msg["conversation_id"] == conv_id and msg["is_auto"] is False
    wait_until(
        lambda: True if desk.entity("conversation", conv_id)["status"] == "open" else None,
        what="the conversation reopened",
    )
    assert _rows(desk.db_url, m.SurveyAnswer, conv_id) == []
    # Once it is open again, a lone digit answers the agent, not the survey.
    digit = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(digit, customer, "3")).ok
    assert desk.wait_message(digit)["is_auto"] is False
    assert _rows(desk.db_url, m.SurveyAnswer, conv_id) == []


def test_a_digit_from_a_customer_merged_since_the_survey_is_still_the_answer(desk: Desk) -> None:
    """Merging moves conversations, not survey rows: the digit must find the survey through
    its conversation (it was taken as a new message that reopened the conversation)."""
    customer = _number()
    conv_id = _resolved_with_survey(desk, customer)
    other = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(other, _number(), "Hello")).ok
    keep_conv = desk.entity("conversation", desk.wait_message(other)["conversation_id"])
    dup = desk.entity("conversation", conv_id)["customer_id"]
    merged = desk.agent.push(
        (
            "customer.merge",
            {"source_customer_id": dup, "target_customer_id": keep_conv["customer_id"]},
        )
    )[0]
    assert merged["status"] == "applied", merged
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "5")).ok
    reply = desk.wait_message(sid)
    assert reply["conversation_id"] == conv_id and reply["auto_kind"] == "survey_reply"
    assert desk.entity("conversation", conv_id)["status"] == "resolved"
    (answer,) = _rows(desk.db_url, m.SurveyAnswer, conv_id)
    assert isinstance(answer, m.SurveyAnswer) and answer.csat == 5


def test_a_digit_after_a_second_agent_resolved_it_again_is_still_the_answer(desk: Desk) -> None:
    """Resolving a resolved conversation again is no new resolution: its time stays, so the
    digit still matches the resolution surveyed (it was taken as a message that reopened it)."""
    customer = _number()
    conv_id = _resolved_with_survey(desk, customer)
    (again,) = desk.agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert again["status"] == "applied", again
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "2")).ok
    reply = desk.wait_message(sid)
    assert reply["conversation_id"] == conv_id and reply["auto_kind"] == "survey_reply"
    assert desk.entity("conversation", conv_id)["status"] == "resolved"
    (answer,) = _rows(desk.db_url, m.SurveyAnswer, conv_id)
    assert isinstance(answer, m.SurveyAnswer) and answer.csat == 2


def test_a_survey_still_queued_when_the_conversation_reopened_is_not_sent(desk: Desk) -> None:
    """The survey's channel was down; meanwhile the customer wrote again. When the channel
    is back, "How did we do?" must not land in the middle of the open conversation."""
    import uuid

    from sqlalchemy.orm import Session

    from csdesk.storage.types import utcnow

    customer = _number()
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "Still waiting")).ok
    conv_id = desk.wait_message(sid)["conversation_id"]
    assert desk.entity("conversation", conv_id)["status"] == "open"
    survey_id = str(uuid.uuid4())
    engine = make_engine(desk.db_url)
    try:
        with Session(engine) as s:
            s.add(
                m.Message(
                    id=survey_id, realm="production", conversation_id=conv_id, channel="sms",
                    direction="out", author_name="Satisfaction survey", body_text="How did we do?",
                    delivery_status="queued", created_at=utcnow(), is_auto=True,
                    auto_kind="survey",
                )
            )  # fmt: skip
            s.commit()
    finally:
        engine.dispose()

    def settled() -> m.Message | None:
        (msg,) = [x for x in _rows(desk.db_url, m.Message, conv_id) if x.id == survey_id]
        assert isinstance(msg, m.Message)
        return msg if msg.delivery_status != "queued" else None

    msg = wait_until(settled, what="the queued survey settled")
    assert msg.delivery_status == "failed" and "reopened" in (msg.failure_reason or ""), (
        msg.delivery_status,
        msg.failure_reason,
    )
    sent_to = [r.form_dict().get("To") for r in desk.fakes.twilio.requests]
    assert customer not in sent_to
