"""argon2id password hashing, and a gate that bounds how many hashes run at once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


class _Dummy:
    """The hash verified against when the user does not exist, so timing does not reveal user
    names. Made on a thread started at import (argon2 releases the GIL): a server's start-up
    and its first sign-in do not wait for it on their critical path."""

    def __init__(self) -> None:
        self._hash = ""
        self._ready = threading.Event()
        threading.Thread(target=self._make, name="csdesk-argon2-dummy", daemon=True).start()

    def _make(self) -> None:
        try:
            self._hash = _HASHER.hash("csdesk-dummy-password")
        finally:
            self._ready.set()

    def get(self) -> str:
        self._ready.wait()
        if not self._hash:  # the thread failed (memory?): make it here, where errors show
            self._hash = _HASHER.hash("csdesk-dummy-password")
        return self._hash


_DUMMY = _Dummy()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY.get(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


class Busy(Exception):
    """Every hashing slot is taken and the queue is full: the caller should retry shortly."""


class HashGate:
    """Runs argon2 in worker threads, at most ``slots`` at once (one per core by default).

    argon2 is deliberately CPU and memory hungry (64 MiB a hash): unbounded, a burst of logins
    takes every core and the memory with it. Logins beyond the slots wait here, without
    holding a thread or a database connection; beyond ``queue`` waiting ones they are refused
    at once with :class:`Busy` instead of piling up. Belongs to one event loop (one app).
    """

    def __init__(self, slots: int | None = None, queue: int = 32) -> None:
        self.slots = max(1, slots or os.cpu_count() or 1)
        self.queue = max(0, queue)
        self._limiter = anyio.CapacityLimiter(self.slots)
        self._admitted = 0  # running + waiting

    @property
    def admitted(self) -> int:
        """Hashes running plus logins waiting for a slot."""
        return self._admitted

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._admitted >= self.slots + self.queue:
            raise Busy("too many sign-ins at once; retry in a moment")
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        finally:
            self._admitted -= 1
