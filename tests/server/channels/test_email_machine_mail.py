"""Machine mail, sender checks and re-deliveries end to end: a real dovecot and SMTP sink around a
live server (issue 9, items 18, 19, 21, 24).

What an agent's desk receives is read from the change feed; mail is put in the mailbox with
IMAP APPEND and imported in UID order, so a marker mail delivered last shows when the worker
has handled everything before it.
"""

from __future__ import annotations

from typing import Any

from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.email_inbound import STATE_KEY
from csdesk.storage import models as m
from tests.server.channels import test_email_channel as base
from tests.server.channels.support import state_for
from tests.server.channels.test_email_channel import MailDesk, mail, mid

mail_desk = base.mail_desk  # this module's own server, dovecot and SMTP sink
desk = base.desk


def _dsn(returned_id: str, recipient: str, subject: str, dsn_id: str | None = None) -> bytes:
    return (
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
        f"To: {base.FROM}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {dsn_id or mid('dsn')}\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {base.FROM}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
        f"Message-ID: {returned_id}\r\n\r\n--b--\r\n"
    ).encode()


def _customers(desk: MailDesk) -> dict[str, dict[str, Any]]:
    return desk.entities("customer")


def test_a_bounce_fails_the_reply_and_files_into_its_conversation(desk: MailDesk) -> None:
    first = mid()
    desk.deliver(mail(first, "Wrong colour", sender="gus@customer.example"))
    conv_id = desk.wait_message(first)["conversation_id"]
    reply_id = desk.reply(conv_id, "We are sending the blue one.")
    (sent,) = desk.smtp.wait(1)
    desk.wait_status(reply_id, "sent")
    (done,) = desk.agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert done["status"] == "applied", done
    customers_before = set(_customers(desk))

    desk.deliver(_dsn(sent.message["Message-ID"], "gus@customer.example", sent.message["Subject"]))

    failed = desk.wait_status(reply_id, "failed")
    assert "gus@customer.example" in failed["failure_reason"]
    assert "5.1.1" in failed["failure_reason"]
    bounce = desk.wait_subject("Undelivered Mail Returned to Sender")
    assert bounce["conversation_id"] == conv_id
    assert bounce["is_auto"] and bounce["auto_kind"] == "delivery_report"
    assert desk.conversation(conv_id)["status"] == "resolved"  # never reopened
    assert set(_customers(desk)) == customers_before  # no customer for the mailer daemon
    assert len(desk.smtp.received) == 1  # nothing answered the machine


def test_machine_mail_from_strangers_sender_checks_and_group_relays(desk: MailDesk) -> None:
    ooo, stray_bounce = mid("ooo"), mid("dsn")
    desk.deliver(
        mail(
            ooo,
            "Automatic reply: hello",
            "I am out of the office.",
            sender="Stranger <stranger@elsewhere.example>",
            headers="Auto-Submitted: auto-replied\r\n",
        )
    )
    desk.deliver(_dsn("<never-sent@store.example>", "x@elsewhere.example", "Hi", stray_bounce))
    spoof = mid("spoof")
    desk.deliver(
        b"Authentication-Results: mx.store.example; spf=fail smtp.mailfrom=bank.example;"
        b" dmarc=fail (p=reject) header.from=bank.example\r\n"
        + mail(spoof, "Refund approved", sender="Bank <service@bank.example>")
    )
    relayed = mid("group")
    desk.deliver(
        mail(
            relayed,
            "Order 88 missing",
            "Nothing arrived.",
            sender="'Hana Ito' via Store Support <support@groups.example>",
            headers=(
                "X-Original-Sender: hana.ito@customer.example\r\n"
                "List-Id: <support.store.example>\r\nPrecedence: list\r\n"
            ),
        )
    )

    warned = desk.wait_message(spoof)
    assert warned["sender_warning"] == "DMARC failed for bank.example"
    group = desk.wait_message(relayed)  # imported after the two machine mails
    conv = desk.conversation(group["conversation_id"])
    assert conv["status"] == "open"  # a person wrote it: it waits for an answer
    identities = {i["value"]: i["customer_id"] for i in desk.entities("identity").values()}
    assert identities.get("hana.ito@customer.example") == conv["customer_id"]
    assert "support@groups.example" not in identities
    assert "stranger@elsewhere.example" not in identities
    stored = {msg["provider_message_id"] for msg in desk.entities("message").values()}
    assert ooo not in stored and stray_bounce not in stored
    log = desk.log_text()
    assert "auto reply" in log and "not filed, it stays in the mailbox" in log
    assert "delivery report" in log


def test_re_reading_the_mailbox_keeps_each_mail_once_and_reused_ids_apart(
    desk: MailDesk,
) -> None:
    shared = mid("reused")
    late = mail(shared, "Late parcel", "My parcel is late.", sender="ina@customer.example")
    desk.deliver(late)
    desk.deliver(
        mail(shared, "Norway?", "Do you ship to Norway?", sender="jon@other.example", ahead=1)
    )
    # The same mail delivered a second time (to another alias of the mailbox): a new UID.
    desk.deliver(b"Delivered-To: help@store.example\r\n" + late)
    other = desk.wait_subject("Norway?")
    first = desk.wait_subject("Late parcel")
    assert other["id"] != first["id"]
    assert first["provider_message_id"] == shared  # replies quoting it thread to the first
    assert other["provider_message_id"].startswith(shared + "#")

    # The cursor is lost (or the mailbox renumbered): every mail is read again by its UID.
    _reset_cursor(desk)
    marker = mid("marker")
    desk.deliver(mail(marker, "Marker"))  # wakes IDLE and is read last
    desk.wait_message(marker)
    messages = list(desk.entities("message").values())
    inbound = [m["provider_message_id"] for m in messages if m["direction"] == "in"]
    assert len(inbound) == len(set(inbound))
    assert [m["id"] for m in messages if m["provider_message_id"] == shared] == [first["id"]]


def _reset_cursor(desk: MailDesk) -> None:
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.writes() as s:
            row = s.get(m.ChannelConfig, Provider.EMAIL.value, with_for_update=True)
            assert row is not None
            settings = dict(row.settings or {})
            settings[STATE_KEY] = {
                key: {**entry, "uid": 0} for key, entry in settings[STATE_KEY].items()
            }
            row.settings = settings
            s.commit()
    finally:
        state.engine.dispose()


def test_with_an_authserv_id_only_that_servers_verdict_counts(desk: MailDesk) -> None:
    done = base.channel_add(
        desk.db_url,
        desk.data_dir,
        *base.email_args(desk.dovecot.port, desk.smtp.port, "--authserv-id", "mx.store.example"),
        CSDESK_IMAP_PASSWORD=base.IMAP_PASSWORD,
        CSDESK_SMTP_PASSWORD=base.SMTP_PASSWORD,
    )
    assert done.returncode == 0, done.stderr
    foreign, ours = mid("foreign"), mid("ours")
    desk.deliver(
        b"Authentication-Results: relay.elsewhere.example; dmarc=fail header.from=a.example\r\n"
        + mail(foreign, "Forged verdict", sender="a@a.example")
    )
    desk.deliver(
        b"Authentication-Results: mx.store.example; dkim=fail header.d=b.example\r\n"
        + mail(ours, "Our verdict", sender="b@b.example")
    )
    # The channel is picked up and the mailbox read on the server's next rounds: under load
    # that took over 30 s once (a deadline, not a speed figure).
    assert desk.wait_message(ours, timeout=90)["sender_warning"] == "DKIM failed"
    assert desk.wait_message(foreign)["sender_warning"] is None
