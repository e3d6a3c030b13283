"""WhatsApp message templates: fetched from the Graph API, cached in the database, checked on send.

Outside WhatsApp's 24-hour window an approved template is the only message a business may
send, so desks need the list and the server must refuse a template Meta would refuse (a wrong
parameter count costs the customer nothing but costs the agent a failed send much later).

The copy lives in the Meta connection's row (a runtime setting like the IMAP worker's state),
not in process memory, so every server process validates a send against the same list without
a Graph call inside the push transaction.  A desk asking for the list refreshes it when it is
older than ``MAX_AGE`` or when the agent asks; a failed refresh keeps serving the old copy
and says so.

Which template a reply used is kept on the message (``messages.template``, a server-only
column that never goes on the wire), so the dispatcher can send Meta's template payload while
``body_text`` stores the rendered text the customer sees.  The ``message.send`` audit entry
records the choice too, as the record of who sent what.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import requests
from sqlalchemy.orm import Session

from csdesk.domain import wa_template
from csdesk.domain.wa_template import Template
from csdesk.protocol import RejectCode
from csdesk.server.channels import meta
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.outbound import OutboundRequest, decode_json_object, join_url
from csdesk.server.refusals import Phrase, Refusal
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

#: The runtime setting in the Meta connection's row that holds the cached list.
CACHE_SETTING: Final = "wa_templates"
#: The runtime setting recording when a process last asked Meta for the list (rate limit).
ASKED_SETTING: Final = "wa_templates_asked"
#: The WhatsApp Business Account id setting (``csdesk-server channel add meta --waba-id``).
WABA_SETTING: Final = "waba_id"
#: A copy older than this is refreshed when a desk asks for the list.
MAX_AGE: Final = timedelta(minutes=10)
FIELDS: Final = "name,language,status,category,components"
PAGE_LIMIT: Final = 100
MAX_PAGES: Final = 50  # 5000 templates: far beyond Meta's per-account limit
MAX_PARAMETERS: Final = 20
TIMEOUT: Final = (5.0, 20.0)


class TemplateFetchError(Exception):
    """The list could not be fetched; ``phrase`` is meant for the agent or administrator
    (in the desk's language there), ``str(exc)`` its English text."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(phrase.text)
        self.phrase = phrase


class TemplateRefused(Refusal):
    """A template send Meta would refuse; ``code`` is the push rejection code."""


@dataclass(frozen=True, slots=True)
class Page:
    templates: list[Template]
    next_url: str | None
    not_approved: int = 0
    unsupported: list[str] = field(default_factory=list)


# --- the Graph API --------------------------------------------------------------------------


def list_request(cfg: ChannelSettings, url: str | None = None) -> OutboundRequest:
    """``GET /{version}/{waba_id}/message_templates`` (or a ``paging.next`` URL)."""
    waba = cfg.text(WABA_SETTING)
    if not waba:
        raise TemplateFetchError(
            Phrase(
                "The WhatsApp Business Account id is not configured; an administrator can set "
                "it with `csdesk-server channel add meta --waba-id ...`."
            )
        )
    token = cfg.secret("access_token")
    if not token:
        raise TemplateFetchError(Phrase("The Meta access token is not configured."))
    if url is None:
        base = cfg.text("api_base_url", meta.DEFAULT_GRAPH_BASE)
        version = cfg.text("graph_version", meta.DEFAULT_GRAPH_VERSION).strip("/")
        query = urlencode({"fields": FIELDS, "limit": PAGE_LIMIT})
        url = join_url(base, f"/{version}/{waba}/message_templates") + "?" + query
    return OutboundRequest("GET", url, (("Authorization", f"Bearer {token}"),), b"")


def _examples(component: Mapping[str, Any]) -> tuple[str, ...]:
    example = component.get("example")
    rows = example.get("body_text") if isinstance(example, dict) else None
    if isinstance(rows, list) and rows and isinstance(rows[0], list):
        return tuple(str(v) for v in rows[0])
    return ()


def parse_template(raw: Mapping[str, Any]) -> Template | str:
    """The template, or why csdesk cannot send it (it needs more than body parameters)."""
    name, language = raw.get("name"), raw.get("language")
    if not isinstance(name, str) or not isinstance(language, str) or not name or not language:
        return "template without a name or language"
    if str(raw.get("parameter_format", "POSITIONAL")).upper() != "POSITIONAL":
        return f"{name}: named parameters are not supported"
    components = raw.get("components")
    body = header = footer = ""
    examples: tuple[str, ...] = ()
    for comp in components if isinstance(components, list) else []:
        if not isinstance(comp, dict):
            continue
        kind = str(comp.get("type", "")).upper()
        text = comp.get("text")
        text = text if isinstance(text, str) else ""
        if kind == "BODY":
            body, examples = text, _examples(comp)
        elif kind == "HEADER":
            if str(comp.get("format", "TEXT")).upper() != "TEXT" or wa_template.has_placeholder(
                text
            ):
                return f"{name}: its header needs a parameter or media"
            header = text
        elif kind == "FOOTER":
            footer = text
        elif kind == "BUTTONS":
            for button in comp.get("buttons") or []:
                if isinstance(button, dict) and wa_template.has_placeholder(
                    str(button.get("url", ""))
                ):
                    return f"{name}: a button needs a parameter"
    if not body:
        return f"{name}: no body text"
    if not wa_template.only_positional(body):
        return f"{name}: named parameters are not supported"
    template = Template(
        name, language, str(raw.get("category", "")), body, header, footer, examples
    )
    if template.parameter_count > MAX_PARAMETERS:
        return f"{name}: more than {MAX_PARAMETERS} parameters"
    return template


def parse_page(status_code: int, body: bytes | str) -> Page:
    """One page of ``message_templates``: the APPROVED templates and the next page's URL."""
    data = decode_json_object(body)
    error = data.get("error") if data is not None else None
    if data is None or status_code >= 400 or isinstance(error, dict):
        detail = error.get("message") if isinstance(error, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if status_code in (401, 403) or code in (190, 200, 10):
            raise TemplateFetchError(
                Phrase(
                    "Meta refused the access token or permission ({detail}); an administrator "
                    "must check the Meta connection.",
                    detail=detail or f"HTTP {status_code}",
                )
            )
        raise TemplateFetchError(
            Phrase(
                "Meta could not list the templates: {detail}",
                detail=detail or f"HTTP {status_code}",
            )
        )
    rows = data.get("data")
    if not isinstance(rows, list):
        raise TemplateFetchError(Phrase("Meta's template list has no data array"))
    templates: list[Template] = []
    not_approved = 0
    unsupported: list[str] = []
    for raw in rows:
        if not isinstance(raw, dict):
            continue
        if str(raw.get("status", "")).upper() != "APPROVED":
            not_approved += 1
            continue
        parsed = parse_template(raw)
        if isinstance(parsed, str):
            unsupported.append(parsed)
        else:
            templates.append(parsed)
    paging = data.get("paging")
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return Page(templates, nxt if isinstance(nxt, str) and nxt else None, not_approved, unsupported)


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)


def fetch(http: requests.Session, cfg: ChannelSettings) -> list[Template]:
    """Every approved, sendable template, following ``paging.next`` to the end.

    A ``next`` URL on another host is not followed (the request carries the access token),
    and a list that cannot be read to its end is an error, never cached as if complete: a
    template missing from it would be refused to agents for the cache's lifetime.
    """
    first = list_request(cfg)
    request: OutboundRequest | None = first
    found: dict[tuple[str, str], Template] = {}
    for _page in range(MAX_PAGES):
        if request is None:
            break
        try:
            resp = http.request(
                request.method, request.url, headers=dict(request.headers), timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise TemplateFetchError(
                Phrase("could not reach Meta ({error})", error=type(exc).__name__)
            ) from None
        page = parse_page(resp.status_code, resp.content)
        for template in page.templates:
            found.setdefault((template.name, template.language), template)
        if page.unsupported:
            log.info("WhatsApp templates csdesk cannot send: %s", "; ".join(page.unsupported))
        request = None
        if page.next_url is not None:
            if not _same_origin(page.next_url, first.url):
                log.warning("not following a template page on another host")
                raise TemplateFetchError(
                    Phrase(
                        "Meta's next page of templates is on another host; the list is incomplete"
                    )
                )
            request = list_request(cfg, page.next_url)
    if request is not None:
        raise TemplateFetchError(
            Phrase("more than {n} pages of templates; the list is incomplete", n=MAX_PAGES)
        )
    return sorted(found.values(), key=lambda t: (t.name, t.language))


# --- the cached copy ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cached:
    waba_id: str
    fetched_at: datetime
    templates: tuple[Template, ...]

    def find(self, name: str, language: str) -> Template | None:
        for template in self.templates:
            if template.name == name and template.language == language:
                return template
        return None


def load_cache(session: Session) -> Cached | None:
    """The stored list for the Meta connection's current WABA (None: never fetched)."""
    row = session.get(m.ChannelConfig, Provider.META.value)
    if row is None:
        return None
    settings = row.settings or {}
    data = settings.get(CACHE_SETTING)
    if not isinstance(data, dict) or data.get("waba_id") != settings.get(WABA_SETTING):
        return None  # another account's list, from before the connection changed
    try:
        return Cached(
            str(data["waba_id"]),
            datetime.fromisoformat(str(data["fetched_at"])),
            tuple(Template.from_json(t) for t in data.get("templates", [])),
        )
    except (KeyError, TypeError, ValueError):
        return None


def save_cache(
    session: Session, waba_id: str, templates: Sequence[Template], now: datetime
) -> Cached | None:
    """Store a fresh list in the Meta connection's row (None: the connection is gone)."""
    row = session.get(m.ChannelConfig, Provider.META.value, with_for_update=True)
    if row is None:
        return None
    settings = dict(row.settings or {})
    settings[CACHE_SETTING] = {
        "waba_id": waba_id,
        "fetched_at": now.isoformat(),
        "templates": [t.to_json() for t in templates],
    }
    row.settings = settings  # a new dict, so the JSON column is written
    return Cached(waba_id, now, tuple(templates))


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateSend:
    """What the agent chose: recorded at ``message.send``, read back by the dispatcher."""

    name: str
    language: str
    parameters: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "language": self.language, "parameters": list(self.parameters)}


def check(session: Session, choice: TemplateSend) -> str:
    """The rendered text of ``choice``, or TemplateRefused with the reason for the agent."""
    cached = load_cache(session)
    if cached is None:
        raise TemplateRefused(
            RejectCode.CONFLICT,
            "The server has no list of approved WhatsApp templates yet; open the template "
            "list again so it is fetched.",
        )
    template = cached.find(choice.name, choice.language)
    if template is None:
        raise TemplateRefused(
            RejectCode.NOT_FOUND,
            "The WhatsApp template {name} ({language}) is not approved for this account or no "
            "longer exists.",
            name=repr(choice.name),
            language=choice.language,
        )
    wanted = template.parameter_count
    if len(choice.parameters) != wanted:
        raise TemplateRefused(
            RejectCode.INVALID,
            "The template {name} takes {wanted} parameters; {given} were given.",
            name=repr(choice.name),
            wanted=wanted,
            given=len(choice.parameters),
        )
    if any(not p.strip() for p in choice.parameters):
        raise TemplateRefused(RejectCode.INVALID, "Every template parameter must be filled in.")
    if any(wa_template.parameter_refused(p) for p in choice.parameters):
        # Meta refuses these with error 132018 when the message is sent, much later.
        raise TemplateRefused(
            RejectCode.INVALID,
            "A template parameter may not contain line breaks, tabs or more than four spaces "
            "in a row.",
        )
    return template.render(choice.parameters)


def sent_template(message: m.Message) -> TemplateSend | None:
    """The template ``message`` is sent as (None: free text), as ``message.send`` stored it."""
    raw = message.template
    if not isinstance(raw, dict):
        return None
    return TemplateSend(
        str(raw.get("name", "")),
        str(raw.get("language", "")),
        tuple(str(p) for p in raw.get("parameters", [])),
    )


def build_send(
    cfg: ChannelSettings, phone_number_id: str, to: str, choice: TemplateSend
) -> OutboundRequest:
    """Meta's template message, body parameters in order."""
    components = [meta.template_body_component(*choice.parameters)] if choice.parameters else []
    return meta.build_whatsapp_template(
        access_token=cfg.secret("access_token"),
        phone_number_id=phone_number_id,
        to=to,
        template=choice.name,
        language=choice.language,
        components=components,
        base_url=cfg.text("api_base_url", meta.DEFAULT_GRAPH_BASE),
        api_version=cfg.text("graph_version", meta.DEFAULT_GRAPH_VERSION),
    )


def claim_refresh(
    session: Session, waba_id: str, now: datetime, interval: timedelta
) -> timedelta | None:
    """Take this WABA's turn to ask Meta for the list now: None if granted (recorded, commit
    it before calling Meta), else how long until the next turn.

    The turn is kept in the Meta connection's row, locked while it is taken, so every request
    of every server process on the database shares one budget: a desk that holds Refresh, or
    many desks opening the list at once, cost Meta one call per ``interval``, not one each.
    """
    row = session.get(m.ChannelConfig, Provider.META.value, with_for_update=True)
    if row is None:
        return None  # the caller finds the connection gone and says so
    settings = dict(row.settings or {})
    asked = settings.get(ASKED_SETTING)
    if isinstance(asked, dict) and asked.get("waba_id") == waba_id:
        try:
            last = datetime.fromisoformat(str(asked.get("at")))
        except ValueError:
            last = None
        # A turn taken a moment "after" ``now`` is another request's, which held the lock
        # while this one waited; only a time far ahead (a clock moved back) is ignored.
        if last is not None and last.tzinfo is not None and abs(now - last) < interval:
            return last + interval - now
    settings[ASKED_SETTING] = {"waba_id": waba_id, "at": now.isoformat()}
    row.settings = settings  # a new dict, so the JSON column is written
    return None


def fresh_enough(cached: Cached | None, now: datetime | None = None) -> bool:
    return cached is not None and (now or utcnow()) - cached.fetched_at < MAX_AGE
