"""Deciding, when a conversation is resolved, whether to survey the customer, and sending it.

Called by the resolving mutation in its own transaction. The survey is sent when the
conversation was not resolved before, on a channel the operator surveys
(``CSDESK_SURVEY_CHANNELS``), in production, not deleted, not tagged ``auto`` or ``spam``,
with at least one message the customer wrote themselves (not an auto-reply), to a customer
who has not asked not to be written to first, and who was not surveyed in the last
``CSDESK_SURVEY_EVERY_DAYS`` (checked with the customer's row locked, so two resolutions of
one customer's conversations in two processes cannot both pass). One resolution is surveyed
at most once: the ``survey_requests`` row is unique on (conversation, resolution time), and
an insert that loses that race is rolled back to its savepoint and sends nothing.

The survey goes out as an automatic outbound message in the conversation (the thread shows
it, labelled, and the dispatcher sends it like a reply: email through SMTP, SMS and WhatsApp
through their provider; chat shows it in the widget).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.enums import DeliveryStatus, Direction, IdentityKind, Realm
from csdesk.server.attachments.links import state_of
from csdesk.server.channels.wa_window import free_text_refusal
from csdesk.server.surveys import texts, tokens, wa_template
from csdesk.server.surveys.rules import DIGIT_CHANNELS, SurveyRules
from csdesk.storage import audit
from csdesk.storage import models as m

log = logging.getLogger(__name__)

AUTO_KIND = "survey"
SKIP_TAGS = frozenset({"auto", "spam"})


def why_not(
    session: Session, conv: m.Conversation, rules: SurveyRules, now: datetime
) -> str | None:
    """Why ``conv``'s resolution is not surveyed (None: it is). Locks the customer's row."""
    if conv.realm != Realm.PRODUCTION.value:
        return "training"
    if conv.deleted_at is not None:
        return "deleted"
    if conv.merged_into_id is not None:  # closed by a merge: not a resolution to survey
        return "merged into another conversation"
    if SKIP_TAGS & set(conv.tags or []):
        return "tagged " + ", ".join(sorted(SKIP_TAGS & set(conv.tags or [])))
    if conv.channel not in rules.channels:
        return "channel not surveyed"
    msg = m.Message
    wrote = session.scalar(
        select(
            exists().where(
                msg.conversation_id == conv.id,
                msg.direction == Direction.IN.value,
                msg.is_auto.is_(False),
                msg.is_note.is_(False),
            )
        )
    )
    if not wrote:
        return "no message from the customer"
    if free_text_refusal(conv, now) is not None and (
        wa_template.choice(session, conv, rules.whatsapp_template) is None
    ):
        return "WhatsApp window closed and no survey template"
    if not _reachable(session, conv):
        return "no address to send it to"
    customer = session.get(m.Customer, conv.customer_id, with_for_update=True)
    if customer is None or customer.merged_into_id is not None:
        return "no customer"
    if customer.contact_opt_out:
        return "customer opted out"
    if rules.every.total_seconds() > 0:
        # The customer's surveys are those of their conversations now: a profile merged
        # into this one brings its recent surveys along (the survey rows are not moved).
        recent = session.scalar(
            select(
                exists().where(
                    m.SurveyRequest.conversation_id == m.Conversation.id,
                    m.Conversation.customer_id == customer.id,
                    m.SurveyRequest.sent_at > now - rules.every,
                )
            )
        )
        if recent:
            return "surveyed recently"
    return None


#: The identity a survey on each channel goes to when no route was recorded (chat: the widget).
_ADDRESS_KIND = {
    "email": IdentityKind.EMAIL.value,
    "sms": IdentityKind.PHONE.value,
    "whatsapp": IdentityKind.WHATSAPP.value,
}


def _reachable(session: Session, conv: m.Conversation) -> bool:
    """Whether the dispatcher will find an address (else the survey would only fail)."""
    kind = _ADDRESS_KIND.get(conv.channel)
    if kind is None:
        return True
    route = session.get(m.ConversationRoute, conv.id)
    if route is not None and (conv.channel != "email" or route.kind == kind):
        return True
    ident = m.CustomerIdentity
    return bool(
        session.scalar(
            select(exists().where(ident.customer_id == conv.customer_id, ident.kind == kind))
        )
    )


def on_resolved(
    session: Session, conv: m.Conversation, now: datetime, *, was_resolved: bool
) -> m.SurveyRequest | None:
    """Survey this resolution of ``conv`` if the rules say so; the survey, or None."""
    if was_resolved or conv.resolved_at is None:
        return None  # resolving a resolved conversation again is not a new resolution
    state = state_of(session)
    if state is None:  # a session outside a server (tools, some tests): nothing to send with
        return None
    rules = state.config.surveys
    if not rules.channels or why_not(session, conv, rules, now) is not None:
        return None
    customer = session.get(m.Customer, conv.customer_id)
    assert customer is not None
    language = (conv.language or customer.language or "en")[:16]
    survey = m.SurveyRequest(
        id=str(uuid.uuid4()),
        realm=conv.realm,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        channel=conv.channel,
        resolved_at=conv.resolved_at,
        sent_at=now,
        expires_at=now + rules.valid,
        language=language,
    )
    savepoint = session.begin_nested()
    try:
        session.add(survey)
        session.flush([survey])
    except IntegrityError:
        savepoint.rollback()
        return None  # this resolution was surveyed already (a concurrent writer won)
    savepoint.commit()
    url = link(state.config.public_base_url, tokens.survey_key(state.config.data_dir), survey)
    body, subject = _message(conv, customer, survey, url)
    template = None
    if free_text_refusal(conv, now) is not None:  # WhatsApp after 24 h: ``why_not`` found one
        template = wa_template.choice(session, conv, rules.whatsapp_template)
        assert template is not None
        body = template[1]
    message = m.Message(
        id=str(uuid.uuid4()),
        realm=conv.realm,
        conversation_id=conv.id,
        channel=conv.channel,
        direction=Direction.OUT.value,
        author_name=texts.SENDER,
        subject=subject,
        body_text=body,
        delivery_status=DeliveryStatus.QUEUED.value,
        created_at=now,
        is_auto=True,
        auto_kind=AUTO_KIND,
        # What the dispatcher sends as Meta's template payload (server-only column).
        template=template[0].to_json() if template is not None else None,
    )
    session.add(message)
    survey.message_id = message.id
    conv.message_count = (conv.message_count or 0) + 1
    conv.last_message_at = max(conv.last_message_at or now, now)
    audit.record(
        session,
        None,
        "survey.send",
        "conversation",
        conv.id,
        after={"survey_id": survey.id, "message_id": message.id, "channel": conv.channel},
    )
    return survey


def link(public_base_url: str, key: bytes, survey: m.SurveyRequest) -> str:
    token = tokens.sign(key, survey.id, int(survey.expires_at.timestamp()))
    return f"{public_base_url.rstrip('/')}/survey/{token}"


def _message(
    conv: m.Conversation, customer: m.Customer, survey: m.SurveyRequest, url: str
) -> tuple[str, str]:
    lang = survey.language
    if conv.channel in DIGIT_CHANNELS:
        return texts.tr(lang, texts.DIGIT_TEXT), ""
    if conv.channel == "chat":
        return texts.tr(lang, texts.CHAT_TEXT).format(url=url), ""
    subject = " ".join((conv.subject or "").split())[:120]
    about = texts.tr(lang, texts.ABOUT).format(subject=subject) if subject else ""
    name = " ".join((customer.name or "").split())[:100]
    greeting = (
        texts.tr(lang, texts.GREETING).format(name=name)
        if name and "@" not in name  # a nameless customer is named by their address
        else texts.tr(lang, texts.GREETING_PLAIN)
    )
    body = texts.tr(lang, texts.EMAIL_BODY).format(
        greeting=greeting,
        about=about,
        url=url,
        until=survey.expires_at.strftime("%Y-%m-%d"),
    )
    return body, texts.tr(lang, texts.EMAIL_SUBJECT)[:300]
