"""``/api/v1/channels/whatsapp/templates``: the approved WhatsApp templates, for the composer.

Served from the database copy (see ``wa_templates``); refreshed from the Graph API when the
copy is older than ``MAX_AGE`` or a supervisor or administrator asks (``refresh=true``; an
agent's ask is served the copy).  Meta is asked at most once per
``ServerConfig.wa_templates_refresh_seconds`` and business account, whoever asks and however
many server processes there are (``wa_templates.claim_refresh``).  When Meta cannot be
reached but a copy exists, the copy is served with ``problem`` set, so an agent outside the
24-hour window can still reach the customer.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated

import requests
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from csdesk.domain.access import can_refresh_templates
from csdesk.protocol import API_PREFIX
from csdesk.server.channels import wa_templates
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.runtime import runtime_of
from csdesk.server.channels.vault import VaultError
from csdesk.server.deps import CurrentUser, State
from csdesk.server.errors import ApiError
from csdesk.server.refusals import Phrase
from csdesk.server.state import ServerState
from csdesk.storage.types import utcnow

router = APIRouter(prefix=API_PREFIX, tags=["channels"])


class TooSoon(Exception):
    """Meta was asked for this account's list too recently; ``wait`` until the next turn."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"retry in {wait}")
        self.wait = wait


class TemplateOut(BaseModel):
    name: str
    language: str
    category: str
    body: str
    header: str
    footer: str
    examples: list[str]
    parameter_count: int


class TemplatesOut(BaseModel):
    templates: list[TemplateOut]
    fetched_at: datetime
    #: Set when the list could not be refreshed and an older copy is shown.
    problem: str | None = None
    #: ``problem``'s brace template and params: the desk shows it in its language (issue 13).
    problem_template: str | None = None
    problem_params: dict[str, str | int | float | bool] = Field(default_factory=dict)


def _refresh(state: ServerState, request: Request) -> wa_templates.Cached:
    try:
        cfg = runtime_of(request).settings(Provider.META)
    except VaultError as exc:
        raise wa_templates.TemplateFetchError(
            Phrase("the Meta connection cannot be read: {problem}", problem=str(exc))
        ) from None
    if cfg is None:
        raise ApiError(
            409,
            "whatsapp_not_configured",
            "WhatsApp through Meta's Cloud API is not configured on this server.",
        )
    interval = timedelta(seconds=state.config.wa_templates_refresh_seconds)
    with state.writes() as s:
        wait = wa_templates.claim_refresh(
            s, cfg.text(wa_templates.WABA_SETTING), utcnow(), interval
        )
        s.commit()
    if wait is not None:
        raise TooSoon(wait)
    with requests.Session() as http:
        templates = wa_templates.fetch(http, cfg)
    with state.writes() as s:
        saved = wa_templates.save_cache(s, cfg.text(wa_templates.WABA_SETTING), templates, utcnow())
        s.commit()
    if saved is None:
        raise ApiError(409, "whatsapp_not_configured", "The Meta connection was removed.")
    return saved


@router.get(
    "/channels/whatsapp/templates",
    response_model=TemplatesOut,
    responses={401: {}, 409: {}, 429: {}, 502: {}},
)
async def whatsapp_templates(
    request: Request,
    state: State,
    user: CurrentUser,
    refresh: Annotated[bool, Query(description="fetch from Meta now")] = False,
) -> TemplatesOut:
    """The approved templates an agent can send outside WhatsApp's 24-hour window."""

    def cached() -> wa_templates.Cached | None:
        with state.reads() as s:
            return wa_templates.load_cache(s)

    copy = await run_in_threadpool(cached)
    problem: Phrase | None = None
    asked = refresh and can_refresh_templates(user.role)
    if asked or not wa_templates.fresh_enough(copy):
        try:
            copy = await run_in_threadpool(_refresh, state, request)
        except wa_templates.TemplateFetchError as exc:
            if copy is None:
                raise ApiError.saying(502, "whatsapp_templates_unavailable", exc.phrase) from None
            problem = exc.phrase
        except TooSoon as exc:
            seconds = max(1, math.ceil(exc.wait.total_seconds()))
            if copy is None:
                raise ApiError(
                    429,
                    "whatsapp_templates_rate_limited",
                    "The template list was asked of Meta moments ago; try again in {seconds} s.",
                    headers={"Retry-After": str(seconds)},
                    seconds=seconds,
                ) from None
            if asked:
                problem = Phrase(
                    "The list was fetched from Meta moments ago; it can be fetched again in "
                    "{seconds} s.",
                    seconds=seconds,
                )
    assert copy is not None
    return TemplatesOut(
        templates=[TemplateOut(**t.to_json()) for t in copy.templates],
        fetched_at=copy.fetched_at,
        problem=problem.text if problem is not None else None,
        problem_template=problem.template if problem is not None else None,
        problem_params=dict(problem.params) if problem is not None else {},
    )
