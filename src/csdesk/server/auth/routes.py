"""``/api/v1/auth``: login and logout."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from csdesk.protocol import API_PREFIX
from csdesk.server.auth import service as auth
from csdesk.server.deps import CurrentUser, State, Token
from csdesk.server.errors import ApiError
from csdesk.server.schemas import UserOut, user_out

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


@router.post("/login", response_model=LoginOut, responses={401: {}, 429: {}})
async def login(body: LoginIn, state: State) -> LoginOut:
    def work() -> auth.Issued:
        with state.writes() as s:
            return auth.login(s, body.username, body.password, state.config)

    try:
        issued = await run_in_threadpool(work)  # argon2 takes ~50 ms: off the event loop
    except auth.Throttled as exc:
        raise ApiError(
            429,
            "throttled",
            str(exc),
            {"retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    except auth.LoginError as exc:
        raise ApiError(401, "wrong_credentials", str(exc)) from None
    return LoginOut(token=issued.token, expires_at=issued.expires_at, user=user_out(issued.user))


@router.post("/logout", status_code=204, responses={401: {}})
def logout(state: State, token: Token, _user: CurrentUser) -> None:
    with state.writes() as s:
        auth.logout(s, token)


@router.get("/me", response_model=UserOut, responses={401: {}})
def me(user: CurrentUser) -> UserOut:
    return user_out(user)
