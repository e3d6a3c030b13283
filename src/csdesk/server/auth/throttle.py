"""Failed-login throttling, kept in the database so every server process shares it.

Two counters, each a ``login_throttle`` row:

* per (user name, client address): ``throttle_after`` failures lock that pair, with a wait
  that doubles per further failure up to ``throttle_max_seconds``. Nobody can lock another
  person out by failing from elsewhere: the same user from an address that has not failed
  signs in as usual.
* per client address: ``throttle_address_after`` failures, whatever the user names, lock the
  address the same way, so spraying one password across many accounts is not free.

A locked pair or address is refused *before* the password is checked (no argon2 spent on it).

The check and the count are two steps with the password check between them, so logins take
turns (``Turns``, per server process): one at a time per (user, address), a few at a time per
address. A burst of parallel guesses would otherwise all pass the check before the first
failure is counted, and could fill the shared hashing queue so that nobody else can sign in.
Each lockout is logged once, when it starts. Failures older than ``throttle_forget_seconds``
are forgotten: whenever a new row is written, stale rows are deleted first (through the index
on ``last_failure_at``), so made-up user names cannot fill the table.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import anyio
from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.phrase import Phrase
from csdesk.server.config import ServerConfig
from csdesk.storage import models as m

log = logging.getLogger(__name__)

_KEY_MAX = 200  # login_throttle.key
_ADDRESS_MAX = 64


class Throttled(Exception):
    def __init__(self, retry_after: int, phrase: Phrase) -> None:
        super().__init__(phrase.text)
        self.retry_after = retry_after
        self.phrase = phrase


class Turns:
    """Logins take turns, per server process (its event loop):

    * per (user name, client address), one at a time, at most ``waiting`` more waiting: the
      lock check, argon2 and the failure count are then one step for that pair, so parallel
      guesses at one account get no more tries than sequential ones;
    * per client address, at most ``per_address`` checked at once and ``address_waiting`` more
      waiting, so one address cannot fill the shared hashing queue — while a call centre behind
      one NAT address, its agents all signing in at nine, still gets in without a refusal.

    Beyond the waiting room a login is refused at once (``Throttled``, retry in a second)."""

    def __init__(
        self, waiting: int = 4, *, per_address: int = 4, address_waiting: int = 64
    ) -> None:
        self.waiting = max(0, waiting)
        self.per_address = max(1, per_address)
        self.address_waiting = max(0, address_waiting)
        self._pairs: dict[str, tuple[anyio.Lock, list[int]]] = {}
        self._addresses: dict[str, tuple[anyio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def turn(self, address: str, username: str = "") -> AsyncIterator[None]:
        where = _address(address)
        pair = user_key(username, address)
        lock, waiting = self._pairs.setdefault(pair, (anyio.Lock(), [0]))
        slots, queued = self._addresses.setdefault(where, (anyio.Semaphore(self.per_address), [0]))
        if waiting[0] > self.waiting or queued[0] >= self.per_address + self.address_waiting:
            raise Throttled(
                1, Phrase("a sign-in from this address is already being checked; try again")
            )
        waiting[0] += 1
        queued[0] += 1
        try:
            async with lock, slots:
                yield
        finally:
            waiting[0] -= 1
            queued[0] -= 1
            if waiting[0] == 0:
                self._pairs.pop(pair, None)
            if queued[0] == 0:
                self._addresses.pop(where, None)


def _address(address: str) -> str:
    return address[:_ADDRESS_MAX] or "unknown"


def user_key(username: str, address: str) -> str:
    """``u <address> <user name>``: an address has no space, so no two pairs share a key."""
    name = username.strip().lower()
    key = f"u {_address(address)} {name}"
    if len(key) > _KEY_MAX:
        key = f"u {_address(address)} #{hashlib.sha256(name.encode()).hexdigest()}"
    return key


def address_key(address: str) -> str:
    """``a <address>``; an IPv6 client counts by its /64, which one subscriber usually holds
    whole (rotating through it must not buy a fresh count per address)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"a {_address(address)}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"a {ip.ipv4_mapped}"
        return f"a {ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"a {ip}"


def _wait(row: m.LoginThrottle | None, now: datetime) -> int:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, int((row.locked_until - now).total_seconds() + 0.999))


def check(session: Session, username: str, address: str, now: datetime) -> None:
    """Raise :class:`Throttled` while the pair or the address is locked (reads only)."""
    pair = _wait(session.get(m.LoginThrottle, user_key(username, address)), now)
    if pair:
        raise Throttled(
            pair, Phrase("too many failed logins; try again in {seconds} s", seconds=pair)
        )
    addr = _wait(session.get(m.LoginThrottle, address_key(address)), now)
    if addr:
        raise Throttled(
            addr,
            Phrase(
                "too many failed logins from this address; try again in {seconds} s",
                seconds=addr,
            ),
        )


def _forget_before(now: datetime, cfg: ServerConfig) -> datetime:
    # Never forget a row that may still be locked.
    return now - timedelta(seconds=max(cfg.throttle_forget_seconds, cfg.throttle_max_seconds))


def sweep(session: Session, now: datetime, cfg: ServerConfig) -> int:
    """Delete the rows nobody has failed under for ``throttle_forget_seconds``."""
    result = session.execute(
        delete(m.LoginThrottle).where(
            m.LoginThrottle.last_failure_at < _forget_before(now, cfg),
            or_(m.LoginThrottle.locked_until.is_(None), m.LoginThrottle.locked_until <= now),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _bump(
    session: Session, key: str, threshold: int, now: datetime, cfg: ServerConfig, swept: bool
) -> tuple[int, int, bool]:
    """Count one failure under ``key``: (failures, lock seconds or 0, whether it swept)."""
    row = session.get(m.LoginThrottle, key, with_for_update=True)
    if row is None:
        if not swept:
            sweep(session, now, cfg)
            swept = True
        row = m.LoginThrottle(key=key, failures=0, last_failure_at=now)
        session.add(row)
    elif row.last_failure_at < _forget_before(now, cfg):
        row.failures = 0  # a stale count starts again
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - threshold
    wait = 0
    if over >= 0:
        wait = int(min(cfg.throttle_base_seconds * (2**over), cfg.throttle_max_seconds))
        row.locked_until = now + timedelta(seconds=wait)
    return row.failures, wait, swept


def record_failure(
    session: Session, username: str, address: str, now: datetime, cfg: ServerConfig
) -> None:
    """Count a failed login for the pair and the address, in one short transaction."""
    for attempt in range(2):
        try:
            failures, pair_wait, swept = _bump(
                session, user_key(username, address), cfg.throttle_after, now, cfg, False
            )
            addr_failures, addr_wait, _ = _bump(
                session, address_key(address), cfg.throttle_address_after, now, cfg, swept
            )
            session.commit()
        except IntegrityError:  # another process inserted the same key first: count again
            session.rollback()
            if attempt:
                return
            continue
        break
    # One line per lockout: a locked pair or address is refused before it can fail again.
    if pair_wait:
        log.warning(
            "login locked for %d s: user %r from %s after %d failures",
            pair_wait,
            username.strip().lower(),
            _address(address),
            failures,
        )
    if addr_wait:
        log.warning(
            "login locked for %d s: address %s after %d failures across user names",
            addr_wait,
            address_key(address).removeprefix("a "),
            addr_failures,
        )


def record_success(session: Session, username: str, address: str) -> None:
    """A correct password clears the pair's count (not the address's: one good account must
    not reset a sprayer's count). The caller commits."""
    row = session.get(m.LoginThrottle, user_key(username, address))
    if row is not None:
        session.delete(row)
