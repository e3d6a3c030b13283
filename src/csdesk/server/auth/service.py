"""Login, tokens and throttling. Tokens are random and stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.enums import Role
from csdesk.server.auth.passwords import hash_password, verify_password
from csdesk.server.config import ServerConfig
from csdesk.storage import models as m
from csdesk.storage.types import utcnow


class LoginError(Exception):
    """Wrong user name or password (deliberately not saying which)."""


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


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
        raise ValueError("the user name is empty")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    if session.scalar(select(m.User).where(m.User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = m.User(
        id=str(uuid.uuid4()),
        username=username,
        display_name=display_name or username,
        role=role.value,
        team_id=team_id,
        password_hash=hash_password(password),
    )
    session.add(user)
    return user


def _check_throttle(session: Session, key: str, now: datetime) -> None:
    row = session.get(m.LoginThrottle, key)
    if row and row.locked_until and row.locked_until > now:
        raise Throttled(max(1, int((row.locked_until - now).total_seconds() + 0.999)))


def _record_failure(session: Session, key: str, now: datetime, cfg: ServerConfig) -> None:
    row = session.get(m.LoginThrottle, key)
    if row is None:
        row = m.LoginThrottle(key=key, failures=0, last_failure_at=now)
        session.add(row)
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - cfg.throttle_after
    if over >= 0:
        wait = min(cfg.throttle_base_seconds * (2**over), cfg.throttle_max_seconds)
        row.locked_until = now + timedelta(seconds=wait)
    try:
        session.commit()
    except IntegrityError:  # another process recorded the first failure at the same moment
        session.rollback()


def login(session: Session, username: str, password: str, cfg: ServerConfig) -> Issued:
    now = utcnow()
    key = username.strip().lower()
    _check_throttle(session, key, now)
    user = session.scalar(select(m.User).where(m.User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _record_failure(session, key, now, cfg)
        raise LoginError("wrong user name or password")
    row = session.get(m.LoginThrottle, key)
    if row is not None:
        session.delete(row)
    token = secrets.token_urlsafe(32)
    expires = now + cfg.token_ttl
    session.add(m.AuthToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires))
    session.commit()
    return Issued(token, expires, user)


def authenticate(session: Session, token: str) -> tuple[m.User | None, str]:
    """The token's user, or None and why: ``token_invalid`` / ``token_expired``."""
    row = session.get(m.AuthToken, token_hash(token))
    if row is None or row.revoked_at is not None:
        return None, "token_invalid"
    if row.expires_at <= utcnow():
        return None, "token_expired"
    user = session.get(m.User, row.user_id)
    if user is None or not user.active:
        return None, "token_invalid"
    return user, ""


def logout(session: Session, token: str) -> None:
    session.execute(
        update(m.AuthToken)
        .where(m.AuthToken.token_hash == token_hash(token), m.AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def revoke_all(session: Session, user_id: str) -> int:
    result = session.execute(
        update(m.AuthToken)
        .where(m.AuthToken.user_id == user_id, m.AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
