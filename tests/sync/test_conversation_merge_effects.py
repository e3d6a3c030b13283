"""The desk's local effects of merging, unmerging and splitting conversations (no server,
docs/merge-split.md): shown at once (offline), kept across a pull, and gone again, every
moved message included, when the server refuses; another customer's conversation is left
alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from csdesk.app import thread
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import T0, cache, conversation, customer, page, row

__all__ = ["cache"]  # the fixture, shared


def message(ident: str, conversation_id: str, minutes: int, channel: str) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0 + timedelta(minutes=minutes),
        "updated_at": T0, "conversation_id": conversation_id, "channel": channel,
        "direction": "in", "is_note": False, "author_name": "Carla", "subject": "",
        "body_text": f"{channel} {minutes}", "attachments": [], "delivery_status": "received",
    }  # fmt: skip
    return row_to_wire(Entity.MESSAGE, data)


def _seed(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            (Entity.CUSTOMER, "cust-2", customer("cust-2", name="Other")),
            (Entity.CONVERSATION, "mail", conversation("mail", message_count=2)),
            (Entity.CONVERSATION, "chat", conversation("chat", channel="chat", message_count=2)),
            (Entity.CONVERSATION, "else", conversation("else", "cust-2", message_count=1)),
            (Entity.MESSAGE, "m0", message("m0", "mail", 0, "email")),
            (Entity.MESSAGE, "c1", message("c1", "chat", 10, "chat")),
            (Entity.MESSAGE, "m2", message("m2", "mail", 20, "email")),
            (Entity.MESSAGE, "c3", message("c3", "chat", 30, "chat")),
            (Entity.MESSAGE, "e0", message("e0", "else", 5, "email")),
            cursor=10,
        )
    )


def _thread(cache: LocalCache, cid: str) -> list[tuple[str, str]]:
    with cache.session() as s:
        view = thread.conversation(s, cid)
    assert view is not None
    return [(msg.body_text, msg.merged_from) for msg in view.messages]


def test_a_merge_interleaves_at_once_survives_a_pull_and_a_refusal_undoes_it(
    cache: LocalCache,
) -> None:
    _seed(cache)
    outbox = Outbox(cache)
    mid, changes = outbox.enqueue_with_changes(
        MutationType.CONVERSATION_MERGE,
        {"source_conversation_id": "chat", "target_conversation_id": "mail"},
    )
    merged = _thread(cache, "mail")
    assert [b for b, _ in merged] == ["email 0", "chat 10", "email 20", "chat 30"]
    assert [bool(f) for _, f in merged] == [False, True, False, True]
    assert merged[1][1].startswith("from Chat conversation of ")
    assert row(cache, m.Conversation, "chat").merged_into_id == "mail"
    assert _thread(cache, "chat") == merged  # opening the merged one lands where it went
    assert changes.ids(Entity.MESSAGE) == {"c1", "c3"}

    cache.apply_page(page((Entity.CONVERSATION, "chat", conversation("chat")), cursor=11))
    assert [b for b, _ in _thread(cache, "mail")] == ["email 0", "chat 10", "email 20", "chat 30"]

    outbox.mark_rejected(mid, {"code": "conflict", "message": "No."})
    assert [b for b, _ in _thread(cache, "mail")] == ["email 0", "email 20"]
    assert [b for b, _ in _thread(cache, "chat")] == ["chat 10", "chat 30"]
    assert row(cache, m.Conversation, "chat").merged_into_id is None


def test_another_customers_conversation_is_not_merged_locally(cache: LocalCache) -> None:
    _seed(cache)
    Outbox(cache).enqueue_with_changes(
        MutationType.CONVERSATION_MERGE,
        {"source_conversation_id": "else", "target_conversation_id": "mail"},
    )
    assert [b for b, _ in _thread(cache, "mail")] == ["email 0", "email 20"]
    assert row(cache, m.Conversation, "else").merged_into_id is None


def test_unmerge_and_split_show_at_once(cache: LocalCache) -> None:
    _seed(cache)
    outbox = Outbox(cache)
    outbox.enqueue_with_changes(
        MutationType.CONVERSATION_MERGE,
        {"source_conversation_id": "chat", "target_conversation_id": "mail"},
    )
    outbox.enqueue_with_changes(MutationType.CONVERSATION_UNMERGE, {"conversation_id": "chat"})
    assert [b for b, _ in _thread(cache, "chat")] == ["chat 10", "chat 30"]
    assert [b for b, _ in _thread(cache, "mail")] == ["email 0", "email 20"]
    outbox.enqueue_with_changes(
        MutationType.CONVERSATION_SPLIT,
        {"conversation_id": "mail", "message_id": "m2", "new_conversation_id": "new"},
    )
    assert [b for b, _ in _thread(cache, "mail")] == ["email 0"]
    assert [b for b, _ in _thread(cache, "new")] == ["email 20"]
    new = row(cache, m.Conversation, "new")
    assert (new.customer_id, new.channel, new.status) == ("cust-1", "email", "open")


def _merged_page(cursor: int, *more: tuple[Entity, str, dict[str, Any] | None]) -> Any:
    """The feed after another desk merged "chat" into "mail"."""
    return page(
        (Entity.CONVERSATION, "chat", conversation(
            "chat", channel="chat", message_count=0, status="resolved", merged_into_id="mail",
            merged_at=T0 + timedelta(hours=1))),
        (Entity.CONVERSATION, "mail", conversation("mail", message_count=4)),
        (Entity.MESSAGE, "c1", {**message("c1", "mail", 10, "chat"), "merged_from_id": "chat"}),
        (Entity.MESSAGE, "c3", {**message("c3", "mail", 30, "chat"), "merged_from_id": "chat"}),
        *more,
        cursor=cursor,
    )  # fmt: skip


def test_a_reply_queued_offline_follows_a_merge_pulled_later(cache: LocalCache) -> None:
    """Pulled before the reply is pushed: the desk's copy moves into the target at once,
    counted once however often the cache rebases, and the agent is to be told once."""
    from csdesk.sync import conversation_merge_effects as effects

    _seed(cache)
    outbox = Outbox(cache)
    args = {"conversation_id": "chat", "message_id": "r1", "body_text": "Offline answer"}
    outbox.enqueue_with_changes(MutationType.MESSAGE_SEND, args)
    assert row(cache, m.Message, "r1").conversation_id == "chat"
    cache.apply_page(_merged_page(11))
    assert row(cache, m.Message, "r1").conversation_id == "mail"
    assert row(cache, m.Conversation, "mail").message_count == 5
    cache.apply_page(page((Entity.CONVERSATION, "mail", conversation("mail", message_count=4)),
                          cursor=12))  # fmt: skip
    assert row(cache, m.Conversation, "mail").message_count == 5  # a rebase counts it once
    assert row(cache, m.Conversation, "chat").message_count == 0
    with cache.session() as s:
        assert effects.untold(s) == {"r1": {"from": "chat", "to": "mail", "told": False}}
    with cache.write() as s:
        effects.mark_told(s, ["r1"])
    cache.apply_page(page((Entity.CONVERSATION, "mail", conversation("mail", message_count=4)),
                          cursor=13))  # fmt: skip
    with cache.session() as s:
        assert effects.untold(s) == {}  # a replay does not tell it again


def test_a_reply_the_server_put_in_the_merge_target_is_noticed(cache: LocalCache) -> None:
    """Pushed before the merge reached the desk: the server put it in the target; when the
    feed delivers it, the desk notes where it went."""
    from csdesk.sync import conversation_merge_effects as effects

    _seed(cache)
    outbox = Outbox(cache)
    args = {"conversation_id": "chat", "message_id": "r2", "body_text": "Offline answer"}
    mid, _ = outbox.enqueue_with_changes(MutationType.MESSAGE_SEND, args)
    outbox.resolve({mid: 16}, {})
    reply = {**message("r2", "mail", 90, "email"), "direction": "out"}
    cache.apply_page(_merged_page(16, (Entity.MESSAGE, "r2", reply)))
    assert row(cache, m.Message, "r2").conversation_id == "mail"
    with cache.session() as s:
        assert effects.untold(s) == {"r2": {"from": "chat", "to": "mail", "told": False}}
