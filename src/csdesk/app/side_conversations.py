"""The desk's use cases for side conversations (docs/side-conversations.md). Qt-free; queries
run on workers, the forward goes through the outbox like any action (so it works offline).

A side conversation is a conversation, or one message of it, forwarded by email to an outside
address (a supplier, a carrier); the server sends it and keeps the replies beside the
customer's thread. Everything here is plain text: the mail that came back is outside text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from csdesk.app.scheduled import when_text
from csdesk.domain import side_mail as rules
from csdesk.domain.side_mail import Scope, SideStatus
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation


@dataclass(frozen=True, slots=True)
class SideMessageView:
    id: str
    direction: str
    author_name: str
    from_address: str
    body_text: str
    status: str
    failure_reason: str
    at: datetime

    def sentence(self) -> str:
        """Who, when and what, as one plain-text paragraph."""
        when = when_text(self.at)
        text = self.body_text.strip() or _("(no text)")
        if self.direction == rules.Direction.IN.value:
            who = self.author_name or self.from_address
            if self.from_address and self.from_address != who:
                who = f"{who} ({self.from_address})"
            return _("Reply from {who}, {when}: {text}").format(who=who, when=when, text=text)
        if self.status == SideStatus.SENT.value and rules.FILES_LEFT_OUT in text:
            # A forwarded thread whose files were over the mailbox's limit: the mail names
            # the ones left out (at its end, in the server's words).
            state = _("sent; some files were too large to attach, the mail names them at its end")
        elif self.status == SideStatus.SENT.value:
            state = _("sent")
        elif self.status == SideStatus.FAILED.value:
            state = _("not sent: {reason}").format(reason=self.failure_reason or _("unknown"))
        else:
            state = _("waiting to be sent")
        return _("Forwarded by {who}, {when} ({state}): {text}").format(
            who=self.author_name, when=when, state=state, text=text
        )


@dataclass(frozen=True, slots=True)
class SideView:
    id: str
    conversation_id: str
    to_address: str
    subject: str
    created_by_name: str
    created_at: datetime
    reply_count: int
    messages: tuple[SideMessageView, ...]

    @property
    def failed(self) -> SideMessageView | None:
        """The newest mail of ours that failed (``side.retry`` sends it again), if any."""
        return next(
            (
                msg
                for msg in reversed(self.messages)
                if msg.direction == rules.Direction.OUT.value
                and msg.status == SideStatus.FAILED.value
            ),
            None,
        )

    def sentence(self) -> str:
        """One line for the list: to whom, about what, how many replies (and a failed mail)."""
        replies = (
            _("no reply yet")
            if not self.reply_count
            else _("1 reply")
            if self.reply_count == 1
            else _("{n} replies").format(n=self.reply_count)
        )
        line = _("To {to}: {subject}, by {who}, {when}; {replies}.").format(
            to=self.to_address,
            subject=self.subject or _("no subject"),
            who=self.created_by_name,
            when=when_text(self.created_at),
            replies=replies,
        )
        if self.failed is not None:  # first, where a narrow list still shows it
            line = _("A mail was not sent (Alt+R sends it again).") + " " + line
        return line

    def transcript(self) -> str:
        """Every mail of the side conversation, oldest first, a blank line between."""
        return "\n\n".join(msg.sentence() for msg in self.messages)


@dataclass(frozen=True, slots=True)
class NewReply:
    id: str
    side_id: str
    conversation_id: str
    who: str
    to_address: str
    started_by: str  # the user id of who forwarded it
    at: datetime  # when the server filed it


def _message_view(row: m.SideMessage) -> SideMessageView:
    return SideMessageView(
        id=row.id,
        direction=row.direction,
        author_name=row.author_name or "",
        from_address=row.from_address or "",
        body_text=row.body_text or "",
        status=row.status,
        failure_reason=row.failure_reason or "",
        at=row.sent_at or row.created_at,
    )


class SideConversations:
    """Side conversations for one signed-in desk."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    # --- queries (workers) -----------------------------------------------------------------

    def of_conversation(self, conversation_id: str) -> list[SideView]:
        """The conversation's side conversations, newest first, each with its mail."""
        C, M = m.SideConversation, m.SideMessage
        with self.ws.cache.session() as s:
            sides = s.scalars(
                select(C)
                .where(C.conversation_id == conversation_id)
                .order_by(C.created_at.desc(), C.id)
            ).all()
            rows = s.scalars(
                select(M)
                .where(M.side_conversation_id.in_([x.id for x in sides]))
                .order_by(M.created_at, M.id)
            ).all()
            by_side: dict[str, list[SideMessageView]] = {}
            for row in rows:
                by_side.setdefault(row.side_conversation_id, []).append(_message_view(row))
            return [
                SideView(
                    id=x.id,
                    conversation_id=x.conversation_id,
                    to_address=x.to_address,
                    subject=x.subject or "",
                    created_by_name=x.created_by_name or "",
                    created_at=x.created_at,
                    reply_count=int(x.reply_count or 0),
                    messages=tuple(by_side.get(x.id, [])),
                )
                for x in sides
            ]

    def replies(self, limit: int = 500) -> list[NewReply]:
        """The newest replies that came back to any side conversation (newest first)."""
        C, M = m.SideConversation, m.SideMessage
        with self.ws.cache.session() as s:
            rows = s.execute(
                select(M.id, M.side_conversation_id, M.conversation_id, M.author_name,
                       M.from_address, C.to_address, C.created_by_id, M.created_at)
                .join(C, C.id == M.side_conversation_id)
                .where(M.direction == rules.Direction.IN.value)
                .order_by(M.created_at.desc())
                .limit(limit)
            ).all()  # fmt: skip
        return [
            NewReply(
                r[0], r[1], r[2], (r[3] or r[4] or r[5] or "")[:200], r[5] or "", r[6] or "", r[7]
            )
            for r in rows
        ]

    # --- actions (the outbox) --------------------------------------------------------------

    def forward(
        self,
        conversation_id: str,
        to_address: str,
        *,
        note: str = "",
        subject: str = "",
        message_id: str | None = None,
    ) -> tuple[str, ChangeSet]:
        """Queue the forward (whole thread, or ``message_id`` alone); the side id."""
        side_id, out_id = str(uuid.uuid4()), str(uuid.uuid4())
        args: dict[str, object] = {
            "side_id": side_id,
            "out_id": out_id,
            "conversation_id": conversation_id,
            "to_address": to_address.strip(),
            "scope": (Scope.MESSAGE if message_id else Scope.THREAD).value,
        }
        if message_id:
            args["message_id"] = message_id
        if note.strip():
            args["note"] = note.strip()
        if subject.strip():
            args["subject"] = subject.strip()
        self.ws.engine.enqueue(MutationType.SIDE_FORWARD, args)
        return side_id, ChangeSet.of(
            [(Entity.SIDE_CONVERSATION, side_id), (Entity.SIDE_MESSAGE, out_id)]
        )

    def retry(self, side_message_id: str) -> ChangeSet:
        """Send a failed side mail again (the server puts it back in its queue)."""
        self.ws.engine.enqueue(MutationType.SIDE_RETRY, {"side_message_id": side_message_id})
        return ChangeSet.of([(Entity.SIDE_MESSAGE, side_message_id)])

    def reply(self, side_id: str, body: str) -> tuple[str, ChangeSet]:
        """Queue a mail to the side conversation's address; the new mail's id."""
        out_id = str(uuid.uuid4())
        args = {"side_id": side_id, "out_id": out_id, "body_text": body.strip()}
        self.ws.engine.enqueue(MutationType.SIDE_REPLY, args)
        return out_id, ChangeSet.of([(Entity.SIDE_MESSAGE, out_id)])
