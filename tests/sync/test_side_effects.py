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


def test_a_retry_shows_the_failed_mail_waiting_again_and_a_refusal_puts_it_back(
    cache: LocalCache,
) -> None:
    from csdesk.storage.wire import row_to_wire
    from tests.sync.test_cache import T0

    failed = row_to_wire(
        Entity.SIDE_MESSAGE,
        {"id": "so-5", "realm": "production", "created_at": T0, "updated_at": T0,
         "side_conversation_id": "sd-5", "conversation_id": "c1", "direction": "out",
         "author_name": "Ann", "from_address": "support@store.example", "body_text": "Stock?",
         "status": "failed", "failure_reason": "could not reach the SMTP server",
         "provider_message_id": None, "sent_at": None},
    )  # fmt: skip
    cache.apply_page(page((Entity.SIDE_MESSAGE, "so-5", failed), cursor=1))
    outbox = Outbox(cache)
    mid = outbox.enqueue(MutationType.SIDE_RETRY, {"side_message_id": "so-5"})
    again = row(cache, m.SideMessage, "so-5")
    assert again.status == "queued" and again.failure_reason is None
    outbox.mark_rejected(mid, {"code": "conflict", "message": "refused"})
    back = row(cache, m.SideMessage, "so-5")
    assert back.status == "failed" and back.failure_reason == "could not reach the SMTP server"
