"""Who uploaded which file, in which realm: what a reply may carry, and the upload quota.

The file store is content-addressed, so a SHA-256 alone names a file; without these records
anyone who learnt a file's hash (a trainee, a production invoice) could put it on a reply and
download it.  Each upload is recorded per (uploader, realm, hash) (``models.Upload``); a reply
may carry a file only if its author uploaded it in the reply's realm, or if a message of a
conversation they can read (same realm, not deleted) already carries it (a file passed on).

The quota counts the bytes of the uploader's recorded files no reply has used yet: what an
agent can pile up on the server without sending anything.  Files a reply carries are the
conversation's, not the uploader's allowance.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ColumnElement, Text, cast, func, select
from sqlalchemy.orm import Session

from csdesk.storage import models as m
from csdesk.storage.types import utcnow

_HEX = re.compile(r"[0-9a-f]{64}")


class QuotaExceeded(Exception):
    """The upload does not fit the uploader's allowance."""

    def __init__(self, used: int, quota: int, size: int) -> None:
        super().__init__(f"{used} + {size} > {quota}")
        self.used = used
        self.quota = quota
        self.size = size


def unused_bytes(session: Session, user_id: str) -> int:
    """What the user's uploads that no reply used yet take."""
    u = m.Upload
    total = session.scalar(
        select(func.coalesce(func.sum(u.size), 0)).where(
            u.uploader_id == user_id, u.used_at.is_(None)
        )
    )
    return int(total or 0)


def record(
    session: Session,
    user_id: str,
    realm: str,
    sha256: str,
    size: int,
    quota: int,
    now: datetime | None = None,
) -> None:
    """Record an upload (in the caller's transaction), or raise ``QuotaExceeded``.

    The same file uploaded again refreshes its record (the sweep's grace starts over) and
    costs nothing more. The user's row is locked first, so two uploads of one user in
    parallel cannot both slip under the quota (PostgreSQL; SQLite writes one at a time).
    """
    now = now or utcnow()
    session.get(m.User, user_id, with_for_update=True)
    row = session.get(m.Upload, (user_id, realm, sha256), with_for_update=True)
    if row is not None:
        row.created_at = now
        return
    used = unused_bytes(session, user_id)
    if used + size > quota:
        raise QuotaExceeded(used, quota, size)
    session.add(
        m.Upload(uploader_id=user_id, realm=realm, sha256=sha256, size=size, created_at=now)
    )


def use(session: Session, user_id: str, realm: str, sha256: str) -> bool:
    """Whether ``user_id`` may put the file on a reply in ``realm``; marks their upload used.

    The upload row is locked, so a sweep running at the same time cannot remove it between
    this check and the reply's commit.
    """
    row = session.get(m.Upload, (user_id, realm, sha256), with_for_update=True)
    if row is not None:
        if row.used_at is None:
            row.used_at = utcnow()
        return True
    return carried_by_a_message(session, sha256, realm)


def _carrying(sha256: str) -> ColumnElement[bool]:
    # The JSON text of ``messages.attachments`` holds ``"sha256": "<hex>"``; hex needs no
    # LIKE escaping. A scan, but only for a file passed on or a sweep candidate.
    return cast(m.Message.attachments, Text).contains(f'"{sha256}"')


def carried_among(session: Session, shas: set[str]) -> set[str]:
    """Which of ``shas`` some message carries (any realm): one pass over the messages with
    files, however many are asked about (the sweep's check)."""
    if not shas:
        return set()
    text = cast(m.Message.attachments, Text)
    found: set[str] = set()
    rows = session.execute(
        select(text).where(text.contains('"sha256"')).execution_options(yield_per=2000)
    )
    for (attachments,) in rows:
        if attachments:
            found.update(shas.intersection(_HEX.findall(attachments)))
    return found


def carried_by_a_message(session: Session, sha256: str, realm: str | None = None) -> bool:
    """Whether a message (in ``realm``, of a conversation not deleted; any, when None)
    carries the file."""
    stmt = select(m.Message.id).where(_carrying(sha256))
    if realm is not None:
        stmt = stmt.join(m.Conversation, m.Conversation.id == m.Message.conversation_id).where(
            m.Message.realm == realm, m.Conversation.deleted_at.is_(None)
        )
    return session.scalar(stmt.limit(1)) is not None
