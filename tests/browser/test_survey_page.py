"""The survey end to end in a real browser: a customer's email is resolved, the survey mail
with its link reaches the SMTP sink, the customer answers in chromium with the keyboard alone,
and the answer shows on the conversation and in the KPIs' CSAT."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from tests.helpers.http import Raw
from tests.helpers.mail import Dovecot, SmtpSink
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until
from tests.server.channels.test_email_channel import (
    IMAP_PASSWORD,
    IMAP_USER,
    SMTP_PASSWORD,
    SMTP_USER,
    MailDesk,
    channel_add,
    email_args,
    mail,
    mid,
)


@pytest.fixture(scope="module")
def mail_desk(
    backend: str, shared_users: dict[str, TestUser], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MailDesk]:
    dovecot = Dovecot({IMAP_USER: IMAP_PASSWORD}).start()
    smtp = SmtpSink(SMTP_USER, SMTP_PASSWORD).start()
    proc: ServerProcess | None = None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, Fernet.generate_key().decode())
        mp.setenv("CSDESK_SURVEY_CHANNELS", "email,chat")
        try:
            add_users(backend, list(shared_users.values()))
            data_dir = tmp_path_factory.mktemp("data")
            done = channel_add(
                backend,
                data_dir,
                *email_args(dovecot.port, smtp.port),
                CSDESK_IMAP_PASSWORD=IMAP_PASSWORD,
                CSDESK_SMTP_PASSWORD=SMTP_PASSWORD,
            )
            assert done.returncode == 0, done.stderr
            proc = ServerProcess(
                backend,
                log_path=tmp_path_factory.mktemp("log") / "server.log",
                extra_args=["--data-dir", str(data_dir)],
            ).start()
            agent = Raw.signed_in(proc, shared_users["ann"])
            yield MailDesk(proc, agent, dovecot, smtp, backend, data_dir)
        finally:
            if proc is not None:
                proc.stop()
            smtp.stop()
            dovecot.stop()


def test_a_customer_answers_the_emailed_survey_with_the_keyboard(
    page: Any, mail_desk: MailDesk, shared_users: dict[str, TestUser]
) -> None:
    from playwright.sync_api import expect

    desk = mail_desk
    address = f"kim.{uuid.uuid4().hex[:6]}@customer.example"
    subject = f"Broken zip on my jacket {uuid.uuid4().hex[:4]}"
    desk.deliver(mail(mid(), subject, "The zip broke on day two.", sender=f"Kim <{address}>"))
    conv_id = desk.wait_subject(subject, timeout=40)["conversation_id"]
    desk.reply(conv_id, "We are sending you a new jacket today.")
    (result,) = desk.agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert result["status"] == "applied", result

    mails = desk.smtp.wait(2, timeout=30)
    (survey_mail,) = [x for x in mails if "How did we do?" in str(x.message["Subject"])]
    assert survey_mail.rcpt_tos == [address]
    text = str(survey_mail.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    found = re.search(re.escape(desk.server.url) + r"/survey/[A-Za-z0-9_.\-]+", text)
    assert found is not None, text

    page.goto(found.group(0))
    tree = page.locator("body").aria_snapshot()
    print(tree)
    assert '- heading "How did we do?"' in tree
    csat = page.get_by_role("group", name=re.compile("How satisfied are you"))
    expect(csat).to_be_visible()
    assert csat.get_by_role("radio").count() == 5
    expect(page.get_by_role("textbox", name=re.compile("Anything you would like"))).to_be_visible()

    # The keyboard alone: Tab into the first question, Space, arrows; Tab on; type; Enter.
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="1 – Very unsatisfied")).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="4 – Satisfied")).to_be_checked()
    page.keyboard.press("Tab")  # the recommendation question: 0 first
    page.keyboard.press("Space")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="9", exact=True)).to_be_checked()
    page.keyboard.press("Tab")  # the effort question: skipped (optional)
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox")).to_be_focused()
    page.keyboard.type("Fast and friendly.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my answers")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    # The agent sees it in the thread; the KPIs count it.
    def note() -> dict[str, Any] | None:
        for msg in desk.entities("message").values():
            if msg["conversation_id"] == conv_id and msg["auto_kind"] == "survey_answer":
                return msg
        return None

    line = wait_until(note, 10, "the answer in the thread")
    assert line["body_text"] == "Customer rated 4/5 (NPS 9/10): Fast and friendly."
    assert line["is_note"] is True
    sue = Raw.signed_in(desk.server, shared_users["sue"])
    total = sue.get("/api/v1/kpis", params={"period": "today"}).json()["total"]
    assert total["csat_count"] == 1 and total["csat_avg"] == 4
    assert total["nps_count"] == 1 and total["nps_promoters"] == 1

    # The link again: answered already, and the page says so.
    page.goto(found.group(0))
    expect(page.get_by_role("heading", name="Already answered")).to_be_visible()


def test_a_chat_visitor_sees_the_survey_as_an_inline_rating_in_the_widget(
    page: Any, mail_desk: MailDesk, shared_users: dict[str, TestUser]
) -> None:
    """The widget rates the chat in place (tests/browser/test_chat_rating.py answers it);
    the survey message's link stays in its text for a visitor without the widget."""
    from playwright.sync_api import expect

    from tests.browser.test_chat_widget import open_widget
    from tests.server.test_chat_api import feed_message

    desk = mail_desk
    open_widget(page, desk.server.url)
    textbox = page.get_by_role("textbox", name="Your message")
    text = f"Do you gift-wrap? {uuid.uuid4().hex[:6]}"
    textbox.fill(text)
    textbox.press("Enter")
    msg = wait_until(lambda: feed_message(desk.agent, text), 30, "the chat message")
    (result,) = desk.agent.push(
        (
            "conversation.set_status",
            {"conversation_id": msg["conversation_id"], "status": "resolved"},
        )
    )
    assert result["status"] == "applied", result
    group = page.get_by_role("group", name="How satisfied are you with this chat?")
    expect(group).to_be_visible(timeout=10_000)
    expect(page.get_by_role("link", name=re.compile("Rate this chat"))).to_have_count(0)
    survey_text = page.locator(".csdesk-msg", has_text="How did we do?").inner_text()
    found = re.search(re.escape(desk.server.url) + r"/survey/[A-Za-z0-9_.\-]+", survey_text)
    assert found is not None, survey_text
    survey = page.context.new_page()
    survey.goto(found.group(0))
    expect(survey.get_by_role("group", name=re.compile("How satisfied"))).to_be_visible()
