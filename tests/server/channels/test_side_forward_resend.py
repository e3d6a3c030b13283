"""A thread forward sent again after a failed attempt (the SMTP server down, then
``side.retry``; docs/side-conversations.md), on SQLite and PostgreSQL with a real dovecot and
SMTP sink around a live server whose mailbox sends at most 3,000 bytes of files per mail:

* the files a thread does not fit are named once, in the mail and in the desk's copy, however
  many attempts it took (a failed attempt keeps the forward's own text);
* the files are those of the messages the forward carried when it was made
  (``side_messages.forwarded_ids``), not those of a conversation merged into it since.
"""

from __future__ import annotations

from csdesk.domain import side_mail as rules
from tests.server.channels.test_email_channel import MailDesk, mid
from tests.server.channels.test_side_retry_and_files import (  # noqa: F401 (fixtures)
    _file,
    _forward,
    _mail_with_files,
    _side_message,
    desk,
    small_desk,
)


def test_a_retried_thread_forward_names_the_left_out_files_once(desk: MailDesk) -> None:  # noqa: F811
    """The sentence on the files left out is said once after a failed attempt and a retry."""
    old, newer = _file("old-photo.bin", 2000), _file("label.bin", 1500)  # 3,500 > 3,000
    first = mid()
    desk.deliver(_mail_with_files(first, "Torn parcel", "Photo attached.", [old]))
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    second = mid()
    desk.deliver(
        _mail_with_files(second, "Re: Torn parcel", "And the label.", [newer],
                         headers=f"In-Reply-To: {first}\r\n")
    )  # fmt: skip
    assert desk.wait_message(second)["conversation_id"] == conv_id
    desk.smtp.stop()
    try:
        _side, out_id, result = _forward(desk, conv_id)
        assert result["status"] == "applied", result
        _side_message(desk, out_id, "failed")
    finally:
        desk.smtp.start()
    (again,) = desk.agent.push(("side.retry", {"side_message_id": out_id}))
    assert again["status"] == "applied", again
    (got,) = desk.smtp.wait(1, timeout=60)
    text = got.message.get_body(("plain",)).get_content()
    assert text.count(rules.FILES_LEFT_OUT) == 1, text
    sent = _side_message(desk, out_id, "sent")
    assert sent["body_text"].count(rules.FILES_LEFT_OUT) == 1, sent["body_text"]


def test_a_retried_thread_forward_carries_only_the_forwarded_threads_files(
    desk: MailDesk,  # noqa: F811
) -> None:
    """A conversation merged into the forwarded one between the forward and its sending (the
    SMTP server down, then side.retry) adds none of its files: the text never showed them."""
    mine, other = _file("one.bin", 400), _file("private-scan.bin", 400)
    first = mid()
    desk.deliver(_mail_with_files(first, "Order 17", "Here is my receipt.", [mine]))
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    second = mid()
    desk.deliver(_mail_with_files(second, "Passport copy", "For the other matter.", [other]))
    other_conv = desk.wait_message(second, timeout=60)["conversation_id"]
    assert other_conv != conv_id
    desk.smtp.stop()
    try:
        _side, out_id, result = _forward(desk, conv_id)
        assert result["status"] == "applied", result
        _side_message(desk, out_id, "failed")
    finally:
        desk.smtp.start()
    merge = {"source_conversation_id": other_conv, "target_conversation_id": conv_id}
    (merged,) = desk.agent.push(("conversation.merge", merge))
    assert merged["status"] == "applied", merged
    (again,) = desk.agent.push(("side.retry", {"side_message_id": out_id}))
    assert again["status"] == "applied", again
    (got,) = desk.smtp.wait(1, timeout=60)
    text = got.message.get_body(("plain",)).get_content()
    assert "For the other matter." not in text  # the text is the forward's
    names = {p.get_filename() for p in got.message.iter_attachments()}
    assert names == {"one.bin"}, names
