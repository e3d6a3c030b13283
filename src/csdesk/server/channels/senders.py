"""Turning an agent's reply into the provider call that delivers it, and making that call.

The request is built by the pure builders (``twilio``, ``meta``, ``telegram``) from the
conversation's route (the customer's handle and the business address they wrote to), so a
reply leaves from the number, WhatsApp line or page the customer used.  Anything that can never
succeed (no provider configured, no address, text too long) is a ``PlanError``: the message
fails at once with a reason the agent can act on, instead of burning retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel
from csdesk.server.channels import email_outbound, meta, telegram, twilio
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

    @property
    def label(self) -> str:
        return _LABELS[self.provider]


@dataclass(frozen=True, slots=True)
class Address:
    provider: Provider | None
    customer: str
    business: str | None


def _address(session: Session, conv: m.Conversation, channel: Channel) -> Address:
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
    if channel == Channel.EMAIL:
        return _email(session, msg, conv, _provider(channel, None, lookup))
    addr = _address(session, conv, channel)
    cfg = _provider(channel, addr.provider, lookup)
    if addr.provider is not None and addr.provider != cfg.provider:
        addr = Address(cfg.provider, addr.customer, None)  # the business side was the other's
    try:
        if cfg.provider == Provider.TWILIO:
            return _twilio(cfg, channel, addr, msg.body_text, public_url)
        if cfg.provider == Provider.META:
            return _meta(cfg, channel, addr, msg.body_text, conv)
        return _telegram(cfg, addr, msg.body_text)
    except ValueError as exc:
        raise PlanError(str(exc)) from None


def _twilio(
    cfg: ChannelSettings,
    channel: Channel,
    addr: Address,
    text: str,
    public_url: Callable[[str], str],
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
    request = twilio.build_send_sms(
        account_sid=cfg.text("account_sid"),
        auth_token=cfg.secret("auth_token"),
        to=to,
        body=text,
        from_number=sender,
        messaging_service_sid=service,
        status_callback=callback,
        base_url=base,
    )
    return Plan(Provider.TWILIO, request, twilio.parse_send_response)


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


def _email(session: Session, msg: m.Message, conv: m.Conversation, cfg: ChannelSettings) -> Plan:
    try:
        job = email_outbound.prepare(session, msg, conv, cfg)
    except ValueError as exc:
        raise PlanError(str(exc)) from None

    def unused(_status: int, _body: bytes) -> SendResult:
        raise AssertionError("an SMTP send has no HTTP response")

    return Plan(Provider.EMAIL, job.request, unused, deliver=job.send)


def send(http: requests.Session, plan: Plan) -> SendResult:
    """Make the call; a network failure is a retryable result, never an exception."""
    if plan.deliver is not None:
        return plan.deliver()
    req = plan.request
    try:
        resp = http.request(
            req.method, req.url, headers=dict(req.headers), data=req.body, timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        return SendResult(
            ok=False,
            error_code="network",
            error_message=f"could not reach {plan.label} ({type(exc).__name__})",
            retryable=True,
        )
    result = plan.parse(resp.status_code, resp.content)
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
