"""``/api/v1/auth``: login and logout."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from csdesk.protocol import API_PREFIX
from csdesk.server.auth import passwords
from csdesk.server.auth import service as auth
from csdesk.server.auth.passwords import Busy, HashGate
from csdesk.server.auth.throttle import Throttled, Turns
from csdesk.server.config import ServerConfig
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
    #: Where customers reach this server's public pages (knowledge-base articles, surveys):
    #: the desk builds links for customers from it, not from the address it talks to.
    public_base_url: str


class MeOut(UserOut):
    public_base_url: str


def client_address(request: Request) -> str:
    """The address login throttling counts under: the TCP peer, as uvicorn reports it (which
    is the ``X-Forwarded-For`` client only when the peer is a proxy listed in uvicorn's
    ``FORWARDED_ALLOW_IPS``, by default the loopback addresses)."""
    return request.client.host if request.client and request.client.host else "unknown"


def hash_gate(request: Request, config: ServerConfig) -> HashGate:
    """The app's gate for password hashing, made on first use (on the app's event loop)."""
    gate: HashGate | None = getattr(request.app.state, "login_hash_gate", None)
    if gate is None:
        gate = HashGate(config.login_hash_slots, config.login_hash_queue)
        request.app.state.login_hash_gate = gate
    return gate


def login_turns(request: Request) -> Turns:
    """The app's per-address turns for logins (see ``throttle.Turns``)."""
    turns: Turns | None = getattr(request.app.state, "login_turns", None)
    if turns is None:
        turns = Turns()
        request.app.state.login_turns = turns
    return turns


@router.post("/login", response_model=LoginOut, responses={401: {}, 429: {}, 503: {}})
async def login(body: LoginIn, request: Request, state: State) -> LoginOut:
    address = client_address(request)

    def prepare() -> auth.Candidate:
        with state.reads() as s:
            return auth.prepare_login(s, body.username, address)

    def finish(ok: bool) -> auth.Issued:
        with state.writes() as s:
            return auth.finish_login(s, candidate, ok, body.username, address, state.config)

    try:
        # Logins take turns (per user and address, a few per address): the lock check, argon2
        # and the failure count are one step, so parallel guesses get no more tries.
        async with login_turns(request).turn(address, body.username):
            candidate = await run_in_threadpool(prepare)
            # argon2 (~50 ms of a core) with no session open, a bounded number at a time.
            ok = await hash_gate(request, state.config).run(
                passwords.verify_password, candidate.password_hash, body.password
            )
            issued = await run_in_threadpool(finish, ok)
    except Throttled as exc:
        raise ApiError.saying(
            429,
            "throttled",
            exc.phrase,
            {"retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    except Busy:
        raise ApiError(
            503,
            "busy",
            "too many sign-ins at once; retry in a moment",
            headers={"Retry-After": "1"},
        ) from None
    except auth.LoginError:
        raise ApiError(401, "wrong_credentials", "wrong user name or password") from None
    return LoginOut(
        token=issued.token,
        expires_at=issued.expires_at,
        user=user_out(issued.user),
        public_base_url=state.config.public_base_url.rstrip("/"),
    )


@router.post("/logout", status_code=204, responses={401: {}})
def logout(request: Request, state: State, token: Token, _user: CurrentUser) -> None:
    with state.writes() as s:
        auth.logout(s, token)
    # The agent's status shows Offline at once (docs/floor.md).
    from csdesk.server.floor.presence import signed_out

    signed_out(state, getattr(request.app.state, "desks_seen", None), _user.id)


@router.get("/me", response_model=MeOut, responses={401: {}})
def me(user: CurrentUser, state: State) -> MeOut:
    return MeOut(
        **user_out(user).model_dump(), public_base_url=state.config.public_base_url.rstrip("/")
    )
