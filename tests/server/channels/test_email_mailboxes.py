"""Several IMAP mailboxes on one server: a real dovecot with three logins, two real SMTP sinks.

The first mailbox is configured as a single-mailbox server always was (``channel add email``),
so this also shows an existing configuration keeps working; a second one has its own SMTP
server, a third (added while the server runs) sends through the shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.email_inbound import STATE_KEY
from csdesk.server.channels.vault import Vault
from tests.helpers.data import new_id
from tests.helpers.http import Raw
from tests.helpers.mail import Dovecot, SmtpSink
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import state_for, wait_until
from tests.server.channels.test_email_channel import (
    FROM,
    IMAP_PASSWORD,
    IMAP_USER,
    SMTP_PASSWORD,
    SMTP_USER,
    channel_add,
    email_args,
    mail,
    mid,
)

SALES_PASSWORD = "sales-imap-4c1d"
SALES_SMTP_USER = "sales-relay"
SALES_SMTP_PASSWORD = "sales-smtp-9e0f"
BILLING_PASSWORD = "billing-imap-77ab"
SECRETS = (IMAP_PASSWORD, SMTP_PASSWORD, SALES_PASSWORD, SALES_SMTP_PASSWORD, BILLING_PASSWORD)


@dataclass
class Office:
    server: ServerProcess
    agent: Raw
    dovecot: Dovecot
    shared_smtp: SmtpSink
    sales_smtp: SmtpSink
    db_url: str
    data_dir: Path

    def cli(self, *args: str, **env: str) -> Any:
        return channel_add(self.db_url, self.data_dir, *args, **env)

    def inbound(self, subject: str) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            changes, _ = self.agent.pull_all()
            for c in changes:
                data = c["data"]
                if c["entity"] == "message" and data and data["subject"] == subject:
                    return dict(data)
            return None

        return wait_until(probe, 20, f"the mail {subject!r}")

    def reply(self, conv_id: str, text: str) -> str:
        message_id = new_id()
        (result,) = self.agent.push(
            (
                "message.send",
                {"conversation_id": conv_id, "message_id": message_id, "body_text": text},
            )
        )
        assert result["status"] == "applied", result
        return message_id


def _mailbox_args(name: str, user: str, port: int, address: str, *extra: str) -> list[str]:
    return [
        "email", "add", "--name", name,
        "--imap-host", "127.0.0.1", "--imap-port", str(port), "--imap-security", "none",
        "--imap-user", user, "--from", address, *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def office(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Office]:
    dovecot = Dovecot(
        {IMAP_USER: IMAP_PASSWORD, "sales": SALES_PASSWORD, "billing": BILLING_PASSWORD}
    ).start()
    shared = SmtpSink(SMTP_USER, SMTP_PASSWORD).start()
    own = SmtpSink(SALES_SMTP_USER, SALES_SMTP_PASSWORD).start()
    proc: ServerProcess | None = None
    try:
        add_users(backend, list(shared_users.values()))
        data_dir = tmp_path_factory.mktemp("data")
        done = channel_add(
            backend,
            data_dir,
            *email_args(dovecot.port, shared.port),
            CSDESK_IMAP_PASSWORD=IMAP_PASSWORD,
            CSDESK_SMTP_PASSWORD=SMTP_PASSWORD,
        )
        assert done.returncode == 0, done.stderr
        args = _mailbox_args(
            "sales", "sales", dovecot.port, "Store Sales <sales@store.example>",
            "--smtp-host", "127.0.0.1", "--smtp-port", str(own.port),
            "--smtp-security", "none", "--smtp-user", SALES_SMTP_USER,
        )  # fmt: skip
        done = channel_add(
            backend,
            data_dir,
            *args,
            CSDESK_IMAP_PASSWORD=SALES_PASSWORD,
            CSDESK_SMTP_PASSWORD=SALES_SMTP_PASSWORD,
        )
        assert done.returncode == 0, done.stderr
        assert "a further mailbox" in done.stdout
        proc = ServerProcess(
            backend,
            log_path=tmp_path_factory.mktemp("log") / "server.log",
            extra_args=["--data-dir", str(data_dir)],
        )
        proc.start()
        yield Office(
            proc, Raw.signed_in(proc, shared_users["ann"]), dovecot, shared, own, backend, data_dir
        )
        proc.stop()
        assert proc.log_path is not None
        log = proc.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        assert not [s for s in SECRETS if s in log], "secrets in the server log"
    finally:
        if proc is not None:
            proc.stop()
        shared.stop()
        own.stop()
        dovecot.stop()


def _add_billing(office: Office) -> None:
    """A third mailbox, sending through the shared SMTP server, added while the server runs
    (once per module: the tests of a module may run in any order and on any xdist worker)."""
    if any(line.startswith("billing:") for line in office.cli("email", "list").stdout.split("\n")):
        return
    args = _mailbox_args("billing", "billing", office.dovecot.port, "billing@store.example")
    done = office.cli(*args, CSDESK_IMAP_PASSWORD=BILLING_PASSWORD)
    assert done.returncode == 0, done.stderr


def test_each_mailbox_opens_conversations_and_replies_leave_from_it(office: Office) -> None:
    _add_billing(office)

    subjects = {
        IMAP_USER: "Parcel never came",
        "sales": "Bulk order of 40 chairs",
        "billing": "Charged twice",
    }
    for user, subject in subjects.items():
        office.dovecot.deliver(user, mail(mid(), subject, sender=f"{user}-fan@customer.example"))
    convs = {user: office.inbound(subject)["conversation_id"] for user, subject in subjects.items()}
    assert len(set(convs.values())) == 3  # one conversation per mail, none merged

    for user in subjects:
        office.reply(convs[user], f"Answer for {user}")
    shared = {r.message["From"]: r for r in office.shared_smtp.wait(2)}
    (sales,) = office.sales_smtp.wait(1)

    assert set(shared) == {FROM, "billing@store.example"}
    assert shared[FROM].mail_from == "support@store.example"
    assert shared[FROM].rcpt_tos == [f"{IMAP_USER}-fan@customer.example"]
    assert shared["billing@store.example"].mail_from == "billing@store.example"
    assert shared["billing@store.example"].login == SMTP_USER
    assert shared["billing@store.example"].rcpt_tos == ["billing-fan@customer.example"]
    assert sales.message["From"] == "Store Sales <sales@store.example>"
    assert sales.mail_from == "sales@store.example" and sales.login == SALES_SMTP_USER
    assert sales.rcpt_tos == ["sales-fan@customer.example"]
    assert "Answer for sales" in sales.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # Each mailbox keeps its own UID cursor.
    def cursors() -> dict[str, Any] | None:
        state = state_for(office.db_url, office.data_dir)
        try:
            with state.reads() as s:
                cfg = config_store.load(s, Vault(office.data_dir), Provider.EMAIL)
        finally:
            state.engine.dispose()
        assert cfg is not None
        found = dict(cfg.settings[STATE_KEY])
        return found if len(found) == 3 else None

    keys = wait_until(cursors, 10, "three IMAP cursors")
    assert {k.split("@", 1)[0] for k in keys} == {IMAP_USER, "sales", "billing"}


def test_mailboxes_are_listed_and_removed_without_showing_secrets(office: Office) -> None:
    _add_billing(office)
    listed = office.cli("email", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("default: from Store Support <support@store.example>")
    assert lines[0].endswith(", shared)")
    by_name = {line.split(":", 1)[0]: line for line in lines}
    assert by_name["sales"].endswith(", its own)")
    assert f"SMTP 127.0.0.1:{office.sales_smtp.port}" in by_name["sales"]
    assert by_name.get("billing", "").endswith(", the first mailbox's)")
    overview = office.cli("list")
    assert (
        overview.returncode == 0 and "mailboxes: default (above), billing, sales" in overview.stdout
    )
    for out in (listed.stdout, overview.stdout):
        assert not [s for s in SECRETS if s in out]

    refused = office.cli("email", "remove", "default")
    assert refused.returncode == 2 and "remove the others first" in refused.stderr
    bad = office.cli(
        *_mailbox_args("Bad Name", "x", 1, "x@store.example"), CSDESK_IMAP_PASSWORD="p"
    )
    assert bad.returncode == 2 and "must be 1-32 lowercase" in bad.stderr
    half = office.cli(
        *_mailbox_args("half", "x", 1, "x@store.example", "--smtp-user", "u"),
        CSDESK_IMAP_PASSWORD="p",
    )
    assert half.returncode == 2 and "give --smtp-host" in half.stderr

    removed = office.cli("email", "remove", "billing")
    assert removed.returncode == 0, removed.stderr
    assert office.cli("email", "remove", "billing").returncode == 1
    after = office.cli("email", "list").stdout
    assert "billing" not in after and "sales:" in after
    # The worker of a removed mailbox disconnects (dovecot logs its logout) and its mail is no
    # longer imported.
    wait_until(
        lambda: (
            True
            if any(
                "imap(billing)" in line and "Logged out" in line
                for line in office.dovecot.log_text().splitlines()
            )
            else None
        ),
        15,
        "the billing worker to log out",
    )
    marker = "Anyone reading billing?"
    office.dovecot.deliver("billing", mail(mid(), marker))
    office.dovecot.deliver("sales", mail(mid(), "Sales still works"))
    office.inbound("Sales still works")
    changes, _ = office.agent.pull_all()
    assert not [c for c in changes if c["data"] and c["data"].get("subject") == marker]


def test_re_adding_the_first_mailbox_keeps_the_others(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    add_users(db_url, [])
    first = email_args(1143, 1025)
    assert channel_add(db_url, tmp_path, *first, CSDESK_IMAP_PASSWORD="p1").returncode == 0
    more = _mailbox_args("sales", "sales", 1143, "sales@store.example")
    assert channel_add(db_url, tmp_path, *more, CSDESK_IMAP_PASSWORD="p2").returncode == 0
    # The operator changes the first mailbox the way they always did.
    again = [a if a != "30" else "45" for a in first]  # --poll-seconds 45
    assert channel_add(db_url, tmp_path, *again, CSDESK_IMAP_PASSWORD="p1b").returncode == 0
    state = state_for(db_url, tmp_path)
    try:
        with state.reads() as s:
            cfg = config_store.load(s, Vault(tmp_path), Provider.EMAIL)
    finally:
        state.engine.dispose()
    assert cfg is not None
    assert config_store.mailbox_names(cfg) == ["default", "sales"]
    default, sales = config_store.mailboxes(cfg)
    assert default.secret("imap_password") == "p1b" and sales.secret("imap_password") == "p2"
    # The further mailbox inherits the shared settings, keeps its own login and address.
    assert sales.settings["poll_seconds"] == 45 and sales.text("imap_user") == "sales"
    assert sales.text("smtp_host") == "127.0.0.1" and sales.settings["smtp_port"] == 1025
    assert sales.secret("smtp_password") == "" and sales.text("smtp_user") == SMTP_USER
    # Replies find their mailbox by the address the customer wrote to; routes recorded before
    # there were several mailboxes name the IMAP login; anything else is the first mailbox.
    assert config_store.mailbox_for_reply(cfg, "Sales@Store.example").text("name") == "sales"
    assert config_store.mailbox_for_reply(cfg, IMAP_USER).text("name") == "default"
    assert config_store.mailbox_for_reply(cfg, None).text("name") == "default"
