"""Sending side conversations' mail: a loop like the outbound dispatcher's (``LoopWorker``),
over ``side_messages`` instead of ``messages``.

A queued outgoing side message is claimed with a lease (a conditional UPDATE in its own short
transaction, so two server processes never send one mail twice while both are healthy), built
and sent over SMTP outside any transaction (``email_outbound.send_smtp``, the same path as
replies), then its outcome recorded: sent, retried later with backoff on a temporary refusal,
or failed with the reason. It leaves from the mailbox the customer wrote to, so the supplier's
answer comes back to a mailbox the IMAP workers read; its Message-ID,
``<side.<id>@<msgid-domain>>``, is what that answer's In-Reply-To names
(``server.side.inbound``). Only production mail is sent (the sandbox cannot forward).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Final

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from csdesk.domain import side_mail as rules
from csdesk.domain.attachment_limits import DEFAULT_EMAIL_BYTES, human_size
from csdesk.domain.enums import Realm
from csdesk.domain.side_mail import SideStatus
from csdesk.server.attachments.outgoing import MissingFile, OutgoingFile, files_of
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.email_filing import ORIGINAL_NAME
from csdesk.server.channels.email_outbound import _attach, send_smtp  # replies' own attaching
from csdesk.server.channels.email_reply import build_reply
from csdesk.server.channels.outbound import SendResult
from csdesk.server.channels.worker import LoopWorker, backoff
from csdesk.server.side.compose import MAX_THREAD_MESSAGES, thread_messages
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

LEASE: Final = timedelta(seconds=60)
BATCH: Final = 50
_MSG_ID: Final = re.compile(r"<[^<>\s]+@[^<>\s]+>")
NO_EMAIL: Final = "No email connection is set up on the server to send from."


def message_id_for(side_message_id: str, domain: str) -> str:
    return f"<side.{side_message_id}@{domain}>"


def _mailbox(session: Session, conv_id: str, cfg: ChannelSettings) -> ChannelSettings:
    """The mailbox the customer wrote to (the conversation's route), else the first."""
    route = session.get(m.ConversationRoute, conv_id)
    email = Provider.EMAIL.value
    business = route.business if route is not None and route.provider == email else None
    return config_store.mailbox_for_reply(cfg, business)


def stored_files(session: Session, msg: m.Message | None) -> list[OutgoingFile]:
    """The files of ``msg`` still in the server's store (a file too large to keep when the
    mail came in, or gone since, is left out: the forwarded text names every file), never the
    copy of the customer's original mail kept beside a mail that could not be read fully."""
    out: list[OutgoingFile] = []
    for meta in (msg.attachments or []) if msg is not None else []:
        if not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str):
            continue
        if meta.get("name") == ORIGINAL_NAME or meta.get("content_type") == "message/rfc822":
            continue  # the customer's whole original mail: their address, Received headers
        try:
            out += files_of(session, [meta])
        except MissingFile:
            continue
    return out


def _forwarded_messages(
    session: Session, conversation_id: str, row: m.SideMessage
) -> list[m.Message]:
    """The messages whose text the thread forward ``row`` carries, oldest first: those it
    recorded when it was made (still stored, never a note), whatever the conversation holds
    now (a conversation merged in before a retry brings none of its files); a forward made
    before that record existed reads the thread as it stood when it was made."""
    ids = row.forwarded_ids
    if isinstance(ids, list):
        wanted = [i for i in ids if isinstance(i, str)][:MAX_THREAD_MESSAGES]
        M = m.Message
        found = (
            {
                msg.id: msg
                for msg in session.scalars(
                    select(M).where(M.id.in_(wanted), M.realm == row.realm, M.is_note.is_(False))
                )
            }
            if wanted
            else {}
        )
        return [found[i] for i in wanted if i in found]
    conv = session.get(m.Conversation, conversation_id)
    return [] if conv is None else thread_messages(session, conv, row.created_at)


def thread_files(
    session: Session, conversation_id: str, row: m.SideMessage, limit: int
) -> tuple[list[OutgoingFile], list[OutgoingFile]]:
    """The stored files of a forwarded thread that fit in ``limit`` bytes together (the
    newest messages' first, as the text keeps the newest), oldest first; and the others."""
    per_message = [
        stored_files(session, msg) for msg in _forwarded_messages(session, conversation_id, row)
    ]
    taken: list[list[OutgoingFile]] = []
    left: list[OutgoingFile] = []
    used = 0
    for files in reversed(per_message):
        fits = []
        for f in files:
            if used + f.size <= limit:
                fits.append(f)
                used += f.size
            else:
                left.append(f)
        taken.append(fits)
    return [f for fits in reversed(taken) for f in fits], list(reversed(left))


def left_out_sentence(left: list[OutgoingFile], limit: int) -> str:
    """What the mail says of the files a thread forward could not carry (the server's words:
    the mail goes to an outside address)."""
    names = ", ".join(f"{f.filename} ({human_size(f.size)})" for f in left)
    return (
        f"({rules.FILES_LEFT_OUT}, over the {human_size(limit)} this mailbox sends in one "
        f"mail: {names[:1000]}. Ask us for them.)"
    )


def _is_the_forward(session: Session, side_id: str, row_id: str) -> bool:
    """Whether ``row_id`` is the side conversation's first mail (the forward itself)."""
    S = m.SideMessage
    first = session.scalar(
        select(S.id)
        .where(S.side_conversation_id == side_id, S.direction == rules.Direction.OUT.value)
        .order_by(S.created_at, S.id)
        .limit(1)
    )
    return first == row_id


def _thread(session: Session, side_id: str, exclude: str) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a later mail of the side conversation: it answers the
    newest reply (else our newest mail); None for the first mail, the forward itself."""
    S = m.SideMessage
    rows = session.execute(
        select(S.provider_message_id, S.direction)
        .where(
            S.side_conversation_id == side_id,
            S.id != exclude,
            S.provider_message_id.is_not(None),
            S.status.in_([SideStatus.SENT.value, SideStatus.RECEIVED.value]),
        )
        .order_by(S.created_at, S.id)
    ).all()
    ids = [(pid, way) for pid, way in rows if pid and _MSG_ID.fullmatch(pid)]
    if not ids:
        return None, []
    inbound = [pid for pid, way in ids if way == rules.Direction.IN.value]
    parent = inbound[-1] if inbound else ids[-1][0]
    return parent, [pid for pid, _ in ids if pid != parent]


class SideMailer(LoopWorker):
    task_name = "csdesk-side-mailer"
    round_name = "side conversation mailer"

    def __init__(
        self,
        state: ServerState,
        lookup: Callable[[Provider], ChannelSettings | None],
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        super().__init__(state, poll_seconds=poll_seconds)
        self.lookup = lookup

    def run_once(self) -> int:
        now = utcnow()
        done = 0
        for sid in self._due(now):
            if self.stopping:
                break
            if self._claim(sid, now):
                self._deliver(sid)
                done += 1
        return done

    def _due(self, now: datetime) -> list[str]:
        S = m.SideMessage
        stmt = (
            select(S.id)
            .where(
                S.status == SideStatus.QUEUED.value,
                S.direction == rules.Direction.OUT.value,
                S.realm == Realm.PRODUCTION.value,
                or_(S.next_attempt_at.is_(None), S.next_attempt_at <= now),
                or_(S.lease_until.is_(None), S.lease_until < now),
            )
            .order_by(S.created_at)
            .limit(BATCH)
        )
        with self.state.reads() as s:
            return list(s.scalars(stmt))

    def _claim(self, sid: str, now: datetime) -> bool:
        S = m.SideMessage
        with self.state.writes() as s:
            claimed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(S)
                .where(
                    S.id == sid,
                    S.status == SideStatus.QUEUED.value,
                    or_(S.lease_until.is_(None), and_(S.lease_until < now)),
                )
                .values(lease_until=now + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            s.commit()
            return bool(claimed)

    def _deliver(self, sid: str) -> None:
        cfg = None
        try:
            cfg = self.lookup(Provider.EMAIL)
        except Exception as exc:  # a bad vault key: said once per mail, not a crash
            log.warning("side mailer: the email connection cannot be read (%s)", exc)
        result: SendResult
        mid: str | None = None
        sender = ""
        mail: EmailMessage | None = None
        box: ChannelSettings | None = None
        to = ""
        with self.state.reads() as s:
            row = s.get(m.SideMessage, sid)
            side = s.get(m.SideConversation, row.side_conversation_id) if row else None
            if row is None or side is None or row.status != SideStatus.QUEUED.value:
                return
            to = side.to_address
            original = text = row.body_text
            if (cfg is None or not cfg.enabled) and self.state.config.simulate_customers_seconds:
                # The demo (``serve --simulate-customers``) has no mailbox: marked sent with no
                # mail, as the dispatcher marks replies to its simulated customers.
                result, mid = SendResult(ok=True), f"<side.{row.id}@simulated.invalid>"
            elif cfg is None or not cfg.enabled:
                result = SendResult(ok=False, error_code="no_email", error_message=NO_EMAIL)
            else:
                try:
                    box = _mailbox(s, side.conversation_id, cfg)
                    domain = box.text("msgid_domain")
                    mid = message_id_for(row.id, domain)
                    parent, chain = _thread(s, side.id, row.id)
                    limit = int(box.settings.get("max_attachment_bytes") or DEFAULT_EMAIL_BYTES)
                    files: list[OutgoingFile] = []
                    text = row.body_text
                    if _is_the_forward(s, side.id, row.id):
                        if side.message_id is not None:
                            # The forward of one message carries that message's files (all
                            # of them, or the mail fails saying they are too large).
                            files = stored_files(s, s.get(m.Message, side.message_id))
                        else:  # a thread: the files that fit, the mail names the others
                            files, left_out = thread_files(s, side.conversation_id, row, limit)
                            if left_out:
                                text = f"{text}\n\n{left_out_sentence(left_out, limit)}"
                    mail = build_reply(
                        from_addr=box.text("from_address"),
                        to=[side.to_address],
                        subject=rules.subject_with_token(side.subject, side.token),
                        text=text,
                        msgid_domain=domain,
                        in_reply_to=parent,
                        references=chain,
                    )
                    _attach(mail, files, limit)
                    mail.replace_header("Message-ID", mid)
                    mail["Auto-Submitted"] = "no"  # written by a person (RFC 3834)
                    sender = parseaddr(box.text("from_address"))[1]
                except (ValueError, IndexError) as exc:
                    result = SendResult(
                        ok=False, error_code="invalid", error_message=f"Not sent: {exc}"[:400]
                    )
                    mail = None
                else:
                    result = SendResult(ok=True)  # replaced by the real outcome below
            max_attempts = cfg.max_attempts if cfg is not None else 1
            retry = cfg.retry_seconds if cfg is not None else 5.0
        if result.ok and mail is not None and box is not None:
            result = send_smtp(box.settings, box.secret("smtp_password"), mail, sender, [to])
        sent_text = text if mail is not None and text != original else None
        self._record(sid, result, mid, sender, max_attempts, retry, sent_text)

    def _record(
        self,
        sid: str,
        result: SendResult,
        mid: str | None,
        sender: str,
        max_attempts: int,
        retry: float,
        sent_text: str | None = None,
    ) -> None:
        now = utcnow()
        with self.state.writes() as s:
            row = s.get(m.SideMessage, sid, with_for_update=True)
            if row is None or row.status != SideStatus.QUEUED.value:
                return
            row.attempts = (row.attempts or 0) + 1
            row.lease_until = None
            if mid is not None:
                row.provider_message_id = mid
            if sender:
                row.from_address = sender
            if sent_text is not None and result.ok:
                # What the mail said (the files left out), shown on the desk. Only once it went:
                # a failed attempt keeps the forward's own text, which the next attempt builds
                # on again (else each attempt would add the sentence once more).
                row.body_text = sent_text
            if result.ok:
                row.status = SideStatus.SENT.value
                row.sent_at = now
                row.failure_reason = None
                log.info("side mailer: %s sent", sid)
            elif result.retryable and row.attempts < max_attempts:
                row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, retry))
                row.failure_reason = (result.error_message or "")[:500] or None
            else:
                row.status = SideStatus.FAILED.value
                row.failure_reason = (result.error_message or "not sent")[:500]
                log.warning("side mailer: %s failed (%s)", sid, row.failure_reason)
            s.commit()
