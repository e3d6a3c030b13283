"""The bulk path for plain replies (``sync.fast_send``) against the ORM handler it shortcuts
(``mutations.send``, still run by ``push_one``): same checks, same rows, same feed payloads,
and the push's other guarantees (idempotence under concurrent retries) on both databases."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from csdesk.domain.enums import Channel, Realm, Role
from csdesk.protocol import MutationResult
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.server.sync.push import Mutation, push_many, push_one
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations, new_id
from tests.helpers.server import TestUser, add_users

#: Differ between two sends of the same reply by construction.
_VOLATILE = {"id", "conversation_id", "created_at", "updated_at", "last_message_at"}
_VOLATILE |= {"first_response_at", "entity_id", "at", "seq", "customer_id"}


@pytest.fixture(scope="module")
def state(backend: str) -> Iterator[ServerState]:
    st = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        yield st
    finally:
        st.engine.dispose()


@pytest.fixture(scope="module")
def users(backend: str) -> dict[str, m.User]:
    tag = uuid.uuid4().hex[:6]
    made = {
        "agent": TestUser(f"fa-{tag}", "pw-agent-123", Role.AGENT),
        "trainee": TestUser(f"ft-{tag}", "pw-trainee-123", Role.TRAINEE),
        "admin": TestUser(f"fd-{tag}", "pw-admin-123", Role.ADMIN),
    }
    add_users(backend, list(made.values()))
    st = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        with st.writes() as s:
            out = {k: s.get_one(m.User, u.id) for k, u in made.items()}
            s.expunge_all()
            return out
    finally:
        st.engine.dispose()


def _send(cid: str, body: str = "On its way.\nSecond line", **extra: Any) -> Mutation:
    args = {"conversation_id": cid, "message_id": new_id(), "body_text": body, **extra}
    return (str(uuid.uuid4()), "message.send", args)


def _conv(backend: str, channel: Channel = Channel.EMAIL, realm: Realm = Realm.PRODUCTION) -> str:
    return make_conversations(backend, 1, channel=channel, realm=realm)[0].conversation_id


def _set(state: ServerState, cid: str, **values: Any) -> None:
    with state.writes() as s:
        conv = s.get_one(m.Conversation, cid)
        for k, v in values.items():
            setattr(conv, k, v)
        s.commit()


def _snapshot(state: ServerState, cid: str, mid: str) -> dict[str, Any]:
    """Everything a reply leaves behind: its row (server-only columns too), its conversation,
    its audit entry and the feed rows of both, minus what differs by construction."""

    def strip(d: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (d or {}).items() if k not in _VOLATILE}

    def cols(obj: m.Base) -> dict[str, Any]:
        return strip({c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs})

    with state.reads() as s:
        feed = {
            r.entity: (r.realm, r.deleted, strip(orjson.loads(r.payload)))
            for r in s.scalars(select(m.SyncChange).where(m.SyncChange.entity_id.in_([cid, mid])))
        }
        audit = s.scalars(
            select(m.AuditEntry).where(
                m.AuditEntry.entity_id == mid, m.AuditEntry.action == "message.send"
            )
        ).all()
        return {
            "message": cols(s.get_one(m.Message, mid)),
            "conversation": cols(s.get_one(m.Conversation, cid)),
            "audit": [(a.actor_user_id, a.entity, a.before, strip(a.after)) for a in audit],
            "feed": feed,
        }


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WHATSAPP])
@pytest.mark.parametrize("is_note", [False, True])
def test_a_bulk_reply_leaves_exactly_what_the_orm_handler_does(
    backend: str, state: ServerState, users: dict[str, m.User], channel: Channel, is_note: bool
) -> None:
    agent = users["agent"]
    orm_cid, fast_cid = _conv(backend, channel), _conv(backend, channel)
    inbound = utcnow() - timedelta(hours=1)
    for cid in (orm_cid, fast_cid):
        _set(state, cid, last_inbound_at=inbound, waiting_since=inbound)
    via_orm, via_fast = _send(orm_cid, is_note=is_note), _send(fast_cid, is_note=is_note)
    (orm,) = [push_one(state.writes, agent, *via_orm)]
    (fast,) = push_many(state.writes, agent, [via_fast])
    assert orm["status"] == fast["status"] == "applied", (orm, fast)
    a = _snapshot(state, orm_cid, via_orm[2]["message_id"])
    b = _snapshot(state, fast_cid, via_fast[2]["message_id"])
    assert a["feed"] and set(a["feed"]) == {"message", "conversation"}
    for part in ("message", "conversation", "audit", "feed"):
        assert a[part] == b[part], part


@pytest.mark.parametrize(
    ("who", "realm", "setup", "code"),
    [
        ("trainee", Realm.PRODUCTION, {}, "not_found"),  # the sandbox never touches production
        ("agent", Realm.TRAINING, {}, "not_found"),
        ("agent", Realm.PRODUCTION, {"deleted_at": utcnow()}, "deleted"),
        (
            "agent",
            Realm.PRODUCTION,
            {"channel": "whatsapp", "last_inbound_at": None},
            "window_closed",
        ),
    ],
)
def test_a_bulk_reply_is_refused_exactly_as_the_orm_handler_refuses_it(
    backend: str,
    state: ServerState,
    users: dict[str, m.User],
    who: str,
    realm: Realm,
    setup: dict[str, Any],
    code: str,
) -> None:
    cids = [_conv(backend, realm=realm), _conv(backend, realm=realm)]
    for cid in cids:
        _set(state, cid, **setup)
    orm = push_one(state.writes, users[who], *_send(cids[0]))
    (fast,) = push_many(state.writes, users[who], [_send(cids[1])])
    assert orm["status"] == fast["status"] == "rejected"
    assert orm["reason"] == fast["reason"] and orm["reason"]["code"] == code
    with state.reads() as s:
        counts = [s.get_one(m.Conversation, c).message_count for c in cids]
    assert counts == [1, 1]


def test_handlers_in_one_push_see_the_bulk_replies_writes_and_the_reverse(
    backend: str, state: ServerState, users: dict[str, m.User]
) -> None:
    admin, cid = users["admin"], _conv(backend)
    first = _send(cid)
    mid = first[2]["message_id"]
    results = push_many(
        state.writes,
        admin,
        [
            first,
            # The handler sees the reply the bulk path holds: it is queued, not failed.
            (str(uuid.uuid4()), "message.retry", {"message_id": mid}),
            (
                str(uuid.uuid4()),
                "conversation.set_priority",
                {"conversation_id": cid, "priority": "high"},
            ),
            _send(cid, "Two"),
            (str(uuid.uuid4()), "conversation.delete", {"conversation_id": cid}),
            # The bulk path sees the handler's delete.
            _send(cid, "Too late"),
        ],
    )
    assert [r["status"] for r in results] == [
        "applied",
        "rejected",
        "applied",
        "applied",
        "applied",
        "rejected",
    ], results
    assert (
        results[1]["reason"]["code"] == "conflict" and "queued" in results[1]["reason"]["message"]
    )
    assert results[5]["reason"]["code"] == "deleted"
    with state.reads() as s:
        conv = s.get_one(m.Conversation, cid)
        assert conv.message_count == 3 and conv.priority == "high" and conv.preview == "Two"
        assert conv.deleted_at is not None
        feed = s.scalars(select(m.SyncChange).where(m.SyncChange.entity_id == cid)).one()
    assert feed.deleted  # the latest state of the conversation won in the feed


def test_concurrent_retries_of_one_push_apply_it_once(
    backend: str, state: ServerState, users: dict[str, m.User]
) -> None:
    agent = users["agent"]
    cids = [_conv(backend) for _ in range(3)]
    batch: list[Mutation] = [_send(c) for c in cids]
    batch.append((str(uuid.uuid4()), "conversation.claim", {"conversation_id": cids[0]}))
    batch.append(_send(cids[1], "again"))
    answers: list[list[MutationResult]] = []
    failures: list[BaseException] = []
    go = threading.Barrier(4)

    def push() -> None:
        try:
            go.wait()
            answers.append(push_many(state.writes, agent, batch))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert len(answers) == 4
    for answer in answers:
        assert [r["id"] for r in answer] == [mid for mid, _, _ in batch]
        for r in answer:
            assert r["status"] in ("applied", "duplicate"), r
            assert r.get("original_status", "applied") == "applied", r
    # Each mutation was applied by exactly one request, all at one seq.
    for n in range(len(batch)):
        assert sum(a[n]["status"] == "applied" for a in answers) == 1
    assert len({r["seq"] for a in answers for r in a}) == 1
    with state.reads() as s:
        counts = [s.get_one(m.Conversation, c).message_count for c in cids]
        applied = s.scalars(
            select(m.AppliedMutation.id).where(m.AppliedMutation.id.in_([x[0] for x in batch]))
        ).all()
    assert counts == [2, 3, 2] and len(applied) == len(batch)


@pytest.mark.parametrize("points", [2**31, 2**63, 10**30])
def test_a_number_no_database_column_holds_is_one_typed_rejection(
    backend: str, state: ServerState, users: dict[str, m.User], points: int
) -> None:
    """PostgreSQL's integer overflowed (DataError), SQLite's driver raised OverflowError: the
    whole push (now one transaction) answered 500 and the desk retried it forever."""
    made = make_conversations(backend, 1)[0]
    batch: list[Mutation] = [_send(made.conversation_id, f"reply {n}") for n in range(3)]
    batch.insert(
        1,
        (
            str(uuid.uuid4()),
            "customer.update",
            {"customer_id": made.customer_id, "fields": {"loyalty_points": points}},
        ),
    )
    results = push_many(state.writes, users["agent"], batch)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied", "applied"]
    assert results[1]["reason"]["code"] == "invalid"
    assert "loyalty_points" in results[1]["reason"]["message"]
    with state.reads() as s:
        assert s.get_one(m.Conversation, made.conversation_id).message_count == 4


@pytest.mark.parametrize("error", ["data", "overflow", "converted"])
@pytest.mark.parametrize("batched", [True, False])
def test_a_value_the_database_refuses_in_any_handler_is_one_typed_rejection(
    backend: str,
    state: ServerState,
    users: dict[str, m.User],
    monkeypatch: pytest.MonkeyPatch,
    error: str,
    batched: bool,
) -> None:
    """Any handler, not only the fields capped in the models: a database value error is that
    mutation's ``invalid``, never a 500 for the push (batched or one by one)."""
    from sqlalchemy.exc import DataError, StatementError

    from csdesk.server.sync import mutations

    model, _handler = mutations.HANDLERS["conversation.set_priority"]

    def refuse(session: Any, user: m.User, args: Any) -> None:
        if error == "data":
            raise DataError("UPDATE …", {}, Exception("value out of range"))
        if error == "converted":  # a column type's own conversion, wrapped by SQLAlchemy
            raise StatementError("year 10000 is out of range", "UPDATE …", {}, ValueError())
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setitem(mutations.HANDLERS, "conversation.set_priority", (model, refuse))
    made = make_conversations(backend, 1)[0]
    cid = made.conversation_id
    bad: Mutation = (
        str(uuid.uuid4()),
        "conversation.set_priority",
        {"conversation_id": cid, "priority": "high"},
    )
    batch: list[Mutation] = [_send(cid, "before"), bad, _send(cid, "after")]
    if batched:
        results = push_many(state.writes, users["agent"], batch)
    else:
        results = [push_one(state.writes, users["agent"], *x) for x in batch]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["reason"]["code"] == "invalid"
    with state.reads() as s:
        assert s.get_one(m.Conversation, cid).message_count == 3


def test_a_plain_reply_the_database_refuses_answers_alone(
    backend: str, state: ServerState, users: dict[str, m.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path writes a push's replies with one statement: a value the database refuses
    there used to sink the whole push (500, retried forever). The push is applied again one
    transaction each, where only that mutation can fail (here the ORM handler, not refused,
    writes it)."""
    from sqlalchemy.exc import DataError

    from csdesk.server.sync import fast_send

    real = fast_send._INSERT_MESSAGES

    class Refusing:
        def run(self, conn: Any, rows: list[dict[str, Any]]) -> None:
            if any(r["body_text"] == "refused" for r in rows):
                raise DataError("INSERT …", {}, Exception("value out of range"))
            real.run(conn, rows)

    monkeypatch.setattr(fast_send, "_INSERT_MESSAGES", Refusing())
    cid = make_conversations(backend, 1)[0].conversation_id
    batch = [_send(cid, "before"), _send(cid, "refused"), _send(cid, "after")]
    results = push_many(state.writes, users["agent"], batch)
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    with state.reads() as s:
        assert s.get_one(m.Conversation, cid).message_count == 1 + 3  # the customer's first


def test_a_nul_in_a_plain_reply_is_refused_alone_on_postgresql(pg_url: str) -> None:
    """PostgreSQL stores no NUL in text. The edge refuses one before any route runs; should
    one reach the push all the same, only its own mutation is refused."""
    agent = TestUser("nul-agent", "pw-agent-123", Role.AGENT)
    add_users(pg_url, [agent])
    st = ServerState.build(ServerConfig(db_url=pg_url, listen_notify=False))
    try:
        with st.writes() as s:
            user = s.get_one(m.User, agent.id)
            s.expunge_all()
        cid = _conv(pg_url)
        batch = [_send(cid, "before"), _send(cid, "a\x00b"), _send(cid, "after")]
        results = push_many(st.writes, user, batch)
        assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
        assert results[1]["reason"]["code"] == "invalid"
        with st.reads() as s:
            assert s.get_one(m.Conversation, cid).message_count == 1 + 2
    finally:
        st.engine.dispose()
