"""The survey form sent back with errors: each question in error says what is wrong on the
question itself (its accessible description), not only in the list at the top, so a screen
reader tabbing into it hears why it is invalid. In the real browser's accessibility tree."""

from __future__ import annotations

import re
from typing import Any

from csdesk.server.surveys import page as survey_page
from csdesk.server.surveys.routes import validate


def test_a_question_in_error_is_described_by_its_error(page: Any) -> None:
    from playwright.sync_api import expect

    errors = validate({"csat": ["9"], "comment": ["x" * 2001]}, "en")
    assert isinstance(errors, list) and {f for f, _ in errors} == {"csat", "comment"}
    page.set_content(survey_page.form("en", "Broken zip", {"csat": "9"}, errors))
    expect(page.get_by_role("alert")).to_contain_text("not a valid choice")
    csat = page.get_by_role("group", name=re.compile("How satisfied are you"))
    expect(csat).to_have_accessible_description(re.compile("not a valid choice"))
    comment = page.get_by_role("textbox")
    expect(comment).to_have_accessible_description(re.compile("too long"))
    nps = page.get_by_role("group", name=re.compile("recommend"))
    expect(nps).to_have_accessible_description("")  # no error, nothing said
