"""The local effects of the scheduled-send and reminder mutations (``optimistic.EFFECTS``
registers them; docs/scheduled-send.md): a scheduled reply shows as "Scheduled for …" in its
thread at once, offline too; a change or a cancellation shows at once; a reminder is listed
as soon as it is set and goes when dismissed. They mirror ``server/scheduled/mutations.py``;
where the server would refuse (a reply already sent) they change nothing and let the refusal
explain why. The server alone makes a reply sent or a reminder due."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.protocol import Entity, MutationType
from csdesk.sync.tables import get_row, upsert_rows

if TYPE_CHECKING:
    from csdesk.sync.optimistic import LocalMutation, Me, Pair

REQUIRED_ARGS: Mapping[MutationType, tuple[str, ...]] = {
    MutationType.SCHEDULED_SEND: ("scheduled_id", "conversation_id", "body_text", "send_at"),
    MutationType.SCHEDULED_EDIT: ("scheduled_id",),
    MutationType.SCHEDULED_CANCEL: ("scheduled_id",),
    MutationType.REMINDER_SET: ("reminder_id", "conversation_id", "due_at"),
    MutationType.REMINDER_DISMISS: ("reminder_id",),
}


def affected(mtype: str, args: Mapping[str, Any]) -> list[Pair]:
    if str(mtype).startswith("scheduled."):
        return [(Entity.SCHEDULED_MESSAGE, str(args["scheduled_id"]))]
    return [(Entity.REMINDER, str(args["reminder_id"]))]


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _realm(session: Session, conversation_id: str) -> str:
    conv = get_row(session, Entity.CONVERSATION, conversation_id)
    return str((conv or {}).get("realm") or Realm.PRODUCTION.value)


def _schedule(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    at = _when(a.get("send_at"))
    sid = str(a["scheduled_id"])
    if at is None or get_row(session, Entity.SCHEDULED_MESSAGE, sid) is not None:
        return
    row = {
        "id": sid, "realm": _realm(session, str(a["conversation_id"])),
        "created_at": mut.at, "updated_at": mut.at,
        "conversation_id": str(a["conversation_id"]), "author_id": me.id or "",
        "author_name": me.display_name, "body_text": str(a["body_text"]),
        "subject": str(a.get("subject") or ""), "send_at": at,
        "status": ScheduledStatus.SCHEDULED.value, "message_id": None,
        "failure_reason": None, "sent_at": None,
    }  # fmt: skip
    upsert_rows(session, Entity.SCHEDULED_MESSAGE, [row])


def _held(session: Session, mut: LocalMutation) -> dict[str, Any] | None:
    row = get_row(session, Entity.SCHEDULED_MESSAGE, str(mut.args["scheduled_id"]))
    if row is None or row.get("status") != ScheduledStatus.SCHEDULED.value:
        return None
    return row


def _edit(session: Session, mut: LocalMutation, me: Me) -> None:
    row = _held(session, mut)
    if row is None:
        return
    changes: dict[str, Any] = {}
    if mut.args.get("body_text"):
        changes["body_text"] = str(mut.args["body_text"])
    if (at := _when(mut.args.get("send_at"))) is not None:
        changes["send_at"] = at
    if changes:
        upsert_rows(session, Entity.SCHEDULED_MESSAGE, [{**row, **changes, "updated_at": mut.at}])


def _cancel(session: Session, mut: LocalMutation, me: Me) -> None:
    row = _held(session, mut)
    if row is not None:
        row = {**row, "status": ScheduledStatus.CANCELLED.value, "updated_at": mut.at}
        upsert_rows(session, Entity.SCHEDULED_MESSAGE, [row])


def _remind(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    at = _when(a.get("due_at"))
    rid = str(a["reminder_id"])
    if at is None or get_row(session, Entity.REMINDER, rid) is not None:
        return
    row = {
        "id": rid, "realm": _realm(session, str(a["conversation_id"])),
        "created_at": mut.at, "updated_at": mut.at, "owner_id": me.id or "",
        "conversation_id": str(a["conversation_id"]), "due_at": at,
        "only_if_no_reply": bool(a.get("only_if_no_reply", True)),
        "note": str(a.get("note") or "").strip(), "status": ReminderStatus.PENDING.value,
        "scope": "personal", "fired_at": None,
    }  # fmt: skip
    upsert_rows(session, Entity.REMINDER, [row])


def _dismiss(session: Session, mut: LocalMutation, me: Me) -> None:
    row = get_row(session, Entity.REMINDER, str(mut.args["reminder_id"]))
    if row is not None:
        row = {**row, "status": ReminderStatus.DISMISSED.value, "updated_at": mut.at}
        upsert_rows(session, Entity.REMINDER, [row])


EFFECTS: dict[str, Any] = {
    MutationType.SCHEDULED_SEND: _schedule,
    MutationType.SCHEDULED_EDIT: _edit,
    MutationType.SCHEDULED_CANCEL: _cancel,
    MutationType.REMINDER_SET: _remind,
    MutationType.REMINDER_DISMISS: _dismiss,
}
