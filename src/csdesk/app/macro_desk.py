"""The desk's use cases for canned responses and macros (docs/macros.md): what this agent may
use, saving and deleting canned responses, applying a macro as one outbox batch and taking it
back while it is still waiting there. Queries run on workers; so does ``undo`` (it waits for a
push in flight)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.app import macros as planning
from csdesk.domain import macros as rules
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation

T = TypeVar("T", m.CannedResponse, m.Macro)


def my_team(s: Session, user_id: str) -> str | None:
    return s.scalar(select(m.User.team_id).where(m.User.id == user_id))


def visible(s: Session, user_id: str, items: Sequence[T]) -> list[T]:
    """``items`` this user may use: their own personal ones, their team's, everyone's."""
    team = my_team(s, user_id)
    return [i for i in items if rules.visible_to(user_id, team, i.scope, i.owner_id, i.team_id)]


def macros(ws: Workstation) -> list[m.Macro]:
    """The macros this agent may apply, the most used first."""
    with ws.cache.session() as s:
        rows = s.scalars(
            select(m.Macro)
            .where(m.Macro.deleted_at.is_(None))
            .order_by(m.Macro.use_count.desc(), m.Macro.title)
        ).all()
        return visible(s, ws.me.id, rows)


def favourites(ws: Workstation) -> list[m.Macro]:
    """The macros on Ctrl+Alt+1 … 9: the most used."""
    return macros(ws)[: rules.FAVOURITES]


def can_share(ws: Workstation) -> bool:
    return rules.can_share(ws.me.role)


@dataclass(frozen=True, slots=True)
class CannedDraft:
    title: str
    body: str
    shortcut: str = ""
    language: str = "en"
    scope: str = rules.Scope.PERSONAL
    canned_id: str | None = None  # None: a new one


def save_canned(ws: Workstation, draft: CannedDraft) -> tuple[str, ChangeSet]:
    """Queue a new or changed canned response (shown at once); its id."""
    cid = draft.canned_id or str(uuid.uuid4())
    args: dict[str, Any] = {
        "canned_id": cid,
        "title": draft.title,
        "body": draft.body,
        "shortcut": draft.shortcut,
        "language": draft.language,
        "scope": draft.scope,
    }
    ws.engine.enqueue(MutationType.CANNED_SAVE, args)
    return cid, ChangeSet.of([(Entity.CANNED_RESPONSE, cid)])


def delete_canned(ws: Workstation, canned_id: str) -> ChangeSet:
    ws.engine.enqueue(MutationType.CANNED_DELETE, {"canned_id": canned_id})
    return ChangeSet.of([(Entity.CANNED_RESPONSE, canned_id)])


def count_canned_use(ws: Workstation, canned_id: str) -> None:
    ws.engine.enqueue(MutationType.CANNED_USED, {"canned_id": canned_id})


def plan_for(
    ws: Workstation,
    macro: m.Macro,
    conversation_id: str,
    language: str | None,
    values: dict[str, str | None],
    now: datetime,
) -> planning.Plan:
    """The preview and steps of ``macro`` on a conversation (reads the cache: a worker)."""
    with ws.cache.session() as s:
        users = {u.id: u.display_name for u in s.scalars(select(m.User))}
        teams = {t.id: t.name for t in s.scalars(select(m.Team))}
    target = planning.Target(conversation_id, language, ws.me.id, users, teams)
    return planning.plan(
        macro.id, list(macro.actions or []), target, ws.canned_responses(), values, now
    )


def apply(ws: Workstation, plan: planning.Plan) -> list[str]:
    """Queue the plan's steps as one batch (shown at once); their ids, for ``undo``."""
    return ws.engine.enqueue_batch(list(plan.steps))


def undo(ws: Workstation, batch: Sequence[str]) -> bool:
    """Take a macro back while all of it still waits in the outbox; False if it has gone to
    the server already (then it is undone by hand, like any action)."""
    return ws.engine.cancel(batch)
