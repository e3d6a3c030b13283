"""Merging two conversations of one customer, undoing it and splitting a message off, over a
live server on SQLite and PostgreSQL (docs/merge-split.md): the thread interleaves, inbound
messages follow the merge, the undo is exact and refused once a new message came in, a split
notes both sides, a replayed id changes nothing and bad ids are a clear 4xx, never a 5xx."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from csdesk.domain.enums import Channel, Direction, IdentityKind, Realm
from csdesk.domain.mentions import mention_id
from csdesk.protocol import Entity, MutationType
from csdesk.server.channels.conversations import conversation_token
from csdesk.server.channels.inbound import Handle, InboundMessage
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.wire import to_wire
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

Users = dict[str, TestUser]
MERGE, UNMERGE, SPLIT = (
    MutationType.CONVERSATION_MERGE.value,
    MutationType.CONVERSATION_UNMERGE.value,
    MutationType.CONVERSATION_SPLIT.value,
)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _new() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def state(live: ServerProcess, backend: str) -> Iterator[ServerState]:
    st = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        yield st
    finally:
        st.engine.dispose()


def _customer(
    state: ServerState, threads: list[tuple[Channel, list[int]]], phone: str | None = None
) -> tuple[str, list[str], list[list[str]]]:
    """A customer with one conversation per ``(channel, [minutes after T0 of each inbound
    message])``; returns (customer id, conversation ids, message ids per conversation)."""
    cust = m.Customer(id=_new(), realm=Realm.PRODUCTION.value, name=f"Cus {_new()[:6]}")
    convs, msgs = [], []
    rows: list[Any] = [cust]
    if phone:
        rows.append(
            m.CustomerIdentity(
                id=_new(),
                customer_id=cust.id,
                kind=IdentityKind.PHONE.value,
                value=phone,
                verified=True,
            )
        )
    for channel, minutes in threads:
        conv = m.Conversation(
            id=_new(),
            customer_id=cust.id,
            channel=channel.value,
            subject=f"About {channel.value}",
            message_count=len(minutes),
            last_message_at=T0 + timedelta(minutes=max(minutes)),
            created_at=T0 + timedelta(minutes=min(minutes)),
        )
        rows.append(conv)
        ids = []
        for n in minutes:
            msg = m.Message(
                id=_new(),
                conversation_id=conv.id,
                channel=channel.value,
                direction=Direction.IN.value,
                body_text=f"{channel.value} at {n}",
                author_name=cust.name,
                delivery_status="received",
                created_at=T0 + timedelta(minutes=n),
            )
            rows.append(msg)
            ids.append(msg.id)
        convs.append(conv.id)
        msgs.append(ids)
    with state.writes() as s:
        s.add_all(rows)
        s.commit()
    return cust.id, convs, msgs


def _note_phrases(state: ServerState, cid: str) -> list[object]:
    """The phrases of a conversation's notes, as the feed sends them."""
    with state.reads() as s:
        notes = s.scalars(
            select(m.Message).where(m.Message.conversation_id == cid, m.Message.is_note)
        )
        return [p for note in notes for p in to_wire(note)["body_phrases"] or []]


def _thread(state: ServerState, cid: str) -> list[tuple[str, str | None, bool]]:
    """(body, merged_from_id, is_note) of a conversation's messages in time order."""
    with state.reads() as s:
        return [
            (r.body_text, r.merged_from_id, r.is_note)
            for r in s.scalars(
                select(m.Message)
                .where(m.Message.conversation_id == cid)
                .order_by(m.Message.created_at, m.Message.id)
            )
        ]


def _conv(state: ServerState, cid: str) -> m.Conversation:
    with state.reads() as s:
        return s.get_one(m.Conversation, cid)


def _audits(state: ServerState, cid: str) -> list[str]:
    with state.reads() as s:
        return list(
            s.scalars(
                select(m.AuditEntry.action)
                .where(m.AuditEntry.entity == "conversation", m.AuditEntry.entity_id == cid)
                .order_by(m.AuditEntry.id)
            )
        )


def _merge_args(source: str, target: str) -> dict[str, str]:
    return {"source_conversation_id": source, "target_conversation_id": target}


def test_merge_interleaves_the_thread_and_closes_the_source(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat), _ = _customer(state, [(Channel.EMAIL, [0, 20]), (Channel.CHAT, [10, 30])])
    (res,) = ann.push((MERGE, _merge_args(chat, email)))
    assert res["status"] == "applied", res
    assert _thread(state, email) == [
        ("email at 0", None, False),
        ("chat at 10", chat, False),
        ("email at 20", None, False),
        ("chat at 30", chat, False),
    ]
    assert _thread(state, chat) == []
    target, source = _conv(state, email), _conv(state, chat)
    assert target.message_count == 4 and target.preview == "chat at 30"
    assert target.last_message_at == T0 + timedelta(minutes=30)
    assert source.merged_into_id == email and source.merged_at is not None
    assert source.status == "resolved" and source.message_count == 0
    assert _audits(state, chat) == [MERGE] and _audits(state, email) == [MERGE]
    # The desk learns it from the feed: the source's pointer and the moved messages.
    changes, _ = ann.pull_all()
    latest = {(c["entity"], c["id"]): c["data"] for c in changes}
    assert latest[("conversation", chat)]["merged_into_id"] == email
    moved = [d for (e, _), d in latest.items() if e == "message" and d["merged_from_id"] == chat]
    assert len(moved) == 2 and all(d["conversation_id"] == email for d in moved)


def test_merge_is_refused_across_customers_into_itself_twice_and_across_realms(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    tia = Raw.signed_in(live, shared_users["tia"])  # a trainee: the training sandbox
    _, (mine, other), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.SMS, [5])])
    _, (stranger,), _ = _customer(state, [(Channel.EMAIL, [1])])
    (res,) = ann.push((MERGE, _merge_args(stranger, mine)))
    assert res["status"] == "rejected" and res["reason"]["code"] == "invalid"
    assert res["reason"]["template"].startswith("Only conversations of the same customer")
    assert set(res["reason"]["params"]) == {"source", "target"}
    (res,) = ann.push((MERGE, _merge_args(mine, mine)))
    assert res["reason"]["message"] == "A conversation cannot be merged into itself."
    (res,) = tia.push((MERGE, _merge_args(other, mine)))
    assert res["status"] == "rejected" and res["reason"]["code"] == "not_found"
    assert ann.push((MERGE, _merge_args(other, mine)))[0]["status"] == "applied"
    (res,) = ann.push((MERGE, _merge_args(other, mine)))
    assert res["reason"]["code"] == "conflict"
    (res,) = ann.push((MERGE, _merge_args(mine, other)))  # into a merged one
    assert res["reason"]["code"] == "conflict"
    assert _thread(state, stranger) == [("email at 1", None, False)]
    # Not across shops: two chats of one customer from two shops' widgets.
    _, (north, south), _ = _customer(state, [(Channel.CHAT, [0]), (Channel.CHAT, [5])])
    with state.writes() as s:
        s.get_one(m.Conversation, north).tags = ["store:north"]
        s.get_one(m.Conversation, south).tags = ["store:south"]
        s.commit()
    (res,) = ann.push((MERGE, _merge_args(north, south)))
    assert res["status"] == "rejected" and res["reason"]["code"] == "invalid"
    assert res["reason"]["params"] == {"source": "north", "target": "south"}


def test_inbound_for_the_merged_conversation_lands_in_the_target(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    _, (email, sms), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.SMS, [5])], phone)
    assert ann.push((MERGE, _merge_args(sms, email)))[0]["status"] == "applied"
    text = InboundMessage(
        channel=Channel.SMS,
        provider_message_id=f"SM{uuid.uuid4().hex}",
        sender_handle=Handle(IdentityKind.PHONE, phone),
        sender_name=None,
        text="Any news?",
        sent_at=datetime.now(UTC),
    )
    with state.writes() as s:
        result = ingest_message(s, text)
        s.commit()
    assert result.conversation_id == email and not result.conversation_created
    assert _thread(state, email)[-1] == ("Any news?", None, False)
    assert _conv(state, email).preview == "Any news?"
    assert _conv(state, sms).message_count == 0


def test_unmerge_restores_both_exactly(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat), msgs = _customer(state, [(Channel.EMAIL, [0, 20]), (Channel.CHAT, [10, 30])])
    assert ann.push(
        (MutationType.CONVERSATION_ASSIGN.value,
         {"conversation_id": chat, "assignee_id": shared_users["bob"].id}),
        (MutationType.CONVERSATION_TAGS.value, {"conversation_id": chat, "add": ["vip"]}),
        (MutationType.CONVERSATION_STATUS.value, {"conversation_id": chat, "status": "pending"}),
        (MutationType.CONVERSATION_CLAIM.value, {"conversation_id": email}),
    )[-1]["status"] == "applied"  # fmt: skip
    fields = [
        "status", "assignee_id", "tags", "message_count", "preview", "last_message_at",
        "waiting_since", "last_inbound_at", "resolved_at", "merged_into_id", "merged_at",
    ]  # fmt: skip
    before = {c: {f: getattr(_conv(state, c), f) for f in fields} for c in (email, chat)}
    threads = {c: _thread(state, c) for c in (email, chat)}
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    (res,) = ann.push((UNMERGE, {"conversation_id": chat}))
    assert res["status"] == "applied", res
    after = {c: {f: getattr(_conv(state, c), f) for f in fields} for c in (email, chat)}
    assert after == before
    assert {c: _thread(state, c) for c in (email, chat)} == threads
    assert _audits(state, chat)[-2:] == [MERGE, UNMERGE]
    assert _audits(state, email)[-2:] == [MERGE, UNMERGE]
    (res,) = ann.push((UNMERGE, {"conversation_id": chat}))  # nothing left to undo
    assert res["reason"]["code"] == "conflict"
    assert msgs  # the ids were made


def test_unmerge_is_refused_after_a_new_message(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.CHAT, [10])])
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    note = {"conversation_id": email, "message_id": _new(), "body_text": "Checked", "is_note": True}
    assert ann.push((MutationType.MESSAGE_SEND.value, note))[0]["status"] == "applied"
    (res,) = ann.push((UNMERGE, {"conversation_id": chat}))
    assert res["status"] == "rejected" and res["reason"]["code"] == "conflict"
    assert "can no longer be undone" in res["reason"]["message"]
    assert _conv(state, chat).merged_into_id == email
    assert [t[0] for t in _thread(state, email)] == ["email at 0", "chat at 10", "Checked"]


def test_split_moves_a_message_or_the_rest_into_a_new_conversation(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    cust, (conv,), (ids,) = _customer(state, [(Channel.EMAIL, [0, 10, 20, 30])])
    new = _new()
    args: dict[str, Any] = {
        "conversation_id": conv,
        "message_id": ids[1],
        "new_conversation_id": new,
    }
    (res,) = ann.push((SPLIT, args))
    assert res["status"] == "applied", res
    split_off = _conv(state, new)
    assert (split_off.customer_id, split_off.channel, split_off.status) == (cust, "email", "open")
    assert [(b, n) for b, _, n in _thread(state, new)] == [
        ("email at 10", False),
        (f"Split off from conversation #{conversation_token(conv)} (1 message(s)).", True),
    ]
    assert [(b, n) for b, _, n in _thread(state, conv)] == [
        ("email at 0", False),
        ("email at 20", False),
        ("email at 30", False),
        (f"1 message(s) split off into conversation #{conversation_token(new)}.", True),
    ]
    assert _conv(state, conv).message_count == 4 and split_off.message_count == 2
    assert _audits(state, conv) == [SPLIT] and _audits(state, new) == [SPLIT]
    # Issue 13: each note keeps its template and params, for the desk's language.
    assert _note_phrases(state, new) == [
        {
            "template": "Split off from conversation #{token} ({n} message(s)).",
            "params": {"n": 1, "token": conversation_token(conv)},
        }
    ]
    assert _note_phrases(state, conv) == [
        {
            "template": "{n} message(s) split off into conversation #{token}.",
            "params": {"n": 1, "token": conversation_token(new)},
        }
    ]
    # With the later messages: 20 and 30 go, 0 and the note stay.
    later = _new()
    args = {
        "conversation_id": conv, "message_id": ids[2], "new_conversation_id": later,
        "with_later": True,
    }  # fmt: skip
    assert ann.push((SPLIT, args))[0]["status"] == "applied"
    assert [b for b, _, n in _thread(state, later) if not n] == ["email at 20", "email at 30"]
    assert [b for b, _, n in _thread(state, conv) if not n] == ["email at 0"]
    # Nothing may be left behind; a message of another conversation is not found.
    args = {
        "conversation_id": conv, "message_id": ids[0], "new_conversation_id": _new(),
        "with_later": True,
    }  # fmt: skip
    (res,) = ann.push((SPLIT, args))
    assert res["reason"]["code"] == "invalid"
    args = {"conversation_id": conv, "message_id": ids[1], "new_conversation_id": _new()}
    assert ann.push((SPLIT, args))[0]["reason"]["code"] == "not_found"
    args = {"conversation_id": conv, "message_id": ids[0], "new_conversation_id": new}
    assert ann.push((SPLIT, args))[0]["reason"]["code"] == "conflict"  # the id is taken


def test_a_replayed_mutation_id_changes_nothing(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat), (_, chat_ids) = _customer(
        state, [(Channel.EMAIL, [0, 20]), (Channel.CHAT, [10, 30])]
    )
    merge = {"id": _new(), "type": MERGE, "args": _merge_args(chat, email)}
    assert ann.push(merge)[0]["status"] == "applied"
    unmerge = {"id": _new(), "type": UNMERGE, "args": {"conversation_id": chat}}
    assert ann.push(unmerge)[0]["status"] == "applied"
    (again,) = ann.push(merge)  # the same id again: the merge is not done a second time
    assert again["status"] == "duplicate" and again["original_status"] == "applied"
    assert _conv(state, chat).merged_into_id is None
    assert len(_thread(state, chat)) == 2
    split = {
        "id": _new(), "type": SPLIT,
        "args": {"conversation_id": chat, "message_id": chat_ids[1], "new_conversation_id": _new()},
    }  # fmt: skip
    assert ann.push(split)[0]["status"] == "applied"
    assert ann.push(split)[0]["status"] == "duplicate"
    assert [n for _, _, n in _thread(state, chat)] == [False, True]  # one note, one split


def test_bad_ids_are_refused_with_a_4xx_never_a_5xx(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (conv,), (ids,) = _customer(state, [(Channel.EMAIL, [0, 1])])
    cases: list[tuple[str, dict[str, Any], str]] = [
        (MERGE, _merge_args(_new(), conv), "not_found"),
        (MERGE, _merge_args(conv, "x" * 37), "invalid"),
        (MERGE, {"source_conversation_id": conv}, "invalid"),
        (MERGE, {**_merge_args(conv, _new()), "extra": 1}, "invalid"),
        (UNMERGE, {"conversation_id": "nope"}, "not_found"),
        (UNMERGE, {"conversation_id": conv}, "conflict"),  # never merged
        (UNMERGE, {"conversation_id": 42}, "invalid"),
        (SPLIT, {"conversation_id": conv, "message_id": "x", "new_conversation_id": _new()},
         "not_found"),
        (SPLIT, {"conversation_id": conv, "message_id": ids[0], "new_conversation_id": ""},
         "invalid"),
        (SPLIT, {"conversation_id": conv, "message_id": ids[0], "new_conversation_id": _new(),
                 "with_later": "maybe"}, "invalid"),
    ]  # fmt: skip
    for mtype, args, code in cases:
        (res,) = ann.push((mtype, args))
        assert (res["status"], res["reason"]["code"]) == ("rejected", code), (mtype, args, res)
    for bad in ("\x00", "\ud800"):
        body = {"mutations": [{"id": _new(), "type": MERGE, "args": _merge_args(bad, conv)}]}
        r = ann.post("/api/v1/push", json=body)
        assert 400 <= r.status_code < 500, r.text
    assert len(_thread(state, conv)) == 2


def test_a_merged_chat_keeps_its_history_in_the_widget_and_goes_on_in_the_target(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    r = requests.post(live.url + "/chat/api/session", json={}, timeout=10)
    assert r.status_code == 201, r.text
    headers = {"X-Chat-Token": r.json()["token"]}

    def say(text: str) -> str:
        body = {"text": text, "client_id": uuid.uuid4().hex}
        r = requests.post(live.url + "/chat/api/messages", json=body, headers=headers, timeout=40)
        assert r.status_code == 200, r.text
        return str(r.json()["conversation_id"])

    chat = say("Hello from the chat")
    with state.writes() as s:
        cust = s.get_one(m.Conversation, chat).customer_id
        email = m.Conversation(
            id=_new(), customer_id=cust, channel="email", subject="Order", created_at=T0
        )
        s.add(email)
        s.add(
            m.Message(
                id=_new(), conversation_id=email.id, channel="email", direction="in",
                body_text="Hello by email", delivery_status="received", created_at=T0,
            )
        )  # fmt: skip
        s.commit()
    assert ann.push((MERGE, _merge_args(chat, email.id)))[0]["status"] == "applied"
    history = requests.get(live.url + "/chat/api/messages", headers=headers, timeout=10)
    assert [msg["text"] for msg in history.json()["messages"]] == ["Hello from the chat"]
    assert say("Still there?") == email.id  # the chat goes on in the merged conversation
    assert [b for b, _, _ in _thread(state, email.id)] == [
        "Hello by email",
        "Hello from the chat",
        "Still there?",
    ]
    # An administrator deletes the conversation the chat went into: the visitor's next
    # message opens a new chat conversation the inbox shows, not the hidden merged one.
    adm = Raw.signed_in(live, shared_users["adm"])
    gone = adm.push((MutationType.CONVERSATION_DELETE.value, {"conversation_id": email.id}))
    assert gone[0]["status"] == "applied", gone
    fresh = say("Anyone?")
    assert fresh not in (chat, email.id)
    assert _thread(state, fresh) == [("Anyone?", None, False)]
    assert _conv(state, fresh).merged_into_id is None and _thread(state, chat) == []


def test_an_open_source_reopens_a_resolved_target_and_the_undo_closes_it_again(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.CHAT, [10])])
    status = MutationType.CONVERSATION_STATUS.value
    assert ann.push((status, {"conversation_id": email, "status": "resolved"}))[0]["status"] == (
        "applied"
    )
    resolved_at = _conv(state, email).resolved_at
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    target = _conv(state, email)
    assert (target.status, target.resolved_at) == ("open", None)
    assert target.waiting_since == T0 + timedelta(minutes=0)  # the oldest unanswered
    assert ann.push((UNMERGE, {"conversation_id": chat}))[0]["status"] == "applied"
    target = _conv(state, email)
    assert (target.status, target.resolved_at) == ("resolved", resolved_at)
    assert _conv(state, chat).status == "open"


def test_split_with_the_later_ones_takes_only_the_same_source_thread(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat), (_, chat_ids) = _customer(
        state, [(Channel.EMAIL, [0, 20, 40]), (Channel.CHAT, [10, 30])]
    )
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    new = _new()
    args = {
        "conversation_id": email, "message_id": chat_ids[0], "new_conversation_id": new,
        "with_later": True,
    }  # fmt: skip
    assert ann.push((SPLIT, args))[0]["status"] == "applied"
    assert [b for b, _, n in _thread(state, new) if not n] == ["chat at 10", "chat at 30"]
    assert [b for b, _, n in _thread(state, email) if not n] == [
        "email at 0",
        "email at 20",
        "email at 40",
    ]
    assert _conv(state, new).channel == "chat"
    assert all(origin is None for _, origin, _ in _thread(state, new))


def test_a_mention_follows_its_note_through_merge_undo_and_split(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    sue = Raw.signed_in(live, shared_users["sue"])
    _, (email, chat), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.CHAT, [10])])
    note, bob_id = _new(), shared_users["bob"].id
    send = {
        "conversation_id": chat, "message_id": note, "body_text": "look @Bob", "is_note": True,
        "mentions": [bob_id],
    }  # fmt: skip
    assert ann.push((MutationType.MESSAGE_SEND.value, send))[0]["status"] == "applied"
    mention = mention_id(note, bob_id)

    def where() -> str:
        with state.reads() as s:
            return s.get_one(m.Mention, mention).conversation_id

    def fed(pull: Raw, cursor: int) -> dict[str, Any]:
        changes, _ = pull.pull_all(cursor)
        return {c["id"]: c["data"] for c in changes if c["entity"] == Entity.MENTION}

    _, bob_at = bob.pull_all()
    _, sue_at = sue.pull_all()
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    assert where() == email
    assert fed(bob, bob_at)[mention]["conversation_id"] == email  # to bob's desk alone
    assert not fed(sue, sue_at)
    _, bob_at = bob.pull_all()
    assert ann.push((UNMERGE, {"conversation_id": chat}))[0]["status"] == "applied"
    assert where() == chat
    assert fed(bob, bob_at)[mention]["conversation_id"] == chat
    _, bob_at = bob.pull_all()
    new = _new()
    args = {"conversation_id": chat, "message_id": note, "new_conversation_id": new}
    assert ann.push((SPLIT, args))[0]["status"] == "applied"
    assert where() == new
    assert fed(bob, bob_at)[mention]["conversation_id"] == new
    assert not fed(sue, sue_at)


def test_a_reply_and_a_note_queued_into_a_merged_conversation_land_in_its_target(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    """A desk offline during the merge pushes its reply and its note (with a mention) into
    the source later: both land in the target (counted there), the source stays empty."""
    ann = Raw.signed_in(live, shared_users["ann"])
    bob_id = shared_users["bob"].id
    _, (email, chat), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.CHAT, [10])])
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    reply, note = _new(), _new()
    pushed = ann.push(
        (MutationType.MESSAGE_SEND.value,
         {"conversation_id": chat, "message_id": reply, "body_text": "Late reply"}),
        (MutationType.MESSAGE_SEND.value,
         {"conversation_id": chat, "message_id": note, "body_text": "see @Bob",
          "is_note": True, "mentions": [bob_id]}),
    )  # fmt: skip
    assert [r["status"] for r in pushed] == ["applied", "applied"], pushed
    assert _thread(state, chat) == []
    assert [(b, n) for b, _, n in _thread(state, email)][-2:] == [
        ("Late reply", False),
        ("see @Bob", True),
    ]
    target = _conv(state, email)
    assert target.message_count == 4 and target.preview == "Late reply"
    assert _conv(state, chat).message_count == 0
    with state.reads() as s:
        assert s.get_one(m.Mention, mention_id(note, bob_id)).conversation_id == email
    fed = ann.latest(Entity.MESSAGE, {reply, note})
    assert fed[reply]["conversation_id"] == email and fed[note]["conversation_id"] == email


def test_a_text_for_a_merged_conversation_whose_target_was_deleted_opens_a_new_one(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    """The customer's latest conversation on the channel was merged into one an administrator
    deleted since: the text opens a new conversation the inbox shows, never the hidden one."""
    ann = Raw.signed_in(live, shared_users["ann"])
    adm = Raw.signed_in(live, shared_users["adm"])
    phone = f"+1415556{uuid.uuid4().int % 10_000:04d}"
    _, (email, sms), _ = _customer(state, [(Channel.EMAIL, [0]), (Channel.SMS, [5])], phone)
    assert ann.push((MERGE, _merge_args(sms, email)))[0]["status"] == "applied"
    (gone,) = adm.push((MutationType.CONVERSATION_DELETE.value, {"conversation_id": email}))
    assert gone["status"] == "applied", gone
    text = InboundMessage(
        channel=Channel.SMS,
        provider_message_id=f"SM{uuid.uuid4().hex}",
        sender_handle=Handle(IdentityKind.PHONE, phone),
        sender_name=None,
        text="Hello again?",
        sent_at=datetime.now(UTC),
    )
    with state.writes() as s:
        result = ingest_message(s, text)
        s.commit()
    assert result.conversation_created
    assert result.conversation_id not in (email, sms)
    assert _thread(state, result.conversation_id) == [("Hello again?", None, False)]
    fresh = _conv(state, result.conversation_id)
    assert fresh.status == "open" and fresh.merged_into_id is None and fresh.deleted_at is None
    assert _thread(state, sms) == [] and _conv(state, sms).message_count == 0


def test_an_older_merge_is_undone_while_later_ones_stay(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat, sms), _ = _customer(
        state, [(Channel.EMAIL, [0, 40]), (Channel.CHAT, [10]), (Channel.SMS, [20])]
    )
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    assert ann.push((MERGE, _merge_args(sms, email)))[0]["status"] == "applied"
    (res,) = ann.push((UNMERGE, {"conversation_id": chat}))  # the older one first
    assert res["status"] == "applied", res
    assert _thread(state, chat) == [("chat at 10", None, False)]
    assert _thread(state, email) == [
        ("email at 0", None, False),
        ("sms at 20", sms, False),
        ("email at 40", None, False),
    ]
    back, target = _conv(state, chat), _conv(state, email)
    assert back.merged_into_id is None and back.message_count == 1
    assert target.message_count == 3 and target.preview == "email at 40"
    assert _conv(state, sms).merged_into_id == email
    # The later one can still be undone after it.
    assert ann.push((UNMERGE, {"conversation_id": sms}))[0]["status"] == "applied"
    assert [t[0] for t in _thread(state, email)] == ["email at 0", "email at 40"]
    assert _conv(state, email).message_count == 2
    assert _thread(state, sms) == [("sms at 20", None, False)]


def test_a_note_between_two_merges_blocks_only_the_older_undo(
    live: ServerProcess, shared_users: Users, state: ServerState
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    _, (email, chat, sms), _ = _customer(
        state, [(Channel.EMAIL, [0]), (Channel.CHAT, [10]), (Channel.SMS, [20])]
    )
    assert ann.push((MERGE, _merge_args(chat, email)))[0]["status"] == "applied"
    note = {"conversation_id": email, "message_id": _new(), "body_text": "Seen", "is_note": True}
    assert ann.push((MutationType.MESSAGE_SEND.value, note))[0]["status"] == "applied"
    assert ann.push((MERGE, _merge_args(sms, email)))[0]["status"] == "applied"
    (res,) = ann.push((UNMERGE, {"conversation_id": chat}))
    assert res["status"] == "rejected" and res["reason"]["code"] == "conflict"
    assert "can no longer be undone" in res["reason"]["message"]
    assert _conv(state, chat).merged_into_id == email
    # The merge after the note is undoable: nothing arrived since it.
    assert ann.push((UNMERGE, {"conversation_id": sms}))[0]["status"] == "applied"
    assert [t[0] for t in _thread(state, email)] == ["email at 0", "chat at 10", "Seen"]
    # A split in the target since a merge ends its undo too (even one that keeps the count).
    assert ann.push((MERGE, _merge_args(sms, email)))[0]["status"] == "applied"
    first = _thread_ids(state, email)[0]
    split = {"conversation_id": email, "message_id": first, "new_conversation_id": _new()}
    assert ann.push((SPLIT, split))[0]["status"] == "applied"
    (res,) = ann.push((UNMERGE, {"conversation_id": sms}))
    assert res["status"] == "rejected" and "split off" in res["reason"]["message"]


def _thread_ids(state: ServerState, cid: str) -> list[str]:
    with state.reads() as s:
        return list(
            s.scalars(
                select(m.Message.id)
                .where(m.Message.conversation_id == cid)
                .order_by(m.Message.created_at, m.Message.id)
            )
        )
