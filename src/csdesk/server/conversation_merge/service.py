"""Merge, undo a merge, split: the server's rules (docs/merge-split.md).

A merge moves every message of the source into the target (each keeps ``merged_from_id``, so
the thread can say where it came from), closes the source with ``merged_into_id`` pointing at
the target, and records in the source's audit entry exactly what it changed: the moved
messages and a snapshot of both conversations. The undo puts all of it back, but only while
the target holds exactly what the merge left there (no new message, nothing split off): after
that, "as it was" no longer exists. A split moves one message (and, when asked, every later
one of the same thread) into a new conversation of the same customer and channel, with a note
in each pointing to the other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, DeliveryStatus, Direction
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.channels import conversations as threads
from csdesk.server.channels.customers import new_id
from csdesk.server.conversation_merge import counts
from csdesk.server.refusals import Phrase, Refusal
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow


class ConversationRefused(Refusal):
    """The merge, undo or split is not possible; the desk shows why (translated)."""


def _locked(session: Session, realm: str, ids: list[str]) -> dict[str, m.Conversation]:
    """The conversations, locked in id order (two merges of the same pair cannot deadlock)."""
    found: dict[str, m.Conversation] = {}
    for cid in sorted(set(ids)):
        conv = session.get(m.Conversation, cid, with_for_update=True)
        if conv is None or conv.realm != realm:
            raise ConversationRefused(RejectCode.NOT_FOUND, "This conversation does not exist.")
        if conv.deleted_at is not None:
            raise ConversationRefused(
                RejectCode.DELETED, "This conversation was deleted by an administrator."
            )
        found[cid] = conv
    return found


def _messages(session: Session, conversation_id: str) -> list[m.Message]:
    return list(
        session.scalars(
            select(m.Message)
            .where(m.Message.conversation_id == conversation_id)
            .order_by(m.Message.created_at, m.Message.id)
        )
    )


def _move_mentions(session: Session, moves: dict[str, str]) -> None:
    """Each mention of a moved note follows it (``moves``: message id -> its conversation now),
    so the Mentions view opens where the note is. The rows change through the ORM: the feed
    carries each to its mentioned user's desk alone, as any mention change."""
    ids = list(moves)
    for start in range(0, len(ids), 500):  # a long thread: bounded IN lists
        chunk = ids[start : start + 500]
        for row in session.scalars(select(m.Mention).where(m.Mention.message_id.in_(chunk))):
            if row.conversation_id != moves[row.message_id]:
                row.conversation_id = moves[row.message_id]


def _customer_name(session: Session, customer_id: str) -> str:
    cust = session.get(m.Customer, customer_id)
    return cust.name if cust is not None else "another customer"


def _shop(conv: m.Conversation) -> str | None:
    """The shop a conversation came from (the chat widget's ``store:NAME`` tag), if known."""
    return next(
        (t.removeprefix("store:") for t in conv.tags or () if str(t).startswith("store:")), None
    )


def merge(
    session: Session, actor: m.User, realm: str, source_id: str, target_id: str
) -> dict[str, Any]:
    """Move ``source``'s messages into ``target`` and close ``source``; the audit record."""
    if source_id == target_id:
        raise ConversationRefused(
            RejectCode.INVALID, "A conversation cannot be merged into itself."
        )
    convs = _locked(session, realm, [source_id, target_id])
    source, target = convs[source_id], convs[target_id]
    if source.customer_id != target.customer_id:
        raise ConversationRefused(
            RejectCode.INVALID,
            "Only conversations of the same customer can be merged: this one is {source}'s, "
            "the other {target}'s.",
            source=_customer_name(session, source.customer_id),
            target=_customer_name(session, target.customer_id),
        )
    shops = (_shop(source), _shop(target))
    if None not in shops and shops[0] != shops[1]:
        raise ConversationRefused(
            RejectCode.INVALID,
            "These conversations came from different shops ({source} and {target}); they "
            "cannot be merged.",
            source=str(shops[0]),
            target=str(shops[1]),
        )
    if source.merged_into_id is not None:
        raise ConversationRefused(
            RejectCode.CONFLICT, "This conversation was already merged into another one."
        )
    if target.merged_into_id is not None:
        raise ConversationRefused(
            RejectCode.CONFLICT,
            "The conversation to merge into was itself merged into another one; "
            "merge into that one.",
        )
    source_before, target_before = counts.snapshot(source), counts.snapshot(target)
    held_before = counts.message_count(session, target.id)
    now = utcnow()
    moved: dict[str, str | None] = {}
    for msg in _messages(session, source.id):
        moved[msg.id] = msg.merged_from_id
        msg.conversation_id = target.id
        # A message merged in twice says where it was first written.
        msg.merged_from_id = msg.merged_from_id or source.id
    _move_mentions(session, dict.fromkeys(moved, target.id))
    # A question still open in the source must not vanish into a closed target.
    reopened = source.status != ConversationStatus.RESOLVED.value and target.status in (
        ConversationStatus.RESOLVED.value,
        ConversationStatus.SNOOZED.value,
    )
    if reopened:
        target.status = ConversationStatus.OPEN.value
        target.snoozed_until, target.resolved_at = None, None
    counts.recount(session, target)
    source.merged_into_id, source.merged_at = target.id, now
    source.message_count = 0
    source.waiting_since, source.snoozed_until = None, None
    if source.status != ConversationStatus.RESOLVED.value:
        source.status, source.resolved_at = ConversationStatus.RESOLVED.value, now
    record = {
        "into": target.id,
        "messages": moved,
        "source": source_before,
        "target": target_before,
        "target_count": counts.message_count(session, target.id),
        "reopened_target": reopened,
    }
    audit.record(
        session, actor.id, MutationType.CONVERSATION_MERGE, "conversation", source.id,
        before=source_before, after=record,
    )  # fmt: skip
    audit.record(
        session, actor.id, MutationType.CONVERSATION_MERGE, "conversation", target.id,
        before={"message_count": target_before["message_count"], "held": held_before},
        after={"merged_from": source.id, "message_count": target.message_count,
               "held": record["target_count"]},
    )  # fmt: skip
    return record


def _merge_entry(session: Session, source_id: str) -> m.AuditEntry | None:
    return session.scalars(
        select(m.AuditEntry)
        .where(
            m.AuditEntry.action == MutationType.CONVERSATION_MERGE.value,
            m.AuditEntry.entity == "conversation",
            m.AuditEntry.entity_id == source_id,
            m.AuditEntry.after.is_not(None),
        )
        .order_by(m.AuditEntry.id.desc())
        .limit(1)
    ).first()


def _record_of(entry: m.AuditEntry | None) -> dict[str, Any] | None:
    after = entry.after if entry is not None else None
    return after if isinstance(after, dict) and "into" in after else None


def _later_merges(
    session: Session, target_id: str, source_id: str, since: int, held: int
) -> tuple[bool, int]:
    """Whether the target still holds what the merge of ``source_id`` (audited as entry
    ``since``, leaving ``held`` messages) left there, apart from what later merges and undos
    moved in and out; and how many such merges and undos there were.

    Walks the target's audit trail after that merge: each later merge or undo must find the
    number of messages the step before it left (nothing arrived in between), and the target
    must hold now what the last step left. A split since ends it (``ConversationRefused``)."""
    entries = session.scalars(
        select(m.AuditEntry)
        .where(
            m.AuditEntry.entity == "conversation",
            m.AuditEntry.entity_id == target_id,
            m.AuditEntry.id > since,
            m.AuditEntry.action.in_(
                [
                    MutationType.CONVERSATION_MERGE.value,
                    MutationType.CONVERSATION_UNMERGE.value,
                    MutationType.CONVERSATION_SPLIT.value,
                ]
            ),
        )
        .order_by(m.AuditEntry.id)
    ).all()
    expect, own, steps = held, True, 0
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        if entry.action == MutationType.CONVERSATION_SPLIT.value:
            raise ConversationRefused(
                RejectCode.CONFLICT,
                "A message of the merged conversation was split off since, so the merge can no "
                "longer be undone.",
            )
        if "into" in after or "merged_into_id" in before:
            continue  # the target itself merged away and back: its messages came back too
        if own and after.get("merged_from") == source_id:
            own = False  # this merge's own entry on the target (written just after)
            continue
        if "held" not in before or "held" not in after or before["held"] != expect:
            return False, steps  # a step without the numbers, or a message came in before it
        expect, steps = after["held"], steps + 1
    return counts.message_count(session, target_id) == expect, steps


def unmerge(session: Session, actor: m.User, realm: str, source_id: str) -> str:
    """Put ``source`` and the conversation it was merged into back as they were; the
    target's id."""
    # Both locked in id order (as a merge locks them): read the pair first, unlocked.
    seen = session.get(m.Conversation, source_id)
    into = seen.merged_into_id if seen is not None and seen.realm == realm else None
    convs = _locked(session, realm, [source_id, *([into] if into else [])])
    source = convs[source_id]
    if source.merged_into_id is None:
        raise ConversationRefused(
            RejectCode.CONFLICT, "This conversation is not merged into another one."
        )
    entry = _merge_entry(session, source.id)
    record = _record_of(entry)
    if (
        entry is None
        or record is None
        or record["into"] != source.merged_into_id
        or (into not in convs)
    ):
        raise ConversationRefused(RejectCode.CONFLICT, "The record of this merge is missing.")
    target = convs[into]
    if target.merged_into_id is not None:
        raise ConversationRefused(
            RejectCode.CONFLICT,
            "The conversation it was merged into was itself merged since; undo that merge first.",
        )
    moved: dict[str, str | None] = dict(record.get("messages") or {})
    rows = list(
        session.scalars(select(m.Message).where(m.Message.id.in_(list(moved))))
    ) if moved else []  # fmt: skip
    if len(rows) != len(moved) or any(r.conversation_id != target.id for r in rows):
        raise ConversationRefused(
            RejectCode.CONFLICT,
            "A message of the merged conversation was split off since, so the merge can no "
            "longer be undone.",
        )
    # Later merges into the same target (and their undos) do not stand in the way: any merge
    # into it can be undone while no message or note arrived there since it (docs).
    left = record.get("target_count")
    held = left if isinstance(left, int) else -1
    intact, steps = _later_merges(session, target.id, source.id, entry.id, held)
    if not intact:
        raise ConversationRefused(
            RejectCode.CONFLICT,
            "A new message or note arrived in the merged conversation since the merge, so "
            "it can no longer be undone.",
        )
    held_before = counts.message_count(session, target.id)
    for msg in rows:
        msg.conversation_id = source.id
        msg.merged_from_id = moved[msg.id]
    _move_mentions(session, dict.fromkeys(moved, source.id))
    counts.restore(source, record["source"], counts.FIELDS)
    if not steps:  # nothing happened there since: exactly as the merge found it
        counts.restore(target, record["target"], counts.COUNTED)
        if record.get("reopened_target"):
            counts.restore(target, record["target"], counts.REOPENED)
    else:  # other merges moved messages in or out since: the counters from what it holds
        still = set(
            session.scalars(
                select(m.Conversation.id).where(
                    m.Conversation.merged_into_id == target.id, m.Conversation.id != source.id
                )
            )
        )
        if record.get("reopened_target") and not _open_among(session, still):
            counts.restore(target, record["target"], counts.REOPENED)
        counts.recount(session, target)
    session.flush()
    audit.record(
        session, actor.id, MutationType.CONVERSATION_UNMERGE, "conversation", source.id,
        before={"merged_into_id": target.id}, after={"moved_back": sorted(moved)},
    )  # fmt: skip
    audit.record(
        session, actor.id, MutationType.CONVERSATION_UNMERGE, "conversation", target.id,
        before={"merged_from": source.id, "held": held_before},
        after={"message_count": target.message_count,
               "held": counts.message_count(session, target.id)},
    )  # fmt: skip
    return target.id


def _open_among(session: Session, source_ids: set[str]) -> bool:
    """Whether any of these merged-in conversations was still open when it was merged (its
    open question keeps the target open)."""
    for sid in source_ids:
        record = _record_of(_merge_entry(session, sid))
        if record is not None and record["source"].get("status") != (
            ConversationStatus.RESOLVED.value
        ):
            return True
    return False


def _note(
    session: Session, actor: m.User, conv: m.Conversation, said: Phrase, at: Any
) -> m.Message:
    """A note in the thread, its English text and its phrase (shown in the agent's language,
    docs/server-notes.md)."""
    note = m.Message(
        id=new_id(),
        realm=conv.realm,
        conversation_id=conv.id,
        channel=conv.channel,
        direction=Direction.OUT.value,
        is_note=True,
        author_user_id=actor.id,
        author_name=actor.display_name,
        body_text=said.text,
        body_phrases=[said.as_json()],
        delivery_status=DeliveryStatus.SENT.value,
        created_at=at,
    )
    session.add(note)
    return note


def split(
    session: Session,
    actor: m.User,
    realm: str,
    conversation_id: str,
    message_id: str,
    new_conversation_id: str,
    *,
    with_later: bool,
) -> m.Conversation:
    """Move ``message_id`` (and, ``with_later``, every later message) of a conversation into
    a new conversation ``new_conversation_id``; the new conversation."""
    (conv,) = _locked(session, realm, [conversation_id]).values()
    if conv.merged_into_id is not None:
        raise ConversationRefused(
            RejectCode.CONFLICT,
            "This conversation was merged into another one; split the message off there.",
        )
    if session.get(m.Conversation, new_conversation_id) is not None:
        raise ConversationRefused(
            RejectCode.CONFLICT, "A conversation with this id already exists."
        )
    thread = _messages(session, conv.id)
    at = next((n for n, msg in enumerate(thread) if msg.id == message_id), None)
    if at is None:
        raise ConversationRefused(RejectCode.NOT_FOUND, "This message is not in this conversation.")
    # "The later ones" are those of the same thread: in a merged conversation, the later
    # messages that came from the same conversation as this one (or were its own).
    origin = thread[at].merged_from_id
    chosen = [thread[at]] + (
        [msg for msg in thread[at + 1 :] if msg.merged_from_id == origin] if with_later else []
    )
    if len(chosen) == len(thread):
        raise ConversationRefused(
            RejectCode.INVALID,
            "Nothing would stay in this conversation: split off a later message instead.",
        )
    first = chosen[0]
    customer = session.get_one(m.Customer, conv.customer_id)
    try:
        channel = Channel(first.channel)
    except ValueError:
        channel = Channel(conv.channel)
    now = utcnow()
    new = threads.open_new(
        session,
        customer,
        channel,
        subject=first.subject or conv.subject,
        at=first.created_at,
        language=conv.language,
    )
    new.id = new_conversation_id  # the desk's id, so it can open it at once (and offline)
    new.priority, new.assignee_id, new.team_id = conv.priority, conv.assignee_id, conv.team_id
    session.flush()  # the new row first: the moved messages point at it
    for msg in chosen:
        msg.conversation_id = new.id
        msg.merged_from_id = None
    _move_mentions(session, {msg.id: new.id for msg in chosen})
    token_new, token_old = threads.conversation_token(new.id), threads.conversation_token(conv.id)
    count = len(chosen)
    _note(
        session, actor, conv,
        Phrase("{n} message(s) split off into conversation #{token}.", n=count, token=token_new),
        now,
    )  # fmt: skip
    _note(
        session, actor, new,
        Phrase("Split off from conversation #{token} ({n} message(s)).", n=count, token=token_old),
        now,
    )  # fmt: skip
    counts.recount(session, conv)
    counts.recount(session, new)
    ids = [msg.id for msg in chosen]
    audit.record(
        session, actor.id, MutationType.CONVERSATION_SPLIT, "conversation", conv.id,
        after={"split_into": new.id, "messages": ids},
    )  # fmt: skip
    audit.record(
        session, actor.id, MutationType.CONVERSATION_SPLIT, "conversation", new.id,
        after={"split_from": conv.id, "messages": ids},
    )  # fmt: skip
    return new
