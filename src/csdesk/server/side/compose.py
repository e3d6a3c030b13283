"""The text a side conversation forwards: the agent's note, then the thread (or one message)
as plain text, oldest first, internal notes left out (they never leave the team)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import side_mail as rules
from csdesk.domain.enums import Direction
from csdesk.storage import models as m

#: How many messages of a thread are read at most (the newest ones).
MAX_THREAD_MESSAGES = 500


def _heading(msg: m.Message, customer: str) -> str:
    who = customer if msg.direction == Direction.IN.value else (msg.author_name or "Support")
    when = msg.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{when}, {who}:"


def _body(msg: m.Message, *, attached: bool = False) -> str:
    text = (msg.body_text or "").strip() or "(no text)"
    names = [str(a.get("filename") or "") for a in msg.attachments or [] if isinstance(a, dict)]
    names = [n for n in names if n]
    if names:
        # One forwarded message carries its stored files (``mailer``); a thread carries those
        # that fit in the mailbox's limit, and the mailer says below which did not.
        what = "Files attached" if attached else "Files"
        text += f"\n({what}: " + ", ".join(names)[:500] + ")"
    return text


def thread_messages(session: Session, conv: m.Conversation, until: datetime) -> list[m.Message]:
    """The messages a thread forward made before migration 0015 carries (notes left out),
    oldest first: the newest ``MAX_THREAD_MESSAGES`` written up to ``until`` (when the forward
    was made). A later forward records its own (``SideMessage.forwarded_ids``)."""
    M = m.Message
    newest = session.scalars(
        select(M)
        .where(M.conversation_id == conv.id, M.is_note.is_(False), M.created_at <= until)
        .order_by(M.created_at.desc(), M.id.desc())
        .limit(MAX_THREAD_MESSAGES)
    ).all()
    return list(reversed(newest))


def forwarded_text(
    session: Session, conv: m.Conversation, message: m.Message | None, note: str
) -> tuple[str, list[str]]:
    """What the mail says: ``note``, then a marked block with the thread or ``message``; and
    the ids of the messages that block carries, oldest first (a thread's files are taken from
    these alone, ``mailer.thread_files``, whatever the conversation holds when it is sent)."""
    cust = session.get(m.Customer, conv.customer_id) if conv.customer_id else None
    customer = (cust.name if cust is not None and cust.name else "") or "Customer"
    if message is not None:
        messages = [message]
        banner = "---------- Forwarded message ----------"
    else:
        M = m.Message
        newest = session.scalars(
            select(M)
            .where(M.conversation_id == conv.id, M.is_note.is_(False))
            .order_by(M.created_at.desc(), M.id.desc())
            .limit(MAX_THREAD_MESSAGES)
        ).all()
        messages = list(reversed(newest))
        banner = "---------- Forwarded conversation ----------"
    head = [banner]
    if conv.subject:
        head.append(f"Subject: {rules.clean_subject(conv.subject)}")
    one = message is not None
    parts = [f"{_heading(msg, customer)}\n{_body(msg, attached=one)}" for msg in messages]
    note = note.strip()
    budget = rules.MAX_FORWARD_CHARS - len(note) - 200
    # The newest messages matter most: leave out the oldest once over the budget.
    kept: list[str] = []
    carried: list[str] = []
    used = 0
    for msg, part in zip(reversed(messages), reversed(parts), strict=True):
        if used + len(part) > budget and kept:
            kept.append("[… older messages left out]")
            break
        kept.append(rules.bounded(part, budget))
        carried.append(msg.id)
        used += len(part) + 2
    body = "\n".join(head) + "\n\n" + "\n\n".join(reversed(kept))
    return (f"{note}\n\n{body}" if note else body), list(reversed(carried))
