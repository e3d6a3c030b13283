"""``side.forward`` offline (no server; docs/side-conversations.md): the side conversation and
its mail "waiting to be sent" are in the cache at once while the mutation waits in the outbox;
a bad address shows nothing (the server refuses it); a refusal takes the rows away again."""

from __future__ import annotations

from csdesk.domain import side_mail as rules
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import cache, conversation, page, row

__all__ = ["cache"]  # the fixture, shared


def test_a_forward_is_listed_at_once_and_a_refusal_takes_it_back(cache: LocalCache) -> None:
    cache.apply_page(page((Entity.CONVERSATION, "c1", conversation("c1")), cursor=1))
    outbox = Outbox(cache)
    args = {"side_id": "sd-1", "out_id": "so-1", "conversation_id": "c1",
            "to_address": " Orders@Supplier.EXAMPLE ", "note": "Stock?"}  # fmt: skip
    mid = outbox.enqueue(MutationType.SIDE_FORWARD, args)
    side = row(cache, m.SideConversation, "sd-1")
    assert side.to_address == "Orders@supplier.example"
    assert side.subject == "Fwd: Parcel" and side.token == rules.token_for("sd-1")
    out = row(cache, m.SideMessage, "so-1")
    assert out.status == "queued" and out.direction == "out" and out.body_text == "Stock?"
    assert out.side_conversation_id == "sd-1" and out.conversation_id == "c1"

    outbox.enqueue(
        MutationType.SIDE_REPLY, {"side_id": "sd-1", "out_id": "so-9", "body_text": "More?"}
    )
    again = row(cache, m.SideMessage, "so-9")
    assert again.side_conversation_id == "sd-1" and again.body_text == "More?"
    assert again.status == "queued" and again.direction == "out"

    bad = {**args, "side_id": "sd-2", "out_id": "so-2", "to_address": "a@b.example\r\nBcc: x"}
    outbox.enqueue(MutationType.SIDE_FORWARD, bad)
    assert row(cache, m.SideConversation, "sd-2") is None

    outbox.mark_rejected(mid, {"code": "invalid", "message": "refused"})
    assert row(cache, m.SideConversation, "sd-1") is None
    assert row(cache, m.SideMessage, "so-1") is None
