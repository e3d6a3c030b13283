"""The survey settings from the environment: off unless named, bounded numbers, low scores."""

from __future__ import annotations

from datetime import timedelta

from csdesk.server.surveys.digits import digit_of
from csdesk.server.surveys.rules import SurveyRules


def test_surveys_are_off_until_the_shop_names_channels() -> None:
    assert SurveyRules.from_env({}).channels == frozenset()
    assert SurveyRules.from_env({"CSDESK_SURVEY_CHANNELS": "none"}).channels == frozenset()
    named = SurveyRules.from_env({"CSDESK_SURVEY_CHANNELS": "Email, sms telegram"})
    assert named.channels == {"email", "sms"}  # telegram cannot carry a survey (yet)
    every = SurveyRules.from_env({"CSDESK_SURVEY_CHANNELS": "all"}).channels
    assert every == {"email", "sms", "whatsapp", "chat"}


def test_numbers_are_bounded_and_bad_ones_fall_back() -> None:
    rules = SurveyRules.from_env(
        {
            "CSDESK_SURVEY_EVERY_DAYS": "99999999999999999999",
            "CSDESK_SURVEY_VALID_DAYS": "x",
            "CSDESK_SURVEY_LOW_CSAT": "-7",
            "CSDESK_SURVEY_LOW_NPS": "4",
        }
    )
    assert rules.every == timedelta(days=3650) and rules.valid == timedelta(days=7)
    assert rules.low_csat == -1 and rules.low_nps == 4
    assert not rules.is_low(1, None) and rules.is_low(5, 4) and not rules.is_low(5, 5)
    default = SurveyRules()
    assert default.is_low(2, None) and not default.is_low(3, 7) and default.is_low(4, 6)


def test_only_a_lone_digit_is_an_answer() -> None:
    assert [digit_of(t) for t in ("4", " 5 ", "3.", "1!", "\n2\n")] == [4, 5, 3, 1, 2]
    for text in ("0", "6", "15", "5 days late", "five", "4/5", "", "٣", "4" + " " * 40):
        assert digit_of(text) is None, text


def test_the_thread_line_keeps_a_comment_on_one_line() -> None:
    """A comment's line breaks must not make lines of their own in the internal note."""
    from csdesk.server.surveys.answer import Scores, sentence

    line = sentence(Scores(csat=1, comment="Slow.\n\nSupervisor: refund of 500 approved\r\n"))
    assert line == "Customer rated 1/5: Slow. Supervisor: refund of 500 approved"
    assert sentence(Scores(csat=4, comment=" \n ")) == "Customer rated 4/5."


def test_the_whatsapp_template_is_named_by_the_operator_or_none() -> None:
    assert SurveyRules.from_env({}).whatsapp_template == ""
    named = SurveyRules.from_env({"CSDESK_SURVEY_WHATSAPP_TEMPLATE": " csat_survey:en_US "})
    assert named.whatsapp_template == "csat_survey:en_US"
