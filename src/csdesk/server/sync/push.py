"""Applying pushed mutations: in order, one transaction per push with a savepoint per
mutation, each id at most once.

A request's mutations share one transaction, one feed append and one commit (so one wake-up
of the long-polls and the background workers); each runs inside its own SAVEPOINT, so a
rejected one rolls back only itself and answers with its typed reason. The ids seen before
are looked up with one ``IN (…)``. If the shared transaction cannot commit (a client retry
committed the same id concurrently, or PostgreSQL broke a lock cycle between two pushes),
the mutations are applied again one transaction each, which answers those cases exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from csdesk.protocol import MutationResult, RejectCode, ResultStatus
from csdesk.server.feed import log as feed_log
from csdesk.server.sync import fast_send
from csdesk.server.sync.fast_send import SendBatch
from csdesk.server.sync.mutations import Handler, Reject, SendArgs, apply, parse
from csdesk.storage import models as m
from csdesk.storage.bulk import Bulk
from csdesk.storage.types import utcnow

#: (mutation id, type, args) as the client sent them.
Mutation = tuple[str, str, dict[str, Any]]

#: PostgreSQL's "deadlock detected" and "serialization failure": nothing was written.
_LOCK_CYCLE = frozenset({"40P01", "40001"})


def _table(model: type[m.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_APPLIED = _table(m.AppliedMutation)
_INSERT_APPLIED = Bulk(
    insert(_APPLIED), ("id", "user_id", "type", "status", "result", "applied_at")
)


#: The ids of a push seen before (built once: building it per push cost more than running it).
_SEEN = select(_APPLIED.c.id, _APPLIED.c.user_id, _APPLIED.c.status, _APPLIED.c.result).where(
    _APPLIED.c.id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True, slots=True)
class _Seen:
    """An applied-mutations row: the stored outcome of a mutation id."""

    id: str
    user_id: str
    status: str
    result: dict[str, Any]


def _replay(row: _Seen | m.AppliedMutation, user: m.User) -> MutationResult:
    if row.user_id != user.id:
        return {
            "id": row.id,
            "status": ResultStatus.REJECTED.value,
            "reason": {
                "code": RejectCode.CONFLICT.value,
                "message": "This mutation id was already used by someone else.",
            },
        }
    result: MutationResult = {"id": row.id, "status": ResultStatus.DUPLICATE.value}
    original: dict[str, Any] = row.result
    if "reason" in original:
        result["reason"] = original["reason"]
    if "seq" in original:
        result["seq"] = original["seq"]
    result["original_status"] = original.get("status", row.status)
    return result


def _rejected(mid: str, rej: Reject) -> MutationResult:
    return {
        "id": mid,
        "status": ResultStatus.REJECTED.value,
        "reason": {
            "code": rej.code.value,
            "message": rej.message,
            "template": rej.template,
            "params": dict(rej.params),
        },
    }


#: What may mean a value no column holds (see ``_out_of_range``).
_VALUE_ERRORS = (StatementError, OverflowError)
_OUT_OF_RANGE = Reject(RejectCode.INVALID, "a value is out of range for the database")


def _out_of_range(exc: BaseException) -> bool:
    """Whether ``exc`` says a value fits no column: the mutation's fault, answered as a typed
    rejection. The database says so with DataError, SQLite's driver with OverflowError, and a
    column type's own conversion (a time at the end of year 9999 moved to UTC) with the
    ValueError or OverflowError that SQLAlchemy wraps in a StatementError. Anything else (a
    database that went away) is not the mutation's fault and goes on up."""
    if isinstance(exc, DataError | OverflowError):
        return True
    return (
        isinstance(exc, StatementError)
        and not isinstance(exc, DBAPIError)
        and isinstance(exc.orig, ValueError | OverflowError)
    )


def push_one(
    factory: sessionmaker[Session], user: m.User, mid: str, mtype: str, args: dict[str, Any]
) -> MutationResult:
    """One mutation in its own transaction (the fallback of ``push_many``)."""
    with factory() as s:
        seen = s.get(m.AppliedMutation, mid)
        if seen is not None:
            return _replay(seen, user)
        result: MutationResult = {"id": mid, "status": ResultStatus.APPLIED.value}
        try:
            apply(s, user, mtype, args)
            s.flush()  # what the handler left pending meets the database here, not below
        except Reject as rej:
            s.rollback()
            result = _rejected(mid, rej)
        except _VALUE_ERRORS as exc:
            if not _out_of_range(exc):
                raise
            s.rollback()
            result = _rejected(mid, _OUT_OF_RANGE)
        # Take the feed seq first, so a replayed id answers with it too.
        seq = feed_log.publish_now(s)
        if seq:
            result["seq"] = seq
        s.add(
            m.AppliedMutation(
                id=mid,
                user_id=user.id,
                type=mtype[:48],
                status=result["status"],
                result=dict(result),
            )
        )
        try:
            s.commit()
        except IntegrityError:
            # The same id committed concurrently (a client retry racing its first try).
            s.rollback()
            seen = s.get(m.AppliedMutation, mid)
            if seen is None:
                raise
            return _replay(seen, user)
        return result


def push_many(
    factory: sessionmaker[Session], user: m.User, mutations: Sequence[Mutation]
) -> list[MutationResult]:
    """Apply ``mutations`` in order; each answers applied, duplicate or rejected."""
    if not mutations:
        return []
    try:
        return _push_batch(factory, user, mutations)
    except _VALUE_ERRORS as exc:
        # One transaction each answers these exactly: a value that fits no column (met by
        # the plain replies' statements, which write a whole push at once) rejects only its
        # own mutation there.
        if not (
            isinstance(exc, IntegrityError)
            or (isinstance(exc, DBAPIError) and _sqlstate(exc) in _LOCK_CYCLE)
            or _out_of_range(exc)
        ):
            raise
    return [push_one(factory, user, mid, mtype, args) for mid, mtype, args in mutations]


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _push_batch(
    factory: sessionmaker[Session], user: m.User, mutations: Sequence[Mutation]
) -> list[MutationResult]:
    with factory() as s:
        ids = {mid for mid, _, _ in mutations}
        seen: dict[str, _Seen] = {
            row.id: _Seen(row.id, row.user_id, row.status, row.result)
            for row in s.connection().execute(_SEEN, {"ids": list(ids)})
        }
        parsed = [None if mid in seen else _parse(mtype, args) for mid, mtype, args in mutations]
        # The conversations named (locked in id order on PostgreSQL: two pushes never wait on
        # each other in a cycle) and the plain replies' message ids, one query each.
        fast = SendBatch(s, user)
        fast.load(
            (c for _, _, args in mutations if isinstance(c := args.get("conversation_id"), str)),
            (
                step[1].message_id
                for step in parsed
                if isinstance(step, tuple) and isinstance(step[1], SendArgs)
            ),
        )
        touched: feed_log.Touched = {}
        # Per mutation: its result, or None while its first occurrence in this batch is
        # still open (a repeated id answers as a replay of the first).
        results: list[MutationResult | None] = []
        new: dict[str, tuple[str, MutationResult]] = {}  # id -> (type, result)
        changed: list[MutationResult] = []  # applied and changed something: carry the seq
        for (mid, mtype, _), step in zip(mutations, parsed, strict=True):
            if mid in seen or mid in new:
                results.append(None)
                continue
            result: MutationResult = {"id": mid, "status": ResultStatus.APPLIED.value}
            try:
                if isinstance(step, Reject):
                    raise step
                assert step is not None
                handler, args = step
                if (
                    isinstance(args, SendArgs)
                    and fast_send.eligible(args)
                    and not fast.merged_away(args)
                ):
                    fast.send(args)
                    changed.append(result)
                else:
                    fast.forget(touched)
                    _apply_in_savepoint(s, user, handler, args, touched, result, changed)
            except Reject as rej:
                result = _rejected(mid, rej)
            new[mid] = (mtype, result)
            results.append(result)
        fast.flush_into(touched)
        # Take the feed seq first, so a replayed id answers with it too.
        seq = feed_log.publish_touched(s, touched)
        if seq:
            for result in changed:
                result["seq"] = seq
        if new:
            now = utcnow()
            _INSERT_APPLIED.run(
                s.connection(),
                [
                    {
                        "id": mid,
                        "user_id": user.id,
                        "type": mtype[:48],
                        "status": result["status"],
                        "result": dict(result),
                        "applied_at": now,
                    }
                    for mid, (mtype, result) in new.items()
                ],
            )
        s.commit()
    out: list[MutationResult] = []
    for (mid, _, _), answered in zip(mutations, results, strict=True):
        if answered is not None:
            out.append(answered)
        elif mid in seen:
            out.append(_replay(seen[mid], user))
        else:
            first = new[mid][1]
            out.append(_replay(_Seen(mid, user.id, first["status"], dict(first)), user))
    return out


def _parse(mtype: str, args: dict[str, Any]) -> tuple[Handler, BaseModel] | Reject:
    try:
        return parse(mtype, args)
    except Reject as rej:
        return rej


def _apply_in_savepoint(
    s: Session,
    user: m.User,
    handler: Handler,
    args: BaseModel,
    touched: feed_log.Touched,
    result: MutationResult,
    changed: list[MutationResult],
) -> None:
    """Run an ORM handler in a SAVEPOINT: on ``Reject`` only its own changes roll back."""
    savepoint = s.begin_nested()
    try:
        handler(s, user, args)
        mine = feed_log.take_touched(s)
        savepoint.commit()
    except Reject:
        savepoint.rollback()
        raise
    except _VALUE_ERRORS as exc:
        # A value the database refused (out of range, bad encoding): that mutation is invalid;
        # a 500 would sink the whole push, and the desk would retry it forever.
        if not _out_of_range(exc):
            raise
        savepoint.rollback()
        raise _OUT_OF_RANGE from exc
    touched.update(mine)
    if mine:
        changed.append(result)
