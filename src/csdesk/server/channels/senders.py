"""Turning an agent's reply into the provider call that delivers it, and making that call.

The request is built by the pure builders (``twilio``, ``meta``, ``telegram``) from the
conversation's route (the customer's handle and the business address they wrote to), so a
reply leaves from the number, WhatsApp line or page the customer used.  Anything that can never
succeed (no provider configured, no address, text too long) is a ``PlanError``: the message
fails at once with a reason the agent can act on, instead of burning retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel
from csdesk.server.attachments import outgoing
from csdesk.server.channels import email_outbound, meta, telegram, twilio, wa_templates
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.ingest import route_kind
from csdesk.server.channels.outbound import OutboundRequest, SendResult
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

#: Which provider serves a channel when the conversation has no recorded route, in order.
_DEFAULT_PROVIDERS: dict[Channel, tuple[Provider, ...]] = {
    Channel.SMS: (Provider.TWILIO,),
    Channel.WHATSAPP: (Provider.META, Provider.TWILIO),
    Channel.MESSENGER: (Provider.META,),
    Channel.INSTAGRAM: (Provider.META,),
    Channel.TELEGRAM: (Provider.TELEGRAM,),
    Channel.EMAIL: (Provider.EMAIL,),
}
DISPATCHED = frozenset(_DEFAULT_PROVIDERS)
#: Public name for other packages (``server.outreach.start`` records a started route).
DEFAULT_PROVIDERS = _DEFAULT_PROVIDERS
_LABELS = {
    Provider.TWILIO: "Twilio",
    Provider.META: "Meta",
    Provider.TELEGRAM: "Telegram",
    Provider.EMAIL: "The SMTP server",
}
#: Meta's standard messaging window; after it Messenger replies need the HUMAN_AGENT tag.
_WINDOW = timedelta(hours=24)
TIMEOUT = (5.0, 20.0)  # connect, read


class PlanError(Exception):
    """The reply cannot be sent as things stand; the message is the agent-facing reason."""


class NoProvider(PlanError):
    """No connection for the channel is configured on this server at all."""


@dataclass(frozen=True, slots=True)
class Plan:
    provider: Provider
    request: OutboundRequest
    parse: Callable[[int, bytes], SendResult]
    #: Set for non-HTTP providers (email over SMTP): makes the call itself; ``request`` then
    #: only describes it for logs and ``parse`` is unused.
    deliver: Callable[[], SendResult] | None = None
    #: Set for a reply that takes several HTTP calls (files: an upload, then the messages);
    #: makes them in order with the dispatcher's session. ``request`` then only describes
    #: the first call for logs.
    run: Callable[[requests.Session], SendResult] | None = None

    @property
    def label(self) -> str:
        return _LABELS[self.provider]


@dataclass(frozen=True, slots=True)
class Address:
    provider: Provider | None
    customer: str
    business: str | None


#: ``session.info`` key: reply addresses looked up ahead by ``prefetch_addresses``.
_ADDRESSES = "csdesk_reply_addresses"


def prefetch_addresses(session: Session, pairs: Iterable[tuple[m.Conversation, str]]) -> None:
    """Look up where replies on each (conversation, channel) go, two queries in all rather
    than up to two per reply; ``plan`` in this session then answers from them (the
    dispatcher plans a round's replies together)."""
    wanted = {(c.id, ch): c for c, ch in pairs if Channel(ch) != Channel.EMAIL}
    if not wanted:
        return
    known: dict[tuple[str, str], Address | None] = session.info.setdefault(_ADDRESSES, {})
    routes = {
        r.conversation_id: r
        for r in session.scalars(
            select(m.ConversationRoute).where(
                m.ConversationRoute.conversation_id.in_({cid for cid, _ in wanted})
            )
        )
    }
    # (customer, identity kind) -> the newest value, for conversations without a route.
    need: dict[tuple[str, str], None] = {}
    for (cid, ch), conv in wanted.items():
        kind = route_kind(Channel(ch))
        if cid not in routes and kind is not None:
            need[(conv.customer_id, kind.value)] = None
    newest: dict[tuple[str, str], str] = {}
    if need:
        ident = m.CustomerIdentity
        for customer_id, ident_kind, ident_value in session.execute(
            select(ident.customer_id, ident.kind, ident.value)
            .where(
                ident.customer_id.in_({c for c, _ in need}),
                ident.kind.in_({k for _, k in need}),
            )
            .order_by(ident.created_at.desc())
        ):
            newest.setdefault((customer_id, ident_kind), ident_value)
    for (cid, ch), conv in wanted.items():
        route = routes.get(cid)
        if route is not None:
            known[(cid, ch)] = Address(Provider(route.provider), route.address, route.business)
            continue
        kind = route_kind(Channel(ch))
        found = None if kind is None else newest.get((conv.customer_id, kind.value))
        known[(cid, ch)] = None if found is None else Address(None, found, None)


def _address(session: Session, conv: m.Conversation, channel: Channel) -> Address:
    known: dict[tuple[str, str], Address | None] | None = session.info.get(_ADDRESSES)
    if known is not None and (conv.id, channel.value) in known:
        found = known[(conv.id, channel.value)]
        if found is None:
            raise PlanError(f"The customer has no {channel.value} address to reply to.")
        return found
    route = session.get(m.ConversationRoute, conv.id)
    if route is not None:
        return Address(Provider(route.provider), route.address, route.business)
    kind = route_kind(channel)
    value = None
    if kind is not None:
        value = session.scalars(
            select(m.CustomerIdentity.value)
            .where(
                m.CustomerIdentity.customer_id == conv.customer_id,
                m.CustomerIdentity.kind == kind.value,
            )
            .order_by(m.CustomerIdentity.created_at.desc())
        ).first()
    if value is None:
        raise PlanError(f"The customer has no {channel.value} address to reply to.")
    return Address(None, value, None)


def _provider(
    channel: Channel, wanted: Provider | None, lookup: Callable[[Provider], ChannelSettings | None]
) -> ChannelSettings:
    if wanted is not None:
        # The connection the customer's message came through can carry the reply.
        came_through = lookup(wanted)
        if came_through is not None:
            return came_through
    for provider in _DEFAULT_PROVIDERS[channel]:
        settings = lookup(provider)
        if settings is not None and settings.sends(channel):
            return settings
    raise NoProvider(
        f"No provider for {channel.value} is configured on the server; "
        "an administrator can add one with `csdesk-server channel add`."
    )


def plan(
    session: Session,
    msg: m.Message,
    conv: m.Conversation,
    lookup: Callable[[Provider], ChannelSettings | None],
    public_url: Callable[[str], str],
) -> Plan:
    """The provider request for ``msg``, or PlanError with the reason it cannot go."""
    channel = Channel(msg.channel)
    try:
        files = outgoing.files_of(session, msg.attachments)
    except outgoing.MissingFile as exc:
        raise PlanError(f"The reply cannot be sent: {exc}.") from None
    if channel == Channel.EMAIL:
        return _email(session, msg, conv, _provider(channel, None, lookup), files)
    addr = _address(session, conv, channel)
    cfg = _provider(channel, addr.provider, lookup)
    if addr.provider is not None and addr.provider != cfg.provider:
        addr = Address(cfg.provider, addr.customer, None)  # the business side was the other's
    template = wa_templates.sent_template(msg) if channel == Channel.WHATSAPP else None
    if template is not None:
        return _whatsapp_template(cfg, addr, template)
    try:
        if cfg.provider == Provider.TWILIO:
            return _twilio(cfg, channel, addr, msg.body_text, public_url, files)
        if files and cfg.provider == Provider.META:
            return _meta_files(cfg, channel, addr, msg.body_text, conv, files)
        if cfg.provider == Provider.META:
            return _meta(cfg, channel, addr, msg.body_text, conv)
        if files:
            return _telegram_files(cfg, addr, msg.body_text, files)
        return _telegram(cfg, addr, msg.body_text)
    except ValueError as exc:
        raise PlanError(str(exc)) from None


def _twilio(
    cfg: ChannelSettings,
    channel: Channel,
    addr: Address,
    text: str,
    public_url: Callable[[str], str],
    files: Sequence[outgoing.OutgoingFile] = (),
) -> Plan:
    base = cfg.text("api_base_url", twilio.DEFAULT_API_BASE)
    callback = None if cfg.text("status_callback") == "off" else public_url("/webhooks/twilio/sms")
    service = cfg.text("messaging_service_sid") or None
    sender: str | None
    if channel == Channel.WHATSAPP:
        ours = (addr.business or "").removeprefix("whatsapp:") or cfg.text("whatsapp_from")
        to, sender, service = f"whatsapp:{addr.customer}", f"whatsapp:{ours}", None
    else:
        business = addr.business if addr.business and addr.business.startswith("+") else None
        to, sender = addr.customer, business or cfg.text("from_number") or None
        if business:
            service = None  # answer from the very number the customer texted
    # Twilio fetches each MediaUrl itself (a signed link to our copy): up to ten on an MMS,
    # one per WhatsApp message, so further files there follow as messages of their own.
    urls = [f.public_url() for f in files]
    per_message = 1 if channel == Channel.WHATSAPP else len(urls) or 1
    batches = [urls[i : i + per_message] for i in range(0, len(urls), per_message)] or [[]]
    requests_ = [
        twilio.build_send_sms(
            account_sid=cfg.text("account_sid"),
            auth_token=cfg.secret("auth_token"),
            to=to,
            body=text if n == 0 else "",
            from_number=sender,
            messaging_service_sid=service,
            status_callback=callback,
            media_urls=batch,
            base_url=base,
        )
        for n, batch in enumerate(batches)
    ]
    if len(requests_) == 1:
        return Plan(Provider.TWILIO, requests_[0], twilio.parse_send_response)
    steps = [_fixed(r, twilio.parse_send_response) for r in requests_]
    return Plan(
        Provider.TWILIO,
        requests_[0],
        twilio.parse_send_response,
        run=_in_order(Provider.TWILIO, steps, main=0),
    )


def _meta(
    cfg: ChannelSettings, channel: Channel, addr: Address, text: str, conv: m.Conversation
) -> Plan:
    base = cfg.text("api_base_url", meta.DEFAULT_GRAPH_BASE)
    version = cfg.text("graph_version", meta.DEFAULT_GRAPH_VERSION)
    if channel == Channel.WHATSAPP:
        request = meta.build_whatsapp_text(
            access_token=cfg.secret("access_token"),
            phone_number_id=addr.business or cfg.text("phone_number_id"),
            to=addr.customer,
            text=text,
            base_url=base,
            api_version=version,
        )
    else:
        last_in = conv.last_inbound_at
        request = meta.build_messenger_text(
            page_access_token=cfg.secret("page_access_token") or cfg.secret("access_token"),
            recipient_id=addr.customer,
            text=text,
            human_agent=last_in is not None and utcnow() - last_in > _WINDOW,
            base_url=base,
            api_version=version,
        )
    return Plan(Provider.META, request, meta.parse_send_response)


def _whatsapp_template(
    cfg: ChannelSettings, addr: Address, template: wa_templates.TemplateSend
) -> Plan:
    """An approved template (sent outside the 24-hour window): Meta's Cloud API only."""
    if cfg.provider != Provider.META:
        raise PlanError(
            "WhatsApp templates are sent through Meta's Cloud API, which is not the "
            "connection this conversation uses."
        )
    try:
        request = wa_templates.build_send(
            cfg, addr.business or cfg.text("phone_number_id"), addr.customer, template
        )
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    return Plan(Provider.META, request, meta.parse_send_response)


def _telegram(cfg: ChannelSettings, addr: Address, text: str) -> Plan:
    chat_id = addr.customer
    request = telegram.build_send_message(
        token=cfg.secret("bot_token"),
        chat_id=int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
        text=text,
        base_url=cfg.text("api_base_url", telegram.DEFAULT_API_BASE),
    )
    return Plan(
        Provider.TELEGRAM,
        request,
        lambda status, body: telegram.parse_send_response(status, body, chat_id),
    )


def _email(
    session: Session,
    msg: m.Message,
    conv: m.Conversation,
    cfg: ChannelSettings,
    files: Sequence[outgoing.OutgoingFile] = (),
) -> Plan:
    try:
        job = email_outbound.prepare(session, msg, conv, cfg, files)
    except ValueError as exc:
        raise PlanError(str(exc)) from None

    def unused(_status: int, _body: bytes) -> SendResult:
        raise AssertionError("an SMTP send has no HTTP response")

    return Plan(Provider.EMAIL, job.request, unused, deliver=job.send)


def send(http: requests.Session, plan: Plan) -> SendResult:
    """Make the call; a network failure is a retryable result, never an exception."""
    if plan.deliver is not None:
        return plan.deliver()
    if plan.run is not None:
        return plan.run(http)
    return _call(http, plan.label, plan.request, plan.parse)


def _call(
    http: requests.Session,
    label: str,
    req: OutboundRequest,
    parse: Callable[[int, bytes], SendResult],
) -> SendResult:
    try:
        resp = http.request(
            req.method, req.url, headers=dict(req.headers), data=req.body, timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        return SendResult(
            ok=False,
            error_code="network",
            error_message=f"could not reach {label} ({type(exc).__name__})",
            retryable=True,
        )
    result = parse(resp.status_code, resp.content)
    header = resp.headers.get("Retry-After", "")
    if not result.ok and result.retry_after is None and header.strip().isdigit():
        result = SendResult(
            ok=False,
            error_code=result.error_code,
            error_message=result.error_message,
            retryable=result.retryable,
            retry_after=float(header.strip()),
        )
    return result


# --- replies with files -------------------------------------------------------------------------
#
# A reply with files can take several calls (WhatsApp: upload each file, then the messages).
# They run in order and stop at the first failure, whose result is the reply's: a retry starts
# again from the first call.  Uploads come first, so a failure there sends nothing twice; a
# failure between two messages can repeat the earlier ones (delivery is at least once, as for
# every reply).  The reply's provider id is the first message's, which delivery receipts match.

Parse = Callable[[int, bytes], SendResult]
#: One call: built from the results so far (a message needs the id its upload answered).
Step = Callable[[list[SendResult]], tuple[OutboundRequest, Parse]]


def _fixed(request: OutboundRequest, parse: Parse) -> Step:
    return lambda _done: (request, parse)


def _in_order(
    provider: Provider, steps: list[Step], main: int
) -> Callable[[requests.Session], SendResult]:
    label = _LABELS[provider]

    def run(http: requests.Session) -> SendResult:
        done: list[SendResult] = []
        for step in steps:
            try:
                request, parse = step(done)
            except (ValueError, OSError) as exc:
                return SendResult(ok=False, error_code="invalid", error_message=str(exc)[:300])
            result = _call(http, label, request, parse)
            if not result.ok:
                return result
            done.append(result)
        return done[main]

    return run


def _caption(text: str, files: Sequence[outgoing.OutgoingFile], limit: int) -> str | None:
    """The text as the only file's caption, when it fits: one message instead of two."""
    return text if len(files) == 1 and text.strip() and len(text) <= limit else None


def _telegram_files(
    cfg: ChannelSettings, addr: Address, text: str, files: Sequence[outgoing.OutgoingFile]
) -> Plan:
    chat = addr.customer
    chat_id: int | str = int(chat) if chat.lstrip("-").isdigit() else chat
    token = cfg.secret("bot_token")
    base = cfg.text("api_base_url", telegram.DEFAULT_API_BASE)
    caption = _caption(text, files, telegram.MAX_CAPTION)

    def parse(status: int, body: bytes) -> SendResult:
        return telegram.parse_send_response(status, body, addr.customer)

    steps: list[Step] = []
    if caption is None and text.strip():
        steps.append(
            _fixed(
                telegram.build_send_message(token=token, chat_id=chat_id, text=text, base_url=base),
                parse,
            )
        )

    def upload(f: outgoing.OutgoingFile) -> Step:
        return lambda _done: (
            telegram.build_upload_file(
                token=token,
                chat_id=chat_id,
                filename=f.filename,
                content_type=f.content_type,
                data=f.read(),  # read at send time, outside the database session
                caption=caption,
                base_url=base,
            ),
            parse,
        )

    steps += [upload(f) for f in files]
    return Plan(
        Provider.TELEGRAM, _describe(base), parse, run=_in_order(Provider.TELEGRAM, steps, main=0)
    )


def _describe(url: str) -> OutboundRequest:
    """A stand-in for logs when the first call is built only at send time."""
    return OutboundRequest("POST", url, (), b"")


def _meta_files(
    cfg: ChannelSettings,
    channel: Channel,
    addr: Address,
    text: str,
    conv: m.Conversation,
    files: Sequence[outgoing.OutgoingFile],
) -> Plan:
    base = cfg.text("api_base_url", meta.DEFAULT_GRAPH_BASE)
    version = cfg.text("graph_version", meta.DEFAULT_GRAPH_VERSION)
    steps: list[Step] = []
    if channel == Channel.WHATSAPP:
        token = cfg.secret("access_token")
        number = addr.business or cfg.text("phone_number_id")
        caption = _caption(text, files, meta.WHATSAPP_MAX_CAPTION)
        if caption is not None and meta.whatsapp_media_kind(files[0].content_type) == "audio":
            caption = None  # audio messages carry no caption

        def upload(f: outgoing.OutgoingFile) -> Step:
            return lambda _done: (
                meta.build_whatsapp_media_upload(
                    access_token=token,
                    phone_number_id=number,
                    filename=f.filename,
                    content_type=f.content_type,
                    data=f.read(),
                    base_url=base,
                    api_version=version,
                ),
                meta.parse_media_upload_response,
            )

        def media(n: int, f: outgoing.OutgoingFile) -> Step:
            def build(done: list[SendResult]) -> tuple[OutboundRequest, Parse]:
                media_id = done[n].provider_message_id or ""
                request = meta.build_whatsapp_media(
                    access_token=token,
                    phone_number_id=number,
                    to=addr.customer,
                    media_id=media_id,
                    kind=meta.whatsapp_media_kind(f.content_type),
                    caption=caption,
                    filename=f.filename,
                    base_url=base,
                    api_version=version,
                )
                return request, meta.parse_send_response

            return build

        steps += [upload(f) for f in files]
        main = len(steps)
        if caption is None and text.strip():
            text_request = meta.build_whatsapp_text(
                access_token=token,
                phone_number_id=number,
                to=addr.customer,
                text=text,
                base_url=base,
                api_version=version,
            )
            steps.append(_fixed(text_request, meta.parse_send_response))
        steps += [media(n, f) for n, f in enumerate(files)]
        first = _describe(base)
        return Plan(
            Provider.META,
            first,
            meta.parse_send_response,
            run=_in_order(Provider.META, steps, main),
        )
    # Messenger and Instagram fetch each file from a signed link; one attachment a message.
    token = cfg.secret("page_access_token") or cfg.secret("access_token")
    last_in = conv.last_inbound_at
    human_agent = last_in is not None and utcnow() - last_in > _WINDOW
    if text.strip():
        text_request = meta.build_messenger_text(
            page_access_token=token,
            recipient_id=addr.customer,
            text=text,
            human_agent=human_agent,
            base_url=base,
            api_version=version,
        )
        steps.append(_fixed(text_request, meta.parse_send_response))
    for f in files:
        request = meta.build_messenger_attachment(
            page_access_token=token,
            recipient_id=addr.customer,
            url=f.public_url(),
            content_type=f.content_type,
            human_agent=human_agent,
            base_url=base,
            api_version=version,
        )
        steps.append(_fixed(request, meta.parse_send_response))
    first, _ = steps[0]([])
    return Plan(
        Provider.META, first, meta.parse_send_response, run=_in_order(Provider.META, steps, 0)
    )
