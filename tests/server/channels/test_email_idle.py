"""The IMAP worker's wait for new mail against a real dovecot: no announcement is lost.

A server says "* N EXISTS" once, in the answer to whatever command runs when the mail lands;
when that is the FETCH of the previous mail, the worker must read the new one at once instead
of going into IDLE and hearing nothing until IDLE renews (30 s in the tests, 29 min at most).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from csdesk.server.channels.email_inbound import idle_for_news, new_uids, news_pending
from tests.helpers.mail import Dovecot
from tests.server.channels.test_email_channel import IMAP_PASSWORD, IMAP_USER, mail, mid


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot({IMAP_USER: IMAP_PASSWORD}).start()
    try:
        yield server
    finally:
        server.stop()


def _idle_in_thread(imap: object, renew: float) -> tuple[threading.Thread, list[bool]]:
    result: list[bool] = []
    stop = threading.Event()

    def run() -> None:
        result.append(idle_for_news(imap, renew, stop.is_set))  # type: ignore[arg-type]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_mail_announced_during_another_command_ends_the_wait_at_once(dovecot: Dovecot) -> None:
    imap = dovecot.connect(IMAP_USER)
    try:
        imap.select("INBOX", readonly=True)
        news_pending(imap)
        seen = new_uids(imap, 0)
        dovecot.deliver(IMAP_USER, mail(mid("during"), "Arrived during a fetch"))
        imap.noop()  # stands for the FETCH of the previous mail: it carries "* N EXISTS"
        assert "EXISTS" in imap.untagged_responses
        thread, result = _idle_in_thread(imap, renew=600.0)
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker slept through mail it had been told about"
        assert result == [False]  # woken by news, not stopped
        assert len(new_uids(imap, max(seen, default=0))) == 1
        assert not news_pending(imap)  # forgotten once read
    finally:
        imap.logout()


def test_mail_arriving_during_idle_ends_it_and_a_quiet_mailbox_waits(dovecot: Dovecot) -> None:
    imap = dovecot.connect(IMAP_USER)
    try:
        imap.select("INBOX", readonly=True)
        news_pending(imap)
        before = new_uids(imap, 0)
        quiet, quiet_result = _idle_in_thread(imap, renew=1.0)  # nothing arrives: renews
        quiet.join(timeout=60)
        assert quiet_result == [False] and new_uids(imap, max(before, default=0)) == []

        thread, result = _idle_in_thread(imap, renew=600.0)
        dovecot.deliver(IMAP_USER, mail(mid("idle"), "Arrived during IDLE"))
        thread.join(timeout=60)
        assert not thread.is_alive() and result == [False]
        assert len(new_uids(imap, max(before, default=0))) == 1
    finally:
        imap.logout()
