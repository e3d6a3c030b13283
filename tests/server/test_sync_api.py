"""Pull, push, long-poll and bad input against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import select

from csdesk.domain.enums import Realm
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.wire import entity_of, to_wire
from tests.helpers.data import make_conversations, new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _ids(changes: list[dict[str, Any]], entity: str) -> set[str]:
    return {c["id"] for c in changes if c["entity"] == entity}


def test_pull_pages_follow_cursor_and_cover_everything(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    made = make_conversations(backend, 7)
    ann = Raw.signed_in(live, shared_users["ann"])
    seen: list[dict[str, Any]] = []
    after, pages = 0, 0
    while True:
        page = ann.get("/api/v1/changes", params={"after": after, "limit": 3}).json()
        assert len(page["changes"]) <= 3
        seqs = [c["seq"] for c in page["changes"]]
        assert seqs == sorted(seqs) and all(s > after for s in seqs)
        seen += page["changes"]
        after, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert pages >= 3
    assert {m.conversation_id for m in made} <= _ids(seen, "conversation")
    assert {m.message_id for m in made} <= _ids(seen, "message")
    user = next(c for c in seen if c["entity"] == "user")
    assert "password_hash" not in user["data"]  # server-only columns never leave


def test_trainee_never_reads_production(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    prod = make_conversations(backend, 2)
    train = make_conversations(backend, 2, realm=Realm.TRAINING)
    tia = Raw.signed_in(live, shared_users["tia"])
    changes, _ = tia.pull_all()
    convs = _ids(changes, "conversation")
    assert {m.conversation_id for m in train} <= convs
    assert not convs & {m.conversation_id for m in prod}
    assert not _ids(changes, "customer") & {m.customer_id for m in prod}
    snap = tia.get(f"/api/v1/entities/conversation/{prod[0].conversation_id}")
    assert snap.status_code == 404
    # Nor can a trainee write to production data.
    res = tia.push(
        (
            "message.send",
            {"conversation_id": prod[0].conversation_id, "message_id": new_id(), "body_text": "hi"},
        )
    )
    assert res[0]["status"] == "rejected" and res[0]["reason"]["code"] == "not_found"


def test_push_applies_and_replay_is_a_noop(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    msg_id = new_id()
    mutation = {
        "id": str(uuid.uuid4()),
        "type": "message.send",
        "args": {
            "conversation_id": made.conversation_id,
            "message_id": msg_id,
            "body_text": "Your parcel left our warehouse today.",
        },
    }
    first = ann.push(mutation)[0]
    assert first["status"] == "applied" and first["seq"] > 0
    again = ann.push(mutation)[0]
    assert again["status"] == "duplicate" and again["original_status"] == "applied"
    snap = ann.get(f"/api/v1/entities/conversation/{made.conversation_id}").json()
    assert snap["data"]["message_count"] == 2  # the inbound one and exactly one reply
    assert snap["data"]["first_response_at"] is not None
    assert snap["data"]["preview"] == "Your parcel left our warehouse today."
    msg = ann.get(f"/api/v1/entities/message/{msg_id}").json()["data"]
    assert msg["direction"] == "out" and msg["author_user_id"] == shared_users["ann"].id


def test_one_push_is_one_commit_and_a_rejection_rolls_back_only_itself(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    cid = made.conversation_id
    first_msg, second_msg = new_id(), new_id()
    repeated = {
        "id": str(uuid.uuid4()),
        "type": "message.send",
        "args": {"conversation_id": cid, "message_id": first_msg, "body_text": "First reply."},
    }
    results = ann.push(
        repeated,
        # Lost: the message id is taken by the mutation before it, in the same push.
        ("message.send", {"conversation_id": cid, "message_id": first_msg, "body_text": "Lost."}),
        ("message.send", {"conversation_id": new_id(), "message_id": new_id(), "body_text": "x"}),
        ("conversation.claim", {"conversation_id": cid}),
        repeated,  # the same id again in one push: answered as a replay of the first
        ("message.send", {"conversation_id": cid, "message_id": second_msg, "body_text": "Two."}),
    )
    assert [r["status"] for r in results] == [
        "applied",
        "rejected",
        "rejected",
        "applied",
        "duplicate",
        "applied",
    ]
    assert results[1]["reason"]["code"] == "conflict"
    assert results[2]["reason"]["code"] == "not_found"
    assert "seq" not in results[1] and "seq" not in results[2]
    # One transaction: every applied mutation is visible at the same feed position.
    seqs = {results[i]["seq"] for i in (0, 3, 5)}
    assert len(seqs) == 1 and seqs.pop() > 0
    assert results[4]["original_status"] == "applied" and results[4]["seq"] == results[0]["seq"]
    snap = ann.get(f"/api/v1/entities/conversation/{cid}").json()["data"]
    assert snap["message_count"] == 3  # the inbound one and the two replies, not the lost one
    assert snap["assignee_id"] == shared_users["ann"].id
    assert snap["preview"] == "Two."
    body = ann.get(f"/api/v1/entities/message/{first_msg}").json()["data"]["body_text"]
    assert body == "First reply."
    # Pushed again later, the id answers from the record.
    again = ann.push(repeated)
    assert again[0]["status"] == "duplicate" and again[0]["seq"] == results[0]["seq"]


def test_replies_feed_exactly_what_the_database_holds(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    # Replies are written in bulk with the feed built from the values written; other
    # mutations in the same push go through their handlers. Whatever the mix, the feed must
    # carry exactly the stored rows. (The training sandbox: no dispatcher changes them.)
    (made,) = make_conversations(backend, 1, realm=Realm.TRAINING)
    tia = Raw.signed_in(live, shared_users["tia"])
    cid = made.conversation_id
    reply, note, later = new_id(), new_id(), new_id()
    results = tia.push(
        ("message.send", {"conversation_id": cid, "message_id": reply, "body_text": "Hi!"}),
        ("conversation.claim", {"conversation_id": cid}),
        ("conversation.set_tags", {"conversation_id": cid, "add": ["vip"]}),
        (
            "message.send",
            {"conversation_id": cid, "message_id": later, "body_text": "\n Later.\nB"},
        ),
        (
            "message.send",
            {"conversation_id": cid, "message_id": note, "body_text": "Note", "is_note": True},
        ),
    )
    assert {r["status"] for r in results} == {"applied"}, results
    state = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        with state.reads() as s:
            rows: list[m.Base] = [s.get_one(m.Conversation, cid)]
            rows += [s.get_one(m.Message, mid) for mid in (reply, note, later)]
            stored = {(entity_of(r).value, getattr(r, "id")): to_wire(r) for r in rows}  # noqa: B009
            audited = s.scalars(
                select(m.AuditEntry.entity_id).where(m.AuditEntry.action == "message.send")
            ).all()
    finally:
        state.engine.dispose()
    for (entity, ident), wire in stored.items():
        snap = tia.get(f"/api/v1/entities/{entity}/{ident}").json()
        assert snap["data"] == wire, entity
    conv = stored[("conversation", cid)]
    assert conv["message_count"] == 4 and conv["preview"] == "Later."  # not the note's
    assert conv["assignee_id"] == shared_users["tia"].id and "vip" in conv["tags"]
    assert conv["waiting_since"] is None and conv["first_response_at"] is not None
    assert stored[("message", note)]["delivery_status"] == "sent"
    assert stored[("message", later)]["delivery_status"] == "queued"
    assert {reply, note, later} <= set(audited)


def test_lost_claim_race_is_rejected_with_reason(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    args = {"conversation_id": made.conversation_id}
    results: dict[str, Any] = {}
    barrier = threading.Barrier(2)

    def claim(name: str, client: Raw) -> None:
        barrier.wait()
        results[name] = client.push(("conversation.claim", args))[0]

    threads = [threading.Thread(target=claim, args=(n, c)) for n, c in (("ann", ann), ("bob", bob))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r["status"] for r in results.values())
    assert statuses == ["applied", "rejected"]
    loser = next(n for n, r in results.items() if r["status"] == "rejected")
    winner = "bob" if loser == "ann" else "ann"
    reason = results[loser]["reason"]
    assert reason["code"] == "already_assigned"
    assert winner in reason["message"]  # names who has it
    snap = ann.get(f"/api/v1/entities/conversation/{made.conversation_id}").json()
    assert snap["data"]["assignee_id"] == shared_users[winner].id


def test_reply_to_deleted_conversation_is_rejected(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    admin = Raw.signed_in(live, shared_users["adm"])
    denied = ann.push(("conversation.delete", {"conversation_id": made.conversation_id}))[0]
    assert denied["reason"]["code"] == "forbidden"
    assert (
        admin.push(("conversation.delete", {"conversation_id": made.conversation_id}))[0]["status"]
        == "applied"
    )
    reply = ann.push(
        (
            "message.send",
            {
                "conversation_id": made.conversation_id,
                "message_id": new_id(),
                "body_text": "hello?",
            },
        )
    )[0]
    assert reply["status"] == "rejected" and reply["reason"]["code"] == "deleted"
    assert "deleted by an administrator" in reply["reason"]["message"]
    snap = ann.get(f"/api/v1/entities/conversation/{made.conversation_id}").json()
    assert snap["deleted"] is True and snap["data"] is None


def test_customer_edits_merge_field_by_field(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    # Both edited offline from the same base; different fields: both survive.
    ann.push(
        (
            "customer.update",
            {"customer_id": made.customer_id, "fields": {"phone": "+4915112345678"}},
        )
    )
    bob.push(
        (
            "customer.update",
            {"customer_id": made.customer_id, "fields": {"language": "de", "tags": ["vip"]}},
        )
    )
    data = ann.get(f"/api/v1/entities/customer/{made.customer_id}").json()["data"]
    assert data["phone"] == "+4915112345678"
    assert data["language"] == "de" and data["tags"] == ["vip"]
    bad = ann.push(
        ("customer.update", {"customer_id": made.customer_id, "fields": {"loyalty_points": -5}})
    )[0]
    assert bad["status"] == "rejected" and bad["reason"]["code"] == "invalid"
    assert "loyalty_points" in bad["reason"]["message"]


def test_long_poll_returns_as_soon_as_something_commits(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    head = ann.head()
    got: dict[str, Any] = {"polls": 0}

    def has_it(changes: list[dict[str, Any]]) -> bool:
        return any(
            c["id"] == made.conversation_id and (c["data"] or {}).get("priority") == "urgent"
            for c in changes
        )

    def wait() -> None:
        # A desk's loop: long-poll, and again from the new cursor (another commit on the
        # shared server, a background round, may wake it first).
        after, deadline = head, time.monotonic() + 25
        while time.monotonic() < deadline:
            page = ann.get("/api/v1/changes", params={"after": after, "wait": 25}).json()
            got["polls"] += 1
            if has_it(page["changes"]):
                got["at"] = time.monotonic()
                return
            after = page["cursor"]

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)  # the waiter is parked (nothing newer than head yet)
    assert waiter.is_alive()
    pushed = time.monotonic()
    bob.push(
        (
            "conversation.set_priority",
            {"conversation_id": made.conversation_id, "priority": "urgent"},
        )
    )
    waiter.join(20)
    assert not waiter.is_alive(), "the long-poll did not wake up"
    assert "at" in got, got  # the change arrived
    assert got["at"] - pushed < 20  # woken by the commit, not by the 25-second wait running out


def test_long_poll_times_out_empty(live: ServerProcess, shared_users: dict[str, TestUser]) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    head = ann.head()
    page = ann.get("/api/v1/changes", params={"after": head, "wait": 0.3}).json()
    assert page["changes"] == [] and page["cursor"] >= head and page["more"] is False


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        (
            "post",
            "/api/v1/push",
            {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
            422,
            "invalid_request",
        ),
        ("post", "/api/v1/push", {"json": {"mutations": "nope"}}, 422, "invalid_request"),
        ("post", "/api/v1/push", {"json": {"mutations": [{"id": 5}]}}, 422, "invalid_request"),
        ("get", "/api/v1/changes?after=-1", {}, 422, "invalid_request"),
        ("get", "/api/v1/changes?after=abc", {}, 422, "invalid_request"),
        ("get", "/api/v1/changes?limit=999999", {}, 422, "invalid_request"),
        ("get", "/api/v1/changes?after=999999999", {}, 400, "cursor_ahead"),
        ("get", "/api/v1/entities/conversation/nope", {}, 404, "not_found"),
        ("get", "/api/v1/entities/spaceship/x", {}, 422, "invalid_request"),
        ("get", "/api/v1/no-such-route", {}, 404, "not_found"),
        ("post", "/api/v1/auth/login", {"json": {"username": 3}}, 422, "invalid_request"),
        (
            "post",
            "/api/v1/push",
            {"data": b"x" * 3_000_000, "headers": {"Content-Type": "application/json"}},
            413,
            "too_large",
        ),
    ],
)
def test_bad_requests_get_4xx_json_that_says_what(
    live: ServerProcess,
    shared_users: dict[str, TestUser],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    r: requests.Response = getattr(ann, method)(path, **kwargs)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"]


def test_bad_mutations_are_typed_rejections(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    results = ann.push(
        ("warp.drive", {}),
        ("message.send", {"conversation_id": made.conversation_id}),
        ("message.send", {"conversation_id": "no-such", "message_id": new_id(), "body_text": "x"}),
        ("conversation.set_status", {"conversation_id": made.conversation_id, "status": "snoozed"}),
        (
            "conversation.set_status",
            {"conversation_id": made.conversation_id, "status": "exploded"},
        ),
        ("conversation.assign", {"conversation_id": made.conversation_id, "assignee_id": "ghost"}),
    )
    codes = [r["reason"]["code"] for r in results]
    assert codes == ["unknown_type", "invalid", "not_found", "invalid", "invalid", "not_found"]
    assert all(r["status"] == "rejected" and r["reason"]["message"] for r in results)


def test_openapi_and_health(live: ServerProcess) -> None:
    assert requests.get(f"{live.url}/healthz", timeout=5).json()["status"] == "ok"
    spec = requests.get(f"{live.url}/openapi.json", timeout=5).json()
    for path in ("/api/v1/changes", "/api/v1/push", "/api/v1/auth/login", "/healthz"):
        assert path in spec["paths"]
