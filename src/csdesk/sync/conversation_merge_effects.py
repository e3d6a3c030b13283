"""The local effects of merging, unmerging and splitting conversations (``optimistic.EFFECTS``
registers them; docs/merge-split.md): the thread shows the result at once, offline too. They
mirror ``server/conversation_merge/service.py``; where the server would refuse (another
customer's conversation, one merged already) they change nothing and let the rejection say
why. What only the server knows (the undo's snapshot of statuses, the split's notes) arrives
with the feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus
from csdesk.protocol import Entity, MutationType
from csdesk.sync.tables import CACHE_TABLES, get_row

if TYPE_CHECKING:
    from csdesk.sync.optimistic import LocalMutation, Me, Pair

REQUIRED_ARGS: Mapping[MutationType, tuple[str, ...]] = {
    MutationType.CONVERSATION_MERGE: ("source_conversation_id", "target_conversation_id"),
    MutationType.CONVERSATION_UNMERGE: ("conversation_id",),
    MutationType.CONVERSATION_SPLIT: ("conversation_id", "message_id", "new_conversation_id"),
}


def affected(mtype: str, args: Mapping[str, Any]) -> list[Pair]:
    if mtype == MutationType.CONVERSATION_MERGE:
        return [
            (Entity.CONVERSATION, str(args["source_conversation_id"])),
            (Entity.CONVERSATION, str(args["target_conversation_id"])),
        ]
    if mtype == MutationType.CONVERSATION_SPLIT:
        return [
            (Entity.CONVERSATION, str(args["conversation_id"])),
            (Entity.CONVERSATION, str(args["new_conversation_id"])),
            (Entity.MESSAGE, str(args["message_id"])),
        ]
    return [(Entity.CONVERSATION, str(args["conversation_id"]))]


def shop_of(tags: Any) -> str | None:
    """The shop a conversation came from (its ``store:NAME`` tag), as the server reads it."""
    return next(
        (str(t).removeprefix("store:") for t in tags or () if str(t).startswith("store:")), None
    )


def _messages(session: Session, conversation_id: str) -> list[dict[str, Any]]:
    t = CACHE_TABLES[Entity.MESSAGE]
    rows = session.execute(
        select(t).where(t.c.conversation_id == conversation_id).order_by(t.c.created_at, t.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def _live(session: Session, cid: str) -> dict[str, Any] | None:
    conv = get_row(session, Entity.CONVERSATION, cid)
    return conv if conv is not None and conv.get("deleted_at") is None else None


def _move(
    session: Session, mut: LocalMutation, msgs: list[dict[str, Any]], to: str, origin: Any
) -> list[Pair]:
    """Move ``msgs`` into conversation ``to``; ``origin(msg)`` is their new merged_from_id."""
    from csdesk.sync.optimistic import _change, _touch

    touched = []
    for msg in msgs:
        touched.append(_touch(session, Entity.MESSAGE, str(msg["id"])))
        _change(
            session, Entity.MESSAGE, msg, mut.at, conversation_id=to, merged_from_id=origin(msg)
        )
    return touched


def _merge(session: Session, mut: LocalMutation, _me: Me) -> list[Pair]:
    from csdesk.sync.optimistic import _change

    sid, tid = str(mut.args["source_conversation_id"]), str(mut.args["target_conversation_id"])
    source, target = _live(session, sid), _live(session, tid)
    if source is None or target is None or sid == tid:
        return []
    if source.get("customer_id") != target.get("customer_id"):
        return []
    if source.get("merged_into_id") or target.get("merged_into_id"):
        return []
    shops = (shop_of(source.get("tags")), shop_of(target.get("tags")))
    if None not in shops and shops[0] != shops[1]:
        return []  # from two shops: the server refuses
    msgs = _messages(session, sid)
    touched = _move(session, mut, msgs, tid, lambda msg: msg.get("merged_from_id") or sid)
    times = [t for t in (target.get("last_message_at"), source.get("last_message_at")) if t]
    reopen: dict[str, Any] = {}
    if source.get("status") != ConversationStatus.RESOLVED.value and target.get("status") in (
        ConversationStatus.RESOLVED.value,
        ConversationStatus.SNOOZED.value,
    ):
        reopen = {
            "status": ConversationStatus.OPEN.value,
            "snoozed_until": None,
            "resolved_at": None,
        }
    _change(
        session, Entity.CONVERSATION, target, mut.at,
        message_count=int(target.get("message_count") or 0) + len(msgs),
        last_message_at=max(times) if times else target.get("last_message_at"),
        **reopen,
    )  # fmt: skip
    resolved = source.get("status") == ConversationStatus.RESOLVED.value
    _change(
        session, Entity.CONVERSATION, source, mut.at,
        merged_into_id=tid, merged_at=mut.at, message_count=0, waiting_since=None,
        status=ConversationStatus.RESOLVED.value,
        resolved_at=source.get("resolved_at") if resolved else mut.at,
    )  # fmt: skip
    return touched


def _unmerge(session: Session, mut: LocalMutation, _me: Me) -> list[Pair]:
    from csdesk.sync.optimistic import _change, _touch

    sid = str(mut.args["conversation_id"])
    source = _live(session, sid)
    tid = str((source or {}).get("merged_into_id") or "")
    target = _live(session, tid) if tid else None
    if source is None or target is None:
        return []
    back = [msg for msg in _messages(session, tid) if msg.get("merged_from_id") == sid]
    touched = [_touch(session, Entity.CONVERSATION, tid)]
    touched += _move(session, mut, back, sid, lambda _msg: None)
    _change(
        session, Entity.CONVERSATION, target, mut.at,
        message_count=max(0, int(target.get("message_count") or 0) - len(back)),
    )  # fmt: skip
    _change(
        session, Entity.CONVERSATION, source, mut.at,
        merged_into_id=None, merged_at=None, message_count=len(back),
    )  # fmt: skip
    return touched


def _split(session: Session, mut: LocalMutation, _me: Me) -> list[Pair]:
    from csdesk.sync.optimistic import _change, _save

    a = mut.args
    cid, mid, new = str(a["conversation_id"]), str(a["message_id"]), str(a["new_conversation_id"])
    conv = _live(session, cid)
    if conv is None or conv.get("merged_into_id") or get_row(session, Entity.CONVERSATION, new):
        return []
    thread = _messages(session, cid)
    at = next((n for n, msg in enumerate(thread) if msg["id"] == mid), None)
    if at is None:
        return []
    origin = thread[at].get("merged_from_id")  # the same thread only (as the server)
    later = [msg for msg in thread[at + 1 :] if msg.get("merged_from_id") == origin]
    chosen = [thread[at], *(later if a.get("with_later") else [])]
    if len(chosen) == len(thread):
        return []
    first = chosen[0]
    _save(
        session,
        Entity.CONVERSATION,
        {
            **conv,
            "id": new,
            "created_at": first["created_at"],
            "updated_at": mut.at,
            "channel": first.get("channel") or conv["channel"],
            "subject": first.get("subject") or conv.get("subject") or "",
            "status": ConversationStatus.OPEN.value,
            "tags": [],
            "snoozed_until": None,
            "resolved_at": None,
            "first_response_at": None,
            "last_message_at": chosen[-1]["created_at"],
            "message_count": len(chosen),
            "merged_into_id": None,
            "merged_at": None,
        },
    )
    touched = _move(session, mut, chosen, new, lambda _msg: None)
    _change(
        session, Entity.CONVERSATION, conv, mut.at,
        message_count=max(0, int(conv.get("message_count") or 0) - len(chosen)),
    )  # fmt: skip
    return touched


EFFECTS: dict[str, Any] = {
    MutationType.CONVERSATION_MERGE: _merge,
    MutationType.CONVERSATION_UNMERGE: _unmerge,
    MutationType.CONVERSATION_SPLIT: _split,
}


# --- replies queued into a conversation merged away meanwhile --------------------------------

#: Replies and notes the desk wrote into a conversation that was merged away before the
#: server applied them (sync state): message id -> {"from", "to", "told"}. The server puts
#: them in the merge target; the window tells the agent once (docs/merge-split.md).
FOLLOWED_KEY = "merge_followed_replies"
_MAX_HOPS = 8
_KEEP_TOLD = 200


def landing(session: Session, cid: str) -> dict[str, Any] | None:
    """The live conversation a merged one lives in now (followed, as the server does), or
    None when ``cid`` is not merged (or its target is not in the cache)."""
    conv = _live(session, cid)
    seen = {cid}
    found: dict[str, Any] | None = None
    for _hop in range(_MAX_HOPS):
        nxt = str((conv or {}).get("merged_into_id") or "")
        if not nxt or nxt in seen:
            break
        conv = _live(session, nxt)
        if conv is None:
            break
        seen.add(nxt)
        found = conv
    return found


def note_followed(session: Session, message_id: str, source: str, target: str) -> None:
    """Remember that ``message_id`` written in ``source`` went into ``target`` (kept once:
    a replay does not make the agent hear it again)."""
    from csdesk.sync.tables import get_state, set_state

    known: dict[str, Any] = dict(get_state(session, FOLLOWED_KEY) or {})
    if message_id in known:
        return
    known[message_id] = {"from": source, "to": target, "told": False}
    set_state(session, FOLLOWED_KEY, known)


def check_dropped(session: Session, sends: list[Mapping[str, Any]]) -> None:
    """Acked replies the feed has now delivered (``sends``: their arguments): one that the
    server put in another conversation than the desk wrote it in followed a merge."""
    for args in sends:
        mid, cid = str(args.get("message_id") or ""), str(args.get("conversation_id") or "")
        row = get_row(session, Entity.MESSAGE, mid) if mid else None
        where = str((row or {}).get("conversation_id") or "")
        source = get_row(session, Entity.CONVERSATION, cid) if cid else None
        # Elsewhere because of a merge (a split moves messages too, and says so itself).
        if row is not None and where and where != cid and (source or {}).get("merged_into_id"):
            note_followed(session, mid, cid, where)


def untold(session: Session) -> dict[str, dict[str, Any]]:
    """The followed replies the agent has not been told of yet."""
    from csdesk.sync.tables import get_state

    known = get_state(session, FOLLOWED_KEY) or {}
    return {k: v for k, v in known.items() if isinstance(v, dict) and not v.get("told")}


def mark_told(session: Session, message_ids: list[str]) -> None:
    from csdesk.sync.tables import get_state, set_state

    known: dict[str, Any] = dict(get_state(session, FOLLOWED_KEY) or {})
    for mid in message_ids:
        if isinstance(known.get(mid), dict):
            known[mid] = {**known[mid], "told": True}
    told = [k for k, v in known.items() if not isinstance(v, dict) or v.get("told")]
    for mid in told[: max(0, len(told) - _KEEP_TOLD)]:  # bounded: the oldest told go
        del known[mid]
    set_state(session, FOLLOWED_KEY, known)
