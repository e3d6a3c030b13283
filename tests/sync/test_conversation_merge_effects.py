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
