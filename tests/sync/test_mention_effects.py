"""``mention.read`` offline (no server; docs/mentions.md): the mention reads as read in the
cache at once while the mutation waits in the outbox; another user's mention is left alone;
the server's row from the feed is the truth afterwards."""

from __future__ import annotations

from typing import Any

from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import ME, T0, cache, page, row

__all__ = ["cache"]  # the fixture, shared


def mention(ident: str, user_id: str = ME["id"], **kw: Any) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "user_id": user_id, "by_user_id": "u-bob", "by_name": "Bob", "conversation_id": "c1",
        "message_id": "n1", "excerpt": "Please check", "read_at": None, **kw,
    }  # fmt: skip
    return row_to_wire(Entity.MENTION, data)


def test_a_mention_reads_as_read_at_once_offline(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.MENTION, "mn-1", mention("mn-1")),
            (Entity.MENTION, "mn-2", mention("mn-2", user_id="u-other")),
            cursor=2,
        )
    )
    outbox = Outbox(cache)
    outbox.enqueue(MutationType.MENTION_READ, {"mention_id": "mn-1"})
    outbox.enqueue(MutationType.MENTION_READ, {"mention_id": "mn-2"})
    assert row(cache, m.Mention, "mn-1").read_at is not None
    assert row(cache, m.Mention, "mn-2").read_at is None  # not mine: the server refuses it
    assert [p.type for p in outbox.pending()] == [MutationType.MENTION_READ] * 2
