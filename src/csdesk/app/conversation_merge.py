"""The desk's use cases for merging, unmerging and splitting conversations
(docs/merge-split.md): the same customer's other conversations as sentences with what a merge
would move, which merges into it can still be undone, and the mutations themselves. Queries
read the local cache (run them on a worker); the mutations go through the outbox like every
action, so they work offline and show at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.app import formats, sentences, status_words, when
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.conversation_merge_effects import shop_of
from csdesk.sync.events import ChangeSet

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation

#: How many merged pointers a desk follows to find where a conversation lives now.
_MAX_HOPS = 8


def origin_label(channel: str, created_at: datetime) -> str:
    """The thread's marker on a merged-in message: "from Email conversation of 3 Dec"."""
    return _("from {channel} conversation of {date}").format(
        channel=sentences.channel_name(channel), date=formats.date_text(created_at, year=False)
    )


def landing(session: Session, conversation_id: str) -> str:
    """Where a conversation lives now: the one it was merged into (followed), else itself."""
    cid = conversation_id
    for _hop in range(_MAX_HOPS):
        nxt = session.scalar(select(m.Conversation.merged_into_id).where(m.Conversation.id == cid))
        gone = nxt and session.scalar(
            select(m.Conversation.deleted_at.is_not(None)).where(m.Conversation.id == nxt)
        )
        if not nxt or gone is None or gone:  # not merged, not here yet, or deleted since
            break
        cid = nxt
    return cid


def origins(session: Session, conversation_ids: set[str]) -> dict[str, str]:
    """``origin_label`` of each conversation id that messages were merged from."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        select(m.Conversation.id, m.Conversation.channel, m.Conversation.created_at).where(
            m.Conversation.id.in_(sorted(conversation_ids))
        )
    )
    return {cid: origin_label(channel, created) for cid, channel, created in rows}


@dataclass(frozen=True, slots=True)
class MergeChoice:
    """Another conversation of the same customer that the open one could be merged into."""

    id: str
    sentence: str  # channel, subject or first line, status, last activity
    preview: str  # what the merge moves, in words


def _first_line(session: Session, conv: m.Conversation) -> str:
    if conv.subject.strip():
        return conv.subject.strip()
    body = session.scalar(
        select(m.Message.body_text)
        .where(m.Message.conversation_id == conv.id, m.Message.is_note.is_(False))
        .order_by(m.Message.created_at, m.Message.id)
        .limit(1)
    )
    line = (body or "").strip().splitlines()[:1]
    return line[0][:120] if line else (conv.preview or _("(no subject)"))


def describe(session: Session, conv: m.Conversation, now: datetime) -> str:
    """One conversation as a sentence: "Email conversation "Parcel late", open, last activity
    yesterday 14:00"."""
    return _('{channel} conversation "{subject}", {status}, last activity {when}').format(
        channel=sentences.channel_name(conv.channel),
        subject=_first_line(session, conv),
        status=status_words.conversation_status(conv.status),
        when=when.moment(conv.last_message_at, now),
    )


def _count(session: Session, conversation_id: str) -> int:
    return int(
        session.scalar(select(func.count()).where(m.Message.conversation_id == conversation_id))
        or 0
    )


def choices(ws: Workstation, conversation_id: str, now: datetime) -> list[MergeChoice]:
    """The same customer's other live, unmerged conversations, the latest activity first."""
    with ws.cache.session() as s:
        conv = s.get(m.Conversation, conversation_id)
        if conv is None:
            return []
        moving = _count(s, conv.id)
        here = describe(s, conv, now)
        others = s.scalars(
            select(m.Conversation)
            .where(
                m.Conversation.customer_id == conv.customer_id,
                m.Conversation.id != conv.id,
                m.Conversation.deleted_at.is_(None),
                m.Conversation.merged_into_id.is_(None),
            )
            .order_by(m.Conversation.last_message_at.desc())
        ).all()
        out = []
        shop = shop_of(conv.tags)
        for other in others:
            there_shop = shop_of(other.tags)
            if shop is not None and there_shop is not None and there_shop != shop:
                continue  # another shop's: the server would refuse
            there = describe(s, other, now)
            preview = ngettext(
                "The {n} message of this conversation ({here}) moves into the {there}, in "
                "time order with its {m} messages. This conversation is then closed as "
                "merged. You can undo it until a new message arrives there.",
                "The {n} messages of this conversation ({here}) move into the {there}, in "
                "time order with its {m} messages. This conversation is then closed as "
                "merged. You can undo it until a new message arrives there.",
                moving,
            ).format(n=moving, here=here, there=there, m=_count(s, other.id))
            out.append(MergeChoice(other.id, there, preview))
        return out


@dataclass(frozen=True, slots=True)
class UndoState:
    """A merge into a conversation: which one came in, and whether it can still be undone
    (no message arrived since it, as far as this desk knows; the server decides).
    ``sentence`` says what the undo does, or why it no longer can; ``label`` names the
    merged-in conversation and when it was merged (the undo list's line)."""

    source_id: str
    allowed: bool
    sentence: str
    label: str = ""


def undo_states(ws: Workstation, conversation_id: str, now: datetime) -> list[UndoState]:
    """Every merge into a conversation still in effect, the latest first. Any of them can be
    undone while no message or note arrived here since it; what later merges moved in does
    not count (docs/merge-split.md)."""
    out: list[UndoState] = []
    with ws.cache.session() as s:
        sources = s.scalars(
            select(m.Conversation)
            .where(m.Conversation.merged_into_id == conversation_id)
            .order_by(m.Conversation.merged_at.desc())
        ).all()
        for source in sources:
            if source.merged_at is None:
                continue
            newer = s.scalar(
                select(func.count()).where(
                    m.Message.conversation_id == conversation_id,
                    m.Message.created_at > source.merged_at,
                    m.Message.merged_from_id.is_(None),  # came here, not merged in later
                )
            )
            what = describe(s, source, now)
            label = _("{what}, merged {when}").format(
                what=what, when=when.moment(source.merged_at, now)
            )
            if newer:
                out.append(
                    UndoState(
                        source.id,
                        False,
                        _(
                            "The merge of the {what} can no longer be undone: a new message "
                            "arrived here since."
                        ).format(what=what),
                        label,
                    )
                )
            else:
                out.append(
                    UndoState(
                        source.id, True, _("Undo the merge of the {what}.").format(what=what), label
                    )
                )
    return out


def undo_state(ws: Workstation, conversation_id: str, now: datetime) -> UndoState | None:
    """The latest merge into a conversation (None: nothing was merged into it)."""
    found = undo_states(ws, conversation_id, now)
    return found[0] if found else None


def merge(ws: Workstation, source_id: str, target_id: str) -> ChangeSet:
    """Merge ``source`` into ``target`` (shown at once; the server may still refuse)."""
    ws.engine.enqueue(
        MutationType.CONVERSATION_MERGE,
        {"source_conversation_id": source_id, "target_conversation_id": target_id},
    )
    return ChangeSet.of([(Entity.CONVERSATION, source_id), (Entity.CONVERSATION, target_id)])


def unmerge(ws: Workstation, source_id: str) -> ChangeSet:
    ws.engine.enqueue(MutationType.CONVERSATION_UNMERGE, {"conversation_id": source_id})
    return ChangeSet.of([(Entity.CONVERSATION, source_id)])


def split(
    ws: Workstation, conversation_id: str, message_id: str, *, with_later: bool = False
) -> tuple[str, ChangeSet]:
    """Split a message (and, ``with_later``, the ones after it) off into a new conversation;
    the new conversation's id."""
    new = str(uuid.uuid4())
    ws.engine.enqueue(
        MutationType.CONVERSATION_SPLIT,
        {
            "conversation_id": conversation_id,
            "message_id": message_id,
            "new_conversation_id": new,
            "with_later": with_later,
        },
    )
    return new, ChangeSet.of([(Entity.CONVERSATION, conversation_id), (Entity.CONVERSATION, new)])


# --- replies that followed a merge -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowedReply:
    """A reply or note the agent wrote into a conversation merged away meanwhile, now in the
    conversation it was merged into."""

    message_id: str
    source_id: str
    target_id: str
    sentence: str


def followed_replies(ws: Workstation, now: datetime) -> list[FollowedReply]:
    """The replies that followed a merge and were not told yet, each as a sentence; marks
    them told (the agent hears each once, also after a restart)."""
    from csdesk.sync import conversation_merge_effects as effects

    with ws.cache.session() as s:
        if not effects.untold(s):
            return []  # the common case: no write
    out: list[FollowedReply] = []
    with ws.cache.write() as s:
        pending = effects.untold(s)
        for mid, where in pending.items():
            msg = s.get(m.Message, mid)
            target = s.get(m.Conversation, str(where.get("to") or ""))
            if msg is None or target is None or msg.conversation_id != target.id:
                continue  # refused meanwhile (the refusal says why), or not here yet
            out.append(
                FollowedReply(
                    mid,
                    str(where.get("from") or ""),
                    target.id,
                    (
                        _(
                            "Your note was written in a conversation that was merged "
                            "meanwhile; it went into the {conversation}."
                        )
                        if msg.is_note
                        else _(
                            "Your reply was written in a conversation that was merged "
                            "meanwhile; it went into the {conversation}."
                        )
                    ).format(conversation=describe(s, target, now)),
                )
            )
        effects.mark_told(s, [f.message_id for f in out])
    return out
