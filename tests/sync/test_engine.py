"""``SyncEngine`` against a real server: sync, round trips, offline, races, recovery."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from csdesk.protocol import Entity, Mutation, MutationResult, MutationType, PullPage
from csdesk.storage import models as m
from csdesk.sync import (
    CacheOwnerMismatch,
    ChangeSet,
    Offline,
    Rejection,
    SyncApi,
    SyncEvent,
    SyncState,
    SyncStatus,
)
from csdesk.sync.tables import set_state
from tests.helpers.server import ServerProcess, TestUser
from tests.sync.conftest import (
    ClientFactory,
    Seeded,
    dump_cache,
    fresh_sync,
    seed,
    server_messages,
    wait_for,
)

ALL = tuple(Entity)


class RecordingApi(SyncApi):
    """Remembers every pull's ``after`` and ``wait``."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.pulls: list[tuple[int, float]] = []

    def pull(self, after: int, limit: int = 500, wait: float = 0.0) -> PullPage:
        self.pulls.append((after, wait))
        return super().pull(after, limit, wait)


class LossyApi(SyncApi):
    """Delivers the first push but loses its answer, as a dropped connection would."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.pushed: list[list[str]] = []
        self.answers: list[list[MutationResult]] = []

    def push(self, mutations: list[Mutation]) -> list[MutationResult]:
        results = super().push(mutations)
        self.pushed.append([mu["id"] for mu in mutations])
        self.answers.append(results)
        if len(self.pushed) == 1:
            raise Offline("the answer was lost")
        return results


def online(client: Any) -> bool:
    return bool(client.engine.status.state == SyncState.ONLINE)


def cached(client: Any, model: type[m.Base], ident: str) -> Any:
    with client.cache.session() as s:
        return s.get(model, ident)


@pytest.mark.slow
def test_initial_sync_resumes_from_the_last_whole_page(
    server: ServerProcess,
    db_url: str,
    users: dict[str, TestUser],
    make_client: ClientFactory,
    tmp_path: Any,
) -> None:
    seed(db_url, customers=60, conversations_per_customer=2)
    first = make_client("ann", page_limit=20)
    for _ in range(3):
        first.engine.pull_once(wait=0)
    stopped_at = first.cache.cursor()
    head = first.cache.head()
    assert 0 < stopped_at < head
    first.cache.close()  # the desk dies here

    api = RecordingApi(server.url, timeout=5)
    second = make_client("ann", path=first.path, api=api, page_limit=20, start=True)
    wait_for(lambda: online(second), "the resumed sync to catch up")
    catch_up = [after for after, wait in api.pulls if wait == 0]
    assert catch_up[0] == stopped_at  # resumed, not restarted
    assert catch_up == sorted(set(catch_up))  # each page once, in order
    assert (
        len(catch_up) == math.ceil((head - stopped_at) / 20)
        or len(catch_up) == math.ceil((head - stopped_at) / 20) + 1
    )  # the last page may end exactly at the head
    reference = fresh_sync(server.url, users["ann"], tmp_path / "reference.sqlite")
    assert dump_cache(second.cache, ALL) == dump_cache(reference, ALL)
    assert len(dump_cache(reference, ALL)[Entity.CONVERSATION]) == 120
    reference.close()


def test_a_reply_reaches_the_other_desk(
    seeded: Seeded, make_client: ClientFactory, users: dict[str, TestUser]
) -> None:
    ann = make_client("ann", start=True)
    bob = make_client("bob", start=True)
    ann_events: list[SyncEvent] = []
    bob_events: list[SyncEvent] = []
    ann.engine.add_listener(ann_events.append)
    bob.engine.add_listener(bob_events.append)
    bob.engine.add_listener(lambda e: 1 / 0)  # a broken listener must not stop sync
    wait_for(lambda: online(ann) and online(bob), "both desks online")
    conv = seeded.conversations[0]

    seen = len(ann_events)
    mid = ann.engine.enqueue(
        MutationType.MESSAGE_SEND,
        {"conversation_id": conv, "body_text": "Your parcel left today.\nRegards"},
    )
    local = next(e for e in ann_events[seen:] if isinstance(e, ChangeSet))  # before it returned
    assert local.ids(Entity.CONVERSATION) == {conv} and len(local.ids(Entity.MESSAGE)) == 1
    msg_id = next(iter(local.ids(Entity.MESSAGE)))
    assert cached(ann, m.Message, msg_id).delivery_status == "pending"

    def bob_has_it() -> bool:
        msg = cached(bob, m.Message, msg_id)
        return msg is not None and msg.delivery_status == "queued"

    wait_for(bob_has_it, "bob to receive ann's reply")
    conv_at_bob = cached(bob, m.Conversation, conv)
    assert (conv_at_bob.message_count, conv_at_bob.preview) == (1, "Your parcel left today.")
    assert cached(bob, m.Message, msg_id).author_user_id == users["ann"].id
    # Listeners hear of a page just after it commits, so the event may trail the cache.
    wait_for(
        lambda: any(
            isinstance(e, ChangeSet) and msg_id in e.ids(Entity.MESSAGE) for e in bob_events
        ),
        "bob's listeners to hear of ann's reply",
    )
    wait_for(lambda: ann.engine.outbox.get(mid) is None, "ann's outbox to empty")
    wait_for(lambda: cached(ann, m.Message, msg_id).delivery_status == "queued", "ann's copy")
    assert cached(ann, m.Conversation, conv).message_count == 1


@pytest.mark.slow
def test_replies_written_offline_arrive_in_order_exactly_once(
    server: ServerProcess, seeded: Seeded, make_client: ClientFactory, server_session: Any
) -> None:
    ann = make_client("ann", start=True)
    statuses: list[SyncStatus] = []
    ann.engine.add_listener(lambda e: statuses.append(e) if isinstance(e, SyncStatus) else None)
    wait_for(lambda: online(ann), "ann online")
    server.kill()
    wait_for(lambda: ann.engine.status.state == SyncState.OFFLINE, "ann to notice")
    assert "Cannot reach the server" in (ann.engine.status.last_error or "")
    conv = seeded.conversations[1]
    bodies = [f"offline reply {n}" for n in range(5)]
    for body in bodies:
        ann.engine.enqueue(MutationType.MESSAGE_SEND, {"conversation_id": conv, "body_text": body})
    assert ann.engine.status.pending == 5
    assert cached(ann, m.Conversation, conv).message_count == 5  # shown while offline
    server.start()
    wait_for(
        lambda: online(ann) and ann.engine.status.pending == 0, "the queue to drain", timeout=60
    )
    assert [msg.body_text for msg in server_messages(server_session, conv)] == bodies
    assert ann.engine.status.rejected == 0 and ann.engine.status.last_error is None
    assert SyncState.OFFLINE in [s.state for s in statuses]
    wait_for(lambda: ann.engine.outbox.counts().pending == 0, "outbox empty")
    assert cached(ann, m.Conversation, conv).message_count == 5


def test_a_lost_claim_race_shows_the_winner(
    seeded: Seeded, make_client: ClientFactory, users: dict[str, TestUser]
) -> None:
    ann = make_client("ann")
    bob = make_client("bob")
    ann.engine.sync_now()
    bob.engine.sync_now()
    conv = seeded.conversations[2]
    rejections: list[Rejection] = []
    ann.engine.add_listener(lambda e: rejections.append(e) if isinstance(e, Rejection) else None)

    bob.engine.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": conv})
    assert bob.engine.push_once() == 1
    claim = ann.engine.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": conv})
    assert cached(ann, m.Conversation, conv).assignee_id == users["ann"].id  # optimistic
    cursor = ann.cache.cursor()
    assert ann.engine.push_once() == 1

    (rejection,) = rejections
    assert (rejection.mutation_id, rejection.code) == (claim, "already_assigned")
    assert rejection.message == "bob has already taken this conversation."
    assert ann.cache.cursor() == cursor  # no pull: the snapshot showed the winner
    assert cached(ann, m.Conversation, conv).assignee_id == users["bob"].id
    assert ann.engine.status.rejected == 1 and ann.engine.status.pending == 0
    assert ann.engine.dismiss(claim) and ann.engine.status.rejected == 0


def test_a_lost_answer_is_resent_and_applied_once(
    server: ServerProcess, seeded: Seeded, make_client: ClientFactory, server_session: Any
) -> None:
    api = LossyApi(server.url, timeout=5)
    ann = make_client("ann", api=api, start=True)
    conv = seeded.conversations[3]
    mid = ann.engine.enqueue(
        MutationType.MESSAGE_SEND, {"conversation_id": conv, "body_text": "only once"}
    )
    wait_for(lambda: ann.engine.outbox.get(mid) is None, "the reply to be confirmed")
    assert api.pushed[:2] == [[mid], [mid]]
    assert api.answers[1][0]["status"] == "duplicate"
    assert [msg.body_text for msg in server_messages(server_session, conv)] == ["only once"]
    wait_for(lambda: online(ann), "caught up")
    assert cached(ann, m.Conversation, conv).message_count == 1


def test_stop_interrupts_the_long_poll(seeded: Seeded, make_client: ClientFactory) -> None:
    ann = make_client("ann", start=True)
    wait_for(lambda: online(ann), "ann online")
    time.sleep(0.2)  # not an assertion: lets the 25 s long-poll start
    started = time.monotonic()
    assert ann.engine.stop(10)
    assert time.monotonic() - started < 5  # far from the 25 s the poll would hold


def test_an_expired_session_pauses_until_signed_in_again(
    server: ServerProcess, seeded: Seeded, make_client: ClientFactory, users: dict[str, TestUser]
) -> None:
    ann = make_client("ann", start=True)
    wait_for(lambda: online(ann), "ann online")
    SyncApi(server.url, token=ann.api.token).logout()  # revoked, e.g. by an administrator
    mid = ann.engine.enqueue(
        MutationType.CONVERSATION_PRIORITY,
        {"conversation_id": seeded.conversations[0], "priority": "high"},
    )
    wait_for(lambda: ann.engine.status.state == SyncState.SIGNED_OUT, "signed out")
    assert "sign in again" in (ann.engine.status.last_error or "")
    assert ann.engine.status.pending == 1 and ann.engine.outbox.get(mid) is not None
    ann.engine.login("ann", users["ann"].password)
    wait_for(lambda: online(ann) and ann.engine.status.pending == 0, "resumed", timeout=60)


def test_cursor_ahead_resyncs_from_zero(
    server: ServerProcess,
    seeded: Seeded,
    make_client: ClientFactory,
    users: dict[str, TestUser],
    tmp_path: Any,
) -> None:
    ann = make_client("ann")
    ann.engine.sync_now()
    head = ann.cache.head()
    with ann.cache.write() as s:  # as if the server's database had been restored from backup
        set_state(s, "cursor", head + 1000)
    events: list[SyncEvent] = []
    ann.engine.add_listener(events.append)
    ann.engine.start()
    wait_for(lambda: online(ann) and ann.cache.cursor() == head, "the resync")
    assert any(isinstance(e, ChangeSet) and e.everything for e in events)
    reference = fresh_sync(server.url, users["ann"], tmp_path / "reference.sqlite")
    assert dump_cache(ann.cache, ALL) == dump_cache(reference, ALL)
    reference.close()


def test_a_cache_belongs_to_one_agent(seeded: Seeded, make_client: ClientFactory) -> None:
    ann = make_client("ann")
    with pytest.raises(CacheOwnerMismatch):
        make_client("bob", path=ann.path)


@pytest.mark.parametrize("batch_bytes", [1_000_000, 10_000_000], ids=["alone", "batched"])
def test_an_action_the_server_cannot_take_does_not_block_the_queue(
    batch_bytes: int,
    server: ServerProcess,
    seeded: Seeded,
    make_client: ClientFactory,
    server_session: Any,
) -> None:
    # Over the server's 2 MiB body limit: the whole request is refused with 413, alone or
    # in a batch with an innocent reply.
    ann = make_client("ann", max_batch_bytes=batch_bytes)
    ann.engine.sync_now()
    conv = seeded.conversations[0]
    huge = ann.engine.enqueue(
        MutationType.MESSAGE_SEND, {"conversation_id": conv, "body_text": "x" * 3_000_000}
    )
    ann.engine.enqueue(MutationType.MESSAGE_SEND, {"conversation_id": conv, "body_text": "next"})
    rejections: list[Rejection] = []
    ann.engine.add_listener(lambda e: rejections.append(e) if isinstance(e, Rejection) else None)
    while ann.engine.push_once():
        pass
    assert [(r.mutation_id, r.code) for r in rejections] == [(huge, "invalid")]
    assert "request body over" in rejections[0].message
    assert [msg.body_text for msg in server_messages(server_session, conv)] == ["next"]
    assert ann.engine.status.pending == 0 and ann.engine.status.rejected == 1
