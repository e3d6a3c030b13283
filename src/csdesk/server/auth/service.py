"""Login and tokens. Tokens are random and stored only as their SHA-256.

A login is three steps so that no database transaction is open while argon2 runs (on SQLite an
open write transaction holds the only writer lock): :func:`prepare_login` reads, the caller
checks the password with no session open, :func:`finish_login` writes.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from csdesk.domain.enums import Role
from csdesk.domain.phrase import Phrase, PhraseError
from csdesk.server.auth import throttle
from csdesk.server.auth.cache import INVALID, judge, note_change, read_verdicts
from csdesk.server.auth.passwords import hash_password
from csdesk.server.config import ServerConfig
from csdesk.storage import models as m
from csdesk.storage.types import utcnow


class LoginError(Exception):
    """Wrong user name or password (deliberately not saying which)."""


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime
    user: m.User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    team_id: str | None = None,
) -> m.User:
    if not username.strip():
        raise PhraseError(Phrase("the user name is empty"))
    if len(password) < 8:
        raise PhraseError(Phrase("the password must have at least 8 characters"))
    # Hashed before the first query: no transaction (on SQLite: no writer lock) spans argon2.
    hashed = hash_password(password)
    if session.scalar(select(m.User).where(m.User.username == username)) is not None:
        raise PhraseError(Phrase("user {name} already exists", name=repr(username)))
    user = m.User(
        id=str(uuid.uuid4()),
        username=username,
        display_name=display_name or username,
        role=role.value,
        team_id=team_id,
        password_hash=hashed,
    )
    session.add(user)
    return user


@dataclass(frozen=True)
class Candidate:
    """What checking a password needs, read before it so no transaction spans the hash."""

    user_id: str | None
    password_hash: str | None


def prepare_login(session: Session, username: str, address: str) -> Candidate:
    """Refuse a locked (user, address) pair or address (:class:`Throttled`), find the user.

    Reads only; the caller closes the session before the password is hashed.
    """
    throttle.check(session, username, address, utcnow())
    user = session.scalar(select(m.User).where(m.User.username == username))
    if user is None or not user.active:
        return Candidate(None, None)
    return Candidate(user.id, user.password_hash)


def finish_login(
    session: Session,
    candidate: Candidate,
    password_ok: bool,
    username: str,
    address: str,
    cfg: ServerConfig,
) -> Issued:
    """After the hash: count a failure (:class:`LoginError`) or issue a token, each in one
    short write transaction."""
    now = utcnow()
    user = session.get(m.User, candidate.user_id) if candidate.user_id and password_ok else None
    if user is None or not user.active or user.password_hash != candidate.password_hash:
        throttle.record_failure(session, username, address, now, cfg)
        raise LoginError("wrong user name or password")
    throttle.record_success(session, username, address)
    token = secrets.token_urlsafe(32)
    expires = now + cfg.token_ttl
    session.add(m.AuthToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires))
    session.commit()
    return Issued(token, expires, user)


def authenticate(session: Session, token: str) -> tuple[m.User | None, str]:
    """The token's user, or None and why: ``token_invalid`` / ``token_expired``."""
    hashed = token_hash(token)
    return judge(read_verdicts(session, [hashed]).get(hashed, INVALID))


def logout(session: Session, token: str) -> None:
    user_ids = session.scalars(
        update(m.AuthToken)
        .where(m.AuthToken.token_hash == token_hash(token), m.AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(m.AuthToken.user_id)
    ).all()
    for user_id in user_ids:
        note_change(session, user_id)  # every process forgets the token at commit
    session.commit()


def revoke_all(session: Session, user_id: str) -> int:
    result = session.execute(
        update(m.AuthToken)
        .where(m.AuthToken.user_id == user_id, m.AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    note_change(session, user_id)
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
