"""``/api/v1/admin``: user management for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select

from csdesk.domain.enums import Role
from csdesk.domain.phrase import PhraseError
from csdesk.protocol import API_PREFIX
from csdesk.server.auth import service as auth
from csdesk.server.deps import State, require
from csdesk.server.errors import ApiError
from csdesk.server.schemas import UserOut, user_out
from csdesk.storage import audit
from csdesk.storage import models as m

router = APIRouter(prefix=f"{API_PREFIX}/admin", tags=["admin"])
Admin = Annotated[m.User, Depends(require(Role.ADMIN))]
Supervisor = Annotated[m.User, Depends(require(Role.ADMIN, Role.SUPERVISOR))]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=8, max_length=1024)
    role: Role
    display_name: str | None = Field(default=None, max_length=200)


class RevokedOut(BaseModel):
    revoked: int


@router.get("/users", response_model=list[UserOut], responses={401: {}, 403: {}})
def list_users(state: State, _user: Supervisor) -> list[UserOut]:
    with state.reads() as s:
        return [user_out(u) for u in s.scalars(select(m.User).order_by(m.User.username))]


@router.post(
    "/users", response_model=UserOut, status_code=201, responses={401: {}, 403: {}, 409: {}}
)
def create_user(body: UserIn, state: State, admin: Admin) -> UserOut:
    with state.writes() as s:
        try:
            user = auth.create_user(
                s, body.username, body.password, body.role, display_name=body.display_name
            )
        except PhraseError as exc:
            raise ApiError.saying(409, "conflict", exc.phrase) from None
        audit.record(s, admin.id, "user.create", "user", user.id, after={"role": user.role})
        s.commit()
        return user_out(user)


@router.post(
    "/users/{user_id}/revoke-tokens",
    response_model=RevokedOut,
    responses={401: {}, 403: {}, 404: {}},
)
def revoke_tokens(user_id: str, state: State, admin: Admin) -> RevokedOut:
    with state.writes() as s:
        if s.get(m.User, user_id) is None:
            raise ApiError(404, "not_found", "no user with id {id}", id=repr(user_id))
        audit.record(s, admin.id, "user.revoke_tokens", "user", user_id)
        return RevokedOut(revoked=auth.revoke_all(s, user_id))
