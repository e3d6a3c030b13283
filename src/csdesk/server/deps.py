"""FastAPI dependencies: sessions, the calling user, role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from csdesk.domain.access import realm_of_role
from csdesk.domain.enums import Role
from csdesk.server.auth import service as auth
from csdesk.server.errors import ApiError
from csdesk.server.state import ServerState
from csdesk.storage import models as m

# The dependencies that every request runs are ``async``: FastAPI runs a plain ``def``
# dependency on the thread pool, and a long-poll wake-up of 1,000 desks queued 1,000 hops
# there before any page was read.


async def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.csdesk
    return state


State = Annotated[ServerState, Depends(get_state)]


def write_session(state: State) -> Iterator[Session]:
    with state.writes() as s:
        yield s


def read_session(state: State) -> Iterator[Session]:
    with state.reads() as s:
        yield s


WriteSession = Annotated[Session, Depends(write_session)]
ReadSession = Annotated[Session, Depends(read_session)]


async def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "sign in first: missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


Token = Annotated[str, Depends(bearer_token)]


async def current_user(state: State, token: Token) -> m.User:
    """The token's user, from memory when it was checked lately (``auth.cache``)."""
    user, why = await state.auth.check(auth.token_hash(token))
    if user is None:
        challenge = {"WWW-Authenticate": "Bearer"}
        if why == "token_expired":
            raise ApiError(401, why, "your session has expired; sign in again", headers=challenge)
        raise ApiError(401, why, "invalid or revoked token; sign in again", headers=challenge)
    return user


CurrentUser = Annotated[m.User, Depends(current_user)]


def require(*roles: Role) -> Callable[[m.User], Awaitable[m.User]]:
    allowed = {r.value for r in roles}

    async def check(user: CurrentUser) -> m.User:
        if user.role not in allowed:
            raise ApiError(403, "forbidden", "a {role} may not do this", role=user.role)
        return user

    return check


def realm_of(user: m.User) -> str:
    """Trainees live in the training sandbox and never read production data."""
    return realm_of_role(user.role).value
