"""The local effects of ``side.forward``, ``side.reply`` and ``side.retry``
(``optimistic.EFFECTS`` registers them; docs/side-conversations.md): the side conversation is
listed at once, offline too, its mail "waiting to be sent" (a failed one sent again, too); the
server composes the forwarded text and sends it, and its rows come back through the feed.
Where the server would refuse (a bad address), nothing is shown and the refusal explains why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from csdesk.domain import side_mail as rules
from csdesk.domain.enums import Realm
from csdesk.protocol import Entity, MutationType
from csdesk.sync.tables import get_row, upsert_rows

if TYPE_CHECKING:
    from csdesk.sync.optimistic import LocalMutation, Me, Pair

REQUIRED_ARGS: Mapping[MutationType, tuple[str, ...]] = {
    MutationType.SIDE_FORWARD: ("side_id", "out_id", "conversation_id", "to_address"),
    MutationType.SIDE_REPLY: ("side_id", "out_id", "body_text"),
    MutationType.SIDE_RETRY: ("side_message_id",),
}


def affected(mtype: str, args: Mapping[str, Any]) -> list[Pair]:
    if mtype == MutationType.SIDE_REPLY:
        return [(Entity.SIDE_MESSAGE, str(args["out_id"]))]
    if mtype == MutationType.SIDE_RETRY:
        return [(Entity.SIDE_MESSAGE, str(args["side_message_id"]))]
    return [
        (Entity.SIDE_CONVERSATION, str(args["side_id"])),
        (Entity.SIDE_MESSAGE, str(args["out_id"])),
    ]


def _forward(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    sid, out_id, cid = str(a["side_id"]), str(a["out_id"]), str(a["conversation_id"])
    try:
        to = rules.check_address(str(a["to_address"]))
    except rules.AddressProblem:
        return  # the server refuses it; the refusal says why
    if get_row(session, Entity.SIDE_CONVERSATION, sid) is not None:
        return
    conv = get_row(session, Entity.CONVERSATION, cid) or {}
    realm = str(conv.get("realm") or Realm.PRODUCTION.value)
    subject = rules.clean_subject(str(a.get("subject") or "")) or rules.clean_subject(
        f"Fwd: {conv.get('subject') or ''}"
    )
    side = {
        "id": sid, "realm": realm, "created_at": mut.at, "updated_at": mut.at,
        "conversation_id": cid, "message_id": a.get("message_id"),
        "scope": str(a.get("scope") or rules.Scope.THREAD.value), "to_address": to,
        "subject": subject, "token": rules.token_for(sid), "created_by_id": me.id or "",
        "created_by_name": me.display_name, "reply_count": 0, "last_in_at": None,
    }  # fmt: skip
    out = {
        "id": out_id, "realm": realm, "created_at": mut.at, "updated_at": mut.at,
        "side_conversation_id": sid, "conversation_id": cid,
        "direction": rules.Direction.OUT.value, "author_name": me.display_name,
        "from_address": "", "body_text": str(a.get("note") or ""),
        "status": rules.SideStatus.QUEUED.value, "failure_reason": None,
        "provider_message_id": None, "sent_at": None,
    }  # fmt: skip
    upsert_rows(session, Entity.SIDE_CONVERSATION, [side])
    upsert_rows(session, Entity.SIDE_MESSAGE, [out])


def _reply(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    side = get_row(session, Entity.SIDE_CONVERSATION, str(a["side_id"]))
    out_id = str(a["out_id"])
    if side is None or get_row(session, Entity.SIDE_MESSAGE, out_id) is not None:
        return
    out = {
        "id": out_id, "realm": side.get("realm"), "created_at": mut.at, "updated_at": mut.at,
        "side_conversation_id": side["id"], "conversation_id": side.get("conversation_id"),
        "direction": rules.Direction.OUT.value, "author_name": me.display_name,
        "from_address": "", "body_text": str(a.get("body_text") or ""),
        "status": rules.SideStatus.QUEUED.value, "failure_reason": None,
        "provider_message_id": None, "sent_at": None,
    }  # fmt: skip
    upsert_rows(session, Entity.SIDE_MESSAGE, [out])


def _retry(session: Session, mut: LocalMutation, me: Me) -> None:
    """A failed mail sent again: "waiting to be sent" at once (a refusal puts it back)."""
    row = get_row(session, Entity.SIDE_MESSAGE, str(mut.args["side_message_id"]))
    if row is None or row.get("status") != rules.SideStatus.FAILED.value:
        return
    row.update(status=rules.SideStatus.QUEUED.value, failure_reason=None, updated_at=mut.at)
    upsert_rows(session, Entity.SIDE_MESSAGE, [row])


EFFECTS: dict[str, Any] = {
    MutationType.SIDE_FORWARD: _forward,
    MutationType.SIDE_REPLY: _reply,
    MutationType.SIDE_RETRY: _retry,
}
