"""The outbox: every agent action is written locally first, then pushed in order.

``enqueue`` commits the action and its optimistic effect in one transaction before it returns,
so an action the desk has shown is never lost to a crash, and a crash never leaves an effect
without its action (or the reverse). Rows are numbered by an autoincrement key: that number is
the agent's order and the order the server receives them in.

A row is ``pending`` until the server answers; then ``acked`` (applied; kept and replayed until
the pulled feed reaches the seq it was committed at, then deleted) or ``rejected`` (kept with
the server's reason until the agent dismisses it, so a refused reply's text is never lost).

Files on a reply: ``stage`` copies each file the agent picked into ``files_dir`` (next to the
cache, named by its SHA-256, written and fsynced before the reply is queued), so the reply with
its files survives a crash, a deleted original and a week offline.  The ``message.send``
args carry one reference per file (``sha256``, ``filename``, ``size``, ``content_type`` and
``local``: the copy's path); ``SyncApi.push`` uploads the copies before it pushes the reply.
A copy is deleted once no queued or rejected action refers to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from csdesk.protocol import MAX_PUSH_BATCH, Entity, Mutation, MutationType, Reason
from csdesk.storage.types import utcnow
from csdesk.sync import optimistic
from csdesk.sync.cache import CURSOR, CacheWrite, LocalCache
from csdesk.sync.events import ChangeSet
from csdesk.sync.tables import get_state, outbox

PENDING = "pending"
ACKED = "acked"
REJECTED = "rejected"

#: Keep a push request well under the server's 2 MiB body limit.
MAX_BATCH_BYTES = 1_000_000
_CHUNK = 1024 * 1024
#: Staged copies younger than this are never pruned (see ``_prune_files``).
STAGED_GRACE_SECONDS = 3600.0


class AttachmentError(Exception):
    """A file cannot be attached (unreadable, vanished); ``str(exc)`` is for the agent."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: str
    type: str
    args: dict[str, Any]
    state: str
    created_at: datetime
    reason: Reason | None = None

    def as_mutation(self) -> Mutation:
        return {"id": self.id, "type": self.type, "args": self.args}


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int = 0
    rejected: int = 0


class Outbox:
    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache

    # --- files on replies ---------------------------------------------------------------------

    @property
    def files_dir(self) -> Path:
        """Where queued replies' files wait for their upload (beside the cache file)."""
        return self.cache.path.parent / f"{self.cache.path.stem}-outbox-files"

    def stage(self, paths: Sequence[Path]) -> list[dict[str, Any]]:
        """Copy the files into ``files_dir`` (disk: run on a worker); their references for a
        ``message.send``'s ``attachments``. Raises ``AttachmentError``."""
        return [self._stage_one(Path(p)) for p in paths]

    def _stage_one(self, source: Path) -> dict[str, Any]:
        folder = self.files_dir
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".staging-")
        try:
            with source.open("rb") as src, os.fdopen(fd, "wb") as out:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = folder / sha
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise AttachmentError(
                f"{source.name} cannot be attached: {exc.strerror or exc}"
            ) from exc
        ctype = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        return {
            "sha256": sha,
            "filename": source.name,
            "size": size,
            "content_type": ctype,
            "local": str(target),
        }

    def _prune_files(self, s: Any, finished: Iterable[Mapping[str, Any]] = ()) -> None:
        """Delete staged copies no queued or rejected action needs any more: at once for the
        files of ``finished`` actions' args, after a grace period for any other stray copy
        (one staged moments ago may belong to a reply about to be queued)."""
        folder = self.files_dir
        if not folder.is_dir():
            return
        rows = s.execute(
            select(outbox.c.args).where(
                outbox.c.type == MutationType.MESSAGE_SEND.value,
                outbox.c.state.in_((PENDING, REJECTED)),
            )
        ).all()
        needed = {Path(str(ref["local"])).name for r in rows for ref in _refs(r.args)}
        done = {Path(str(ref["local"])).name for args in finished for ref in _refs(args)}
        cutoff = time.time() - STAGED_GRACE_SECONDS
        for path in folder.iterdir():
            if path.name in needed:
                continue
            with contextlib.suppress(OSError):
                if path.name in done or path.stat().st_mtime < cutoff:
                    path.unlink()

    def enqueue(self, mtype: MutationType | str, args: Mapping[str, Any]) -> str:
        """Queue an action and show its effect locally; returns the mutation id (uuid4)."""
        return self.enqueue_with_changes(mtype, args)[0]

    def enqueue_with_changes(
        self, mtype: MutationType | str, args: Mapping[str, Any]
    ) -> tuple[str, ChangeSet]:
        """``enqueue``, also returning what the local effect changed (for the UI to refresh).

        A reply without ``message_id`` gets a fresh one, so the desk can show it at once.
        Raises ``ValueError`` for an unknown type or missing arguments: that is a bug in the
        caller, and queueing it would only produce a rejection the agent cannot act on.
        """
        try:
            mtype = MutationType(mtype)
        except ValueError:
            raise ValueError(f"unknown mutation type {mtype!r}") from None
        args = dict(args)
        if mtype == MutationType.MESSAGE_SEND:
            args.setdefault("message_id", str(uuid.uuid4()))
        missing = [k for k in optimistic.REQUIRED_ARGS[mtype] if args.get(k) in (None, "")]
        if missing:
            raise ValueError(f"{mtype.value} needs {', '.join(missing)}")
        for ref in _refs(args):
            if not Path(str(ref.get("local", ""))).is_file():
                raise AttachmentError(
                    f"{ref.get('filename', 'a file')} is no longer ready to send; attach it again"
                )
        json.dumps(args)  # fail here, not in the push thread, if it cannot go on the wire
        mid = str(uuid.uuid4())
        now = utcnow()
        write = CacheWrite(frozenset(optimistic.affected(mtype.value, args)))
        with self.cache.write() as s, self.cache.watched(s, write) as extra:
            s.execute(
                outbox.insert().values(
                    id=mid, type=mtype.value, args=args, state=PENDING, created_at=now
                )
            )
            mut = optimistic.LocalMutation(mid, mtype.value, args, now)
            pairs = optimistic.apply_local(s, mut, optimistic.Me.load(s))
            extra.update(pairs)
        return mid, ChangeSet.of(pairs)

    # --- batches (a macro's actions, docs/macros.md) -----------------------------------------

    def enqueue_batch(
        self, items: Sequence[tuple[MutationType | str, Mapping[str, Any]]]
    ) -> tuple[list[str], ChangeSet]:
        """Queue several actions in one transaction (all or none), in order; their ids (for
        ``cancel``) and what their local effects changed. Same checks as ``enqueue``."""
        checked: list[tuple[MutationType, dict[str, Any]]] = []
        for mtype, raw in items:
            try:
                kind = MutationType(mtype)
            except ValueError:
                raise ValueError(f"unknown mutation type {mtype!r}") from None
            args = dict(raw)
            if kind == MutationType.MESSAGE_SEND:
                args.setdefault("message_id", str(uuid.uuid4()))
            missing = [k for k in optimistic.REQUIRED_ARGS[kind] if args.get(k) in (None, "")]
            if missing:
                raise ValueError(f"{kind.value} needs {', '.join(missing)}")
            json.dumps(args)
            checked.append((kind, args))
        ids = [str(uuid.uuid4()) for _ in checked]
        now = utcnow()
        named = frozenset(p for k, a in checked for p in optimistic.affected(k.value, a))
        pairs: list[tuple[Entity, str]] = []
        with self.cache.write() as s, self.cache.watched(s, CacheWrite(named)) as extra:
            me = optimistic.Me.load(s)
            for mid, (kind, args) in zip(ids, checked, strict=True):
                s.execute(
                    outbox.insert().values(
                        id=mid, type=kind.value, args=args, state=PENDING, created_at=now
                    )
                )
                mut = optimistic.LocalMutation(mid, kind.value, args, now)
                pairs += optimistic.apply_local(s, mut, me)
            extra.update(pairs)
        return ids, ChangeSet.of(pairs)

    def cancel(self, mutation_ids: Sequence[str]) -> ChangeSet | None:
        """Take back queued actions together (a macro's batch) while every one of them is still
        pending: they are deleted and their local effects undone. None, and nothing changed,
        if any of them has gone to the server already (or never existed). The sync engine
        calls this under its push lock, so a batch is never half sent and half taken back."""
        wanted = set(mutation_ids)
        if not wanted:
            return None
        with self.cache.write() as s:
            rows = s.execute(
                select(outbox.c.id, outbox.c.type, outbox.c.args, outbox.c.state).where(
                    outbox.c.id.in_(wanted)
                )
            ).all()
            if len(rows) != len(wanted) or any(r.state != PENDING for r in rows):
                return None
            pairs = [p for r in rows for p in optimistic.affected(r.type, r.args)]
            with self.cache.watched(s, CacheWrite(frozenset(pairs))) as extra:
                s.execute(delete(outbox).where(outbox.c.id.in_(wanted)))
                local = optimistic.shadowed(s)
                optimistic.rebase(s)
                self._prune_files(s, [r.args for r in rows])
                extra.update(sorted(local - optimistic.shadowed(s), key=str))
                pairs += extra
        return ChangeSet.of(pairs)

    # --- reading ----------------------------------------------------------------------------

    def pending(
        self, limit: int = MAX_PUSH_BATCH, max_bytes: int = MAX_BATCH_BYTES
    ) -> list[OutboxEntry]:
        """The oldest pending actions, in order: at most ``limit``, about ``max_bytes``."""
        out: list[OutboxEntry] = []
        size = 0
        for entry in self._entries(PENDING, limit):
            size += len(json.dumps(entry.as_mutation()))
            if out and size > max_bytes:
                break
            out.append(entry)
        return out

    def rejected(self) -> list[OutboxEntry]:
        return self._entries(REJECTED, None)

    def get(self, mutation_id: str) -> OutboxEntry | None:
        with self.cache.session() as s:
            row = s.execute(select(outbox).where(outbox.c.id == mutation_id)).first()
        return None if row is None else _entry(row)

    def counts(self) -> OutboxCounts:
        with self.cache.session() as s:
            rows = s.execute(
                select(outbox.c.state, func.count())
                .where(outbox.c.state.in_((PENDING, REJECTED)))
                .group_by(outbox.c.state)
            ).all()
        by_state = {state: int(n) for state, n in rows}
        return OutboxCounts(by_state.get(PENDING, 0), by_state.get(REJECTED, 0))

    def _entries(self, state: str, limit: int | None) -> list[OutboxEntry]:
        with self.cache.session() as s:
            rows = s.execute(
                select(outbox).where(outbox.c.state == state).order_by(outbox.c.seq).limit(limit)
            ).all()
        return [_entry(r) for r in rows]

    # --- server answers ---------------------------------------------------------------------

    def mark_done(self, acks: Mapping[str, int]) -> ChangeSet:
        """The server applied these actions; ``acks`` maps each id to its committed seq.

        An action stays replayed until the pulled cursor reaches its seq (the feed then
        carries its effect); with seq 0 (nothing changed on the server) it goes at once.
        """
        return self.resolve(acks, {})

    def mark_rejected(self, mutation_id: str, reason: Reason) -> ChangeSet:
        """The server refused this action: stop replaying it, so the cache reverts."""
        return self.resolve({}, {mutation_id: reason})

    def resolve(self, acks: Mapping[str, int], rejections: Mapping[str, Reason]) -> ChangeSet:
        """Record a whole push answer in one transaction, then rebase once."""
        with self.cache.write() as s:
            touched = s.execute(
                select(outbox.c.type, outbox.c.args).where(outbox.c.id.in_([*acks, *rejections]))
            ).all()
            pairs = [p for r in touched for p in optimistic.affected(r.type, r.args)]
            with self.cache.watched(s, CacheWrite(frozenset(pairs))) as extra:
                extra.update(self._resolve(s, acks, rejections, touched))
                pairs += extra
        return ChangeSet.of(pairs)

    def _resolve(
        self,
        s: Any,
        acks: Mapping[str, int],
        rejections: Mapping[str, Reason],
        touched: Sequence[Any],
    ) -> list[tuple[Entity, str]]:
        for mid, seq in acks.items():
            s.execute(
                update(outbox)
                .where(outbox.c.id == mid, outbox.c.state == PENDING)
                .values(state=ACKED, acked_seq=seq)
            )
        for mid, reason in rejections.items():
            s.execute(
                update(outbox)
                .where(outbox.c.id == mid, outbox.c.state == PENDING)
                .values(
                    state=REJECTED,
                    reason_code=reason.get("code", ""),
                    reason_message=reason.get("message", ""),
                )
            )
        local = optimistic.shadowed(s)
        dropped = optimistic.drop_acked(s, int(get_state(s, CURSOR) or 0))
        optimistic.rebase(s)
        if acks:
            self._prune_files(s, [r.args for r in touched])
        # Rows an action touched beyond its arguments (what a merge moved) are named too.
        return dropped + sorted(local - optimistic.shadowed(s), key=str)

    def dismiss(self, mutation_id: str) -> bool:
        """The agent has seen a rejection: forget it. False if there was no such rejection."""
        with self.cache.write() as s:
            gone = s.execute(
                select(outbox.c.args).where(outbox.c.id == mutation_id, outbox.c.state == REJECTED)
            ).all()
            result = s.execute(
                delete(outbox).where(outbox.c.id == mutation_id, outbox.c.state == REJECTED)
            )
            self._prune_files(s, [r.args for r in gone])
            return bool(result.rowcount)  # type: ignore[attr-defined]


def _refs(args: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The staged files an action's args refer to."""
    refs = args.get("attachments")
    if not isinstance(refs, list):
        return ()
    return [r for r in refs if isinstance(r, Mapping) and r.get("local")]


def _entry(row: Any) -> OutboxEntry:
    reason: Reason | None = None
    if row.reason_code is not None:
        reason = {"code": row.reason_code, "message": row.reason_message or ""}
    return OutboxEntry(row.id, row.type, dict(row.args), row.state, row.created_at, reason)
