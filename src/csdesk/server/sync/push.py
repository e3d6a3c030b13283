"""Applying pushed mutations: in order, each in its own transaction, each id at most once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from csdesk.protocol import MutationResult, RejectCode, ResultStatus
from csdesk.server.feed.log import publish_now
from csdesk.server.sync.mutations import Reject, apply
from csdesk.storage import models as m


def _replay(row: m.AppliedMutation, user: m.User) -> MutationResult:
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


def push_one(
    factory: sessionmaker[Session], user: m.User, mid: str, mtype: str, args: dict[str, Any]
) -> MutationResult:
    with factory() as s:
        seen = s.get(m.AppliedMutation, mid)
        if seen is not None:
            return _replay(seen, user)
        result: MutationResult = {"id": mid, "status": ResultStatus.APPLIED.value}
        try:
            apply(s, user, mtype, args)
        except Reject as rej:
            s.rollback()
            result = {
                "id": mid,
                "status": ResultStatus.REJECTED.value,
                "reason": {"code": rej.code.value, "message": rej.message},
            }
        # Take the feed seq first, so a replayed id answers with it too.
        seq = publish_now(s)
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
