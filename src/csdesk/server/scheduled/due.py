"""Scheduled replies go out and reminders come due on time, on the server (the desk that
scheduled them may be closed).

Run in the snooze waker's round (``server.sync.snooze``), with the same shape: a conditional
``UPDATE … WHERE status='scheduled' AND send_at <= now RETURNING id`` claims the rows, so
several server processes on one PostgreSQL never take one row twice (a row another process
is claiming is locked; once that commits it no longer matches), and SQLite serializes writers
anyway. The claim and what follows (the message, the reminder's new state) are one
transaction: a process that dies half-way leaves the row as it was, for the next round after
a restart. The state lives in the database only.

A claimed reply becomes a ``message.send`` by its author (``server.sync.mutations.send``:
the same checks, the same queued message), which the outbound dispatcher then sends like any
reply. A channel rule that refuses it now (WhatsApp's 24-hour window, a deleted conversation,
a disabled author) makes the message a failed one with the reason, as a failed delivery is
shown, so the thread says why it did not go.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from csdesk.domain.enums import DeliveryStatus, Direction
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.server.channels.customers import new_id
from csdesk.server.conversation_merge.follow import live
from csdesk.server.sync.mutations import Reject, SendArgs, send
from csdesk.storage import audit
from csdesk.storage import models as m

log = logging.getLogger(__name__)

SENT_ACTION: Final = "scheduled.sent"
FAILED_ACTION: Final = "scheduled.failed"
DUE_ACTION: Final = "reminder.due"
ANSWERED_ACTION: Final = "reminder.answered"
BATCH: Final = 200
#: Within the round's transaction only (never committed): claimed, outcome not yet written.
_CLAIMED: Final = "claimed"


def _claim_replies(session: Session, now: datetime) -> list[str]:
    S = m.ScheduledMessage
    due = (
        select(S.id)
        .where(S.status == ScheduledStatus.SCHEDULED.value, S.send_at <= now)
        .order_by(S.send_at)
        .limit(BATCH)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            update(S)
            .where(S.id.in_(due), S.status == ScheduledStatus.SCHEDULED.value, S.send_at <= now)
            # A state no reader sees: the ORM then sets sent or failed, a change the feed takes.
            .values(status=_CLAIMED, sent_at=now, updated_at=now)
            .returning(S.id)
            .execution_options(synchronize_session=False)
        )
    )


def _failed_message(
    session: Session, row: m.ScheduledMessage, author: m.User | None, reason: str, now: datetime
) -> str | None:
    """A failed message in the thread saying why ``row`` did not go; its id (None: there is
    no conversation left to show it in)."""
    conv = session.get(m.Conversation, row.conversation_id)
    if conv is None or conv.deleted_at is not None:
        return None
    if live(session, conv) is None:  # merged into one deleted since: as deleted (hidden shell)
        return None
    # One scheduled reply makes at most one message, under its own id, unless that id is
    # taken (a message sent with it meanwhile): then a fresh one, never a second row with it.
    mid = row.id if session.get(m.Message, row.id) is None else new_id()
    session.add(
        m.Message(
            id=mid,
            realm=conv.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            is_note=False,
            author_user_id=author.id if author is not None else None,
            author_name=row.author_name,
            subject=row.subject,
            body_text=row.body_text,
            delivery_status=DeliveryStatus.FAILED.value,
            failure_reason=reason[:500],
            created_at=now,
        )
    )
    conv.message_count += 1
    conv.last_message_at = now
    return mid


def _send_one(session: Session, row: m.ScheduledMessage, now: datetime) -> None:
    author = session.get(m.User, row.author_id)
    problem: str | None = None
    conv = session.get(m.Conversation, row.conversation_id)
    if conv is not None and conv.merged_into_id is not None:
        # Merged since it was scheduled: it goes where the conversation lives now, on that
        # conversation's route (docs/merge-split.md), never into the hidden merged one. Merged
        # into one an administrator deleted since (``follow.live`` is None): a reply to a
        # deleted conversation, refused by ``send`` and failed below with no message left in
        # the hidden shell.
        end = live(session, conv)
        if end is not None:
            row.conversation_id = end.id
    if author is None or not author.active:
        problem = "Not sent at its scheduled time: its author's account is disabled."
    else:
        args = SendArgs(
            conversation_id=row.conversation_id,
            message_id=row.id,
            body_text=row.body_text,
            subject=row.subject,
            mentions=[],  # a scheduled reply goes to the customer: never a note
        )
        nested = session.begin_nested()
        try:
            send(session, author, args)
            nested.commit()
        except Reject as rej:
            nested.rollback()
            problem = f"Not sent at its scheduled time: {rej.message}"
    row.sent_at = now
    if problem is None:
        row.status = ScheduledStatus.SENT.value
        row.message_id = row.id
        audit.record(session, None, SENT_ACTION, "scheduled_message", row.id, None,
                     {"message_id": row.id})  # fmt: skip
        return
    row.status = ScheduledStatus.FAILED.value
    row.failure_reason = problem[:500]
    row.message_id = _failed_message(session, row, author, problem, now)
    audit.record(session, None, FAILED_ACTION, "scheduled_message", row.id, None,
                 {"reason": problem[:300]})  # fmt: skip


def send_due(session: Session, now: datetime) -> list[str]:
    """Send the replies due at ``now`` (up to ``BATCH``); their ids. The caller commits.

    Each reply in its own savepoint: one that fails in a way nobody foresaw is marked failed
    and logged, and the others still go (one bad row rolled the whole round back, every
    round, so no scheduled reply or reminder came due again)."""
    ids = _claim_replies(session, now)
    for sid in ids:
        row = session.get(m.ScheduledMessage, sid, populate_existing=True)
        if row is None:
            continue
        nested = session.begin_nested()
        try:
            _send_one(session, row, now)
            session.flush()
            nested.commit()
        except Exception:
            nested.rollback()
            log.exception("scheduled reply %s could not be handed on; marked failed", sid)
            row = session.get(m.ScheduledMessage, sid, populate_existing=True)
            if row is not None:
                row.status = ScheduledStatus.FAILED.value
                row.sent_at = now
                row.failure_reason = "Not sent at its scheduled time: an error on the server."
    session.flush()
    return ids


def replied(session: Session, conversation_id: str, at: datetime) -> list[str]:
    """The customer wrote in ``conversation_id`` at ``at``: its pending reminders set "only
    if the customer has not replied" (before ``at``) are answered and never come due. Their
    ids; the caller commits. (The due round checks again: a reply filed some other way.)"""
    R = m.Reminder
    # Reminders set on conversations merged into this one wait for the same customer's reply.
    merged = {conversation_id}
    frontier = [conversation_id]
    while frontier and len(merged) < 100:
        found = (
            set(
                session.scalars(
                    select(m.Conversation.id).where(m.Conversation.merged_into_id.in_(frontier))
                )
            )
            - merged
        )
        merged |= found
        frontier = list(found)
    rows = session.scalars(
        select(R).where(
            R.conversation_id.in_(sorted(merged)),
            R.status == ReminderStatus.PENDING.value,
            R.only_if_no_reply.is_(True),
            R.created_at < at,
        )
    ).all()
    for row in rows:
        row.status = ReminderStatus.ANSWERED.value
        audit.record(session, None, ANSWERED_ACTION, "reminder", row.id)
    return [row.id for row in rows]


def remind_due(session: Session, now: datetime) -> list[str]:
    """Make the reminders due at ``now`` due, or answered when they were conditional and
    the customer wrote after they were set; their ids. The caller commits."""
    R = m.Reminder
    due = (
        select(R.id)
        .where(R.status == ReminderStatus.PENDING.value, R.due_at <= now)
        .order_by(R.due_at)
        .limit(BATCH)
        .scalar_subquery()
    )
    ids = list(
        session.scalars(
            update(R)
            .where(R.id.in_(due), R.status == ReminderStatus.PENDING.value, R.due_at <= now)
            .values(status=_CLAIMED, fired_at=now, updated_at=now)
            .returning(R.id)
            .execution_options(synchronize_session=False)
        )
    )
    for rid in ids:
        row = session.get(R, rid, populate_existing=True)
        if row is None:
            continue
        conv = session.get(m.Conversation, row.conversation_id)
        if conv is not None:
            # Merged since: the customer writes there now. Merged into one deleted since
            # (None): their mail goes elsewhere (a new or live conversation), so the reminder
            # comes due rather than count the hidden shell's old last inbound as no reply.
            conv = live(session, conv)
        replied = (
            conv is not None
            and conv.last_inbound_at is not None
            and conv.last_inbound_at > row.created_at
        )
        if row.only_if_no_reply and replied:
            row.status = ReminderStatus.ANSWERED.value
            audit.record(session, None, ANSWERED_ACTION, "reminder", row.id)
        else:
            row.status = ReminderStatus.DUE.value
            audit.record(session, None, DUE_ACTION, "reminder", row.id)
    session.flush()
    return ids
