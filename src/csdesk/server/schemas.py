"""Response models shared by several route modules."""

from __future__ import annotations

from pydantic import BaseModel

from csdesk.storage import models as m


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    team_id: str | None
    active: bool


def user_out(user: m.User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        team_id=user.team_id,
        active=user.active,
    )
