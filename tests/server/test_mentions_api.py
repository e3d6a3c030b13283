"""Mentions of teammates in internal notes over a live server on SQLite and PostgreSQL
(docs/mentions.md): the note carries the chosen user ids, the server checks them (active users
who can read the conversation, at most 20, notes only), records one row per teammate, and
each row reaches only the mentioned user's desk; they mark it read; bad input is a clear
rejection, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm
from csdesk.domain.mentions import mention_id
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users

Users = dict[str, TestUser]


def _new() -> str:
    return str(uuid.uuid4())


def _note(
    conv: str, mentions: Any, *, body: str = "Can you check this?", **kw: Any
) -> tuple[str, dict[str, Any]]:
    return (
        MutationType.MESSAGE_SEND,
        {
            "conversation_id": conv,
            "message_id": kw.pop("message_id", _new()),
            "body_text": body,
            "is_note": kw.pop("is_note", True),
            "mentions": mentions,
            **kw,
        },
    )


def _status(results: list[Any]) -> list[str]:
    return [r["status"] if r["status"] != "rejected" else r["reason"]["code"] for r in results]


def _mentions(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    return {c["id"]: c["data"] for c in changes if c["entity"] == Entity.MENTION}


def _rows(db_url: str, message_id: str) -> list[m.Mention]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return list(s.scalars(select(m.Mention).where(m.Mention.message_id == message_id)))
    finally:
        engine.dispose()


def test_a_mention_reaches_only_the_mentioned_user(
    live: ServerProcess, shared_users: Users, backend: str
) -> None:
    (made,) = make_conversations(backend)
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    sue = Raw.signed_in(live, shared_users["sue"])
    _, bob_cursor = bob.pull_all()
    _, sue_cursor = sue.pull_all()
    _, ann_cursor = ann.pull_all()
    note = _new()
    secret = "Refund looks wrong, @bob please check 41ac\nsecond line"
    bob_id, sue_id = shared_users["bob"].id, shared_users["sue"].id
    assert _status(
        ann.push(_note(made.conversation_id, [bob_id, bob_id], body=secret, message_id=note))
    ) == ["applied"]
    rows = _rows(backend, note)
    assert [(r.user_id, r.by_user_id) for r in rows] == [(bob_id, shared_users["ann"].id)]
    assert rows[0].id == mention_id(note, bob_id)
    got = _mentions(bob.pull_all(bob_cursor)[0])
    row = got[mention_id(note, bob_id)]
    assert row is not None
    assert row["by_name"] and row["conversation_id"] == made.conversation_id
    assert row["excerpt"] == "Refund looks wrong, @bob please check 41ac"
    assert row["read_at"] is None
    # Nobody else's pull (incremental or full), nor the writer's, carries it.
    for who, after in ((sue, sue_cursor), (sue, 0), (ann, ann_cursor), (ann, 0)):
        assert not _mentions(who.pull_all(after)[0])
    assert bob.get(f"/api/v1/entities/mention/{rows[0].id}").status_code == 200
    assert sue.get(f"/api/v1/entities/mention/{rows[0].id}").status_code == 404
    # Only bob marks it read; the read state reaches his desk (and only his).
    _, bob_cursor = bob.pull_all()
    assert _status(sue.push((MutationType.MENTION_READ, {"mention_id": rows[0].id}))) == [
        "not_found"
    ]
    assert _status(bob.push((MutationType.MENTION_READ, {"mention_id": rows[0].id}))) == ["applied"]
    again = _mentions(bob.pull_all(bob_cursor)[0])[rows[0].id]
    assert again is not None and again["read_at"] is not None
    assert _status(bob.push((MutationType.MENTION_READ, {"mention_id": rows[0].id}))) == [
        "applied"  # read twice (two desks): still read, no error
    ]
    assert not _mentions(sue.pull_all(sue_cursor)[0])
    # Several teammates at once: one row each, the writer's own id dropped.
    other = _new()
    assert _status(
        sue.push(
            _note(made.conversation_id, [bob_id, shared_users["ann"].id, sue_id], message_id=other)
        )
    ) == ["applied"]
    assert sorted(r.user_id for r in _rows(backend, other)) == sorted(
        [bob_id, shared_users["ann"].id]
    )


def test_only_real_teammates_in_notes_are_mentioned(
    live: ServerProcess, shared_users: Users, backend: str
) -> None:
    (made,) = make_conversations(backend)
    ann = Raw.signed_in(live, shared_users["ann"])
    bob_id = shared_users["bob"].id
    conv = made.conversation_id
    gone = TestUser("gus", "gus-password", shared_users["bob"].role)
    add_users(backend, [gone])
    engine = make_engine(backend)
    try:
        with Session(engine) as s:
            row = s.get(m.User, gone.id)
            assert row is not None
            row.active = False
            s.commit()
    finally:
        engine.dispose()
    cases = [
        (_note(conv, [_new()]), "not_found"),  # nobody by that id
        (_note(conv, [gone.id]), "not_found"),  # no longer active
        (_note(conv, [shared_users["tia"].id]), "forbidden"),  # a trainee cannot read it
        (_note(conv, [bob_id], is_note=False), "invalid"),  # never in a reply to a customer
        (_note(conv, [_new() for _ in range(21)]), "invalid"),  # too many
        (_note(conv, ["x" * 37]), "invalid"),
        (_note(conv, [""]), "invalid"),
        (_note(conv, ["bob; drop"]), "invalid"),
        (_note(conv, [7]), "invalid"),
        (_note(conv, "bob"), "invalid"),
        (_note(conv, [{"id": bob_id}]), "invalid"),
    ]
    notes = [c[0] for c in cases]
    assert _status(ann.push(*notes)) == [c[1] for c in cases]
    for mutation in notes:  # a refused note is not written, nor any of its mentions
        assert not _rows(backend, mutation[1]["message_id"])
    # A trainee mentions a trainee in the sandbox; not someone in production.
    (practice,) = make_conversations(backend, realm=Realm.TRAINING)
    tia = Raw.signed_in(live, shared_users["tia"])
    assert _status(tia.push(_note(practice.conversation_id, [bob_id]))) == ["forbidden"]
    assert _status(ann.push((MutationType.MENTION_READ, {"mention_id": _new()}))) == ["not_found"]
    assert _status(ann.push((MutationType.MENTION_READ, {"mention_id": ""}))) == ["invalid"]


def test_text_no_database_stores_is_refused_at_the_edge(
    live: ServerProcess, shared_users: Users, backend: str
) -> None:
    (made,) = make_conversations(backend)
    ann = Raw.signed_in(live, shared_users["ann"])
    for bad in ("nul \x00 id", "lone \ud800 id"):
        for mtype, args in (
            _note(made.conversation_id, [bad]),
            (MutationType.MENTION_READ, {"mention_id": bad}),
        ):
            body = {"mutations": [{"id": _new(), "type": mtype, "args": args}]}
            r = ann.post("/api/v1/push", json=body)
            assert r.status_code == 422, r.text
