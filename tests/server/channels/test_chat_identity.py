"""Typed identities: a chat visitor or a form cannot take over a customer, on both backends.

A real dovecot brings the victim's mail in and a real SMTP sink takes what leaves, around a
live server (the email channel's own fixture); the visitor speaks plain HTTP, the agents push.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels.support import wait_until
from tests.server.channels.test_email_channel import (  # noqa: F401 - fixtures
    MailDesk,
    mail,
    mail_desk,
    mid,
)
from tests.server.test_chat_api import Visitor


@pytest.fixture
def mails(request: pytest.FixtureRequest, backend: str) -> MailDesk:
    """The email channel's module server (``mail_desk``), with the SMTP sink emptied."""
    running: MailDesk = request.getfixturevalue("mail_desk")
    running.smtp.clear()
    return running


def _address(tag: str) -> str:
    return f"{tag}.{uuid.uuid4().hex[:8]}@customer.example"


def _victim(mails: MailDesk, address: str, name: str = "Vic Tim") -> str:
    """A customer who wrote from ``address`` (a verified identity); their customer id."""
    message_id = mid("victim")
    mails.deliver(mail(message_id, "My account", sender=f"{name} <{address}>"))
    msg = mails.wait_message(message_id)
    customer: str = mails.conversation(msg["conversation_id"])["customer_id"]
    return customer


def _claims(mails: MailDesk, customer_id: str) -> dict[str, dict[str, Any]]:
    return {
        c["value"]: c
        for c in mails.entities("identity_claim").values()
        if c["customer_id"] == customer_id
    }


def _email_owners(mails: MailDesk) -> dict[str, tuple[str, bool]]:
    return {
        i["value"]: (i["customer_id"], i["verified"])
        for i in mails.entities("identity").values()
        if i["kind"] == "email"
    }


def test_a_typed_email_merges_nobody_and_routes_no_mail(mails: MailDesk) -> None:
    victim_address, typed = _address("vic"), _address("mallory")
    victim = _victim(mails, victim_address)
    visitor = Visitor.start(mails.server.url)
    conv = visitor.say("Hi, it's Vic: please change my delivery address")["conversation_id"]

    # The answer is the same for a customer's address and anyone else's (no enumeration).
    for address in (victim_address.upper(), typed):
        r = visitor.call("POST", "/chat/api/email", json={"email": address})
        assert r.status_code == 200 and r.json() == {"linked": "noted"}, r.text

    mine = mails.conversation(conv)["customer_id"]
    assert mine != victim and "email-unverified" in mails.conversation(conv)["tags"]
    assert mails.entities("customer")[mine]["merged_into_id"] is None
    owners = _email_owners(mails)
    assert owners[victim_address.lower()] == (victim, True)  # the victim's profile is untouched
    assert typed.lower() not in owners  # a typed address is no identity of anyone
    claims = _claims(mails, mine)
    assert claims[victim_address.lower()]["match_customer_id"] == victim  # a suggestion
    assert claims[typed.lower()]["match_customer_id"] is None
    assert not {"session_hash", "token_hash"} & set(claims[typed.lower()])  # server-only

    # Later mail from the address the visitor typed lands on nobody it was typed for.
    later = mid("later")
    mails.deliver(mail(later, "Ship to my new address", sender=f'"Vic Tim" <{typed}>'))
    msg = mails.wait_message(later)
    owner = mails.conversation(msg["conversation_id"])["customer_id"]
    assert owner not in (victim, mine)
    assert _email_owners(mails)[typed.lower()] == (owner, True)
    victims_threads = [
        c for c in mails.entities("conversation").values() if c["customer_id"] == victim
    ]
    assert len(victims_threads) == 1


def test_the_contact_form_in_someones_name_files_nothing_in_their_history(
    mails: MailDesk,
) -> None:
    victim_address = _address("form-vic")
    victim = _victim(mails, victim_address, name="Fran Oakes")
    r = Visitor(mails.server.url).call(
        "POST",
        "/chat/api/contact",
        json={"name": "Fran Oakes", "email": victim_address, "text": "Cancel my order 88"},
    )
    assert r.status_code == 201, r.text
    conv_id = r.json()["conversation_id"]
    form_customer = mails.conversation(conv_id)["customer_id"]
    assert form_customer != victim
    assert _claims(mails, form_customer)[victim_address.lower()]["match_customer_id"] == victim
    # The agent's reply goes to the address typed in the form (that is what it is for).
    mails.reply(conv_id, "We will look into it.")
    [sent] = mails.smtp.wait(1)
    assert sent.rcpt_tos == [victim_address.lower()]


def _audit(db_url: str, action: str, entity_id: str) -> list[m.AuditEntry]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return list(
                s.scalars(
                    sa.select(m.AuditEntry).where(
                        m.AuditEntry.action == action, m.AuditEntry.entity_id == entity_id
                    )
                )
            )
    finally:
        engine.dispose()


def test_only_an_agent_links_the_possible_match_and_it_is_audited(
    mails: MailDesk, shared_users: dict[str, TestUser]
) -> None:
    victim_address = _address("link-vic")
    victim = _victim(mails, victim_address, name="Lin Kim")
    visitor = Visitor.start(mails.server.url)
    conv = visitor.say("Where is my parcel?")["conversation_id"]
    assert visitor.call("POST", "/chat/api/email", json={"email": victim_address}).ok
    mine = mails.conversation(conv)["customer_id"]
    claim = _claims(mails, mine)[victim_address.lower()]
    link = ("customer.link_match", {"claim_id": claim["id"], "conversation_id": conv})

    trainee = Raw.signed_in(mails.server, shared_users["tia"])
    [refused] = trainee.push(link)
    assert refused["status"] == "rejected" and refused["reason"]["code"] == "forbidden"
    assert mails.conversation(conv)["customer_id"] == mine

    [done] = mails.agent.push(link)
    assert done["status"] == "applied", done
    assert mails.conversation(conv)["customer_id"] == victim
    assert mails.entities("customer")[mine]["merged_into_id"] == victim  # a mere visitor: merged
    assert mails.entities("identity_claim")[claim["id"]]["linked_at"] is not None
    [entry] = _audit(mails.db_url, "customer.link_match", claim["id"])
    [ann] = [u["id"] for u in mails.entities("user").values() if u["username"] == "ann"]
    assert entry.actor_user_id == ann
    assert entry.after is not None and entry.after["customer_id"] == victim
    assert entry.after["how"] == "merged"
    assert _audit(mails.db_url, "customer.merge", mine)  # undoable like any merge

    # Now the conversation has the customer's verified address, and the transcript goes there.
    mails.smtp.clear()
    r = visitor.call("POST", "/chat/api/transcript", json={})
    assert r.status_code == 202 and r.json()["status"] == "sent", r.text
    [mailed] = mails.smtp.wait(1)
    assert mailed.rcpt_tos == [victim_address.lower()]
    wait_until(
        lambda: (
            mails.entities("message")[r.json()["message_id"]]["delivery_status"] == "sent" or None
        ),
        what="the transcript to be sent",
    )


def test_a_display_name_that_is_an_address_is_no_name(mails: MailDesk) -> None:
    real = _address("spoof")
    message_id = mid("spoof")
    mails.deliver(mail(message_id, "Invoice", sender=f'"support@store.example" <{real}>'))
    msg = mails.wait_message(message_id)
    customer = mails.entities("customer")[mails.conversation(msg["conversation_id"])["customer_id"]]
    assert customer["name"] == real.lower()
    assert msg["author_name"] == real.lower()
