"""A WhatsApp survey outside the 24-hour window: an approved template, or no survey.

Free text is allowed only within 24 hours of the customer's last message
(``channels.wa_window``). After that WhatsApp takes only an approved template, so the survey
goes as one when the operator named it (``CSDESK_SURVEY_WHATSAPP_TEMPLATE``, ``name:language``,
a template without parameters whose text asks for the digit), the server's copy of the
approved list has it, and the conversation goes through Meta's Cloud API (templates are sent
only there). Otherwise the resolution is not surveyed: a survey must never be a message that
can only fail.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from csdesk.server.channels import wa_templates
from csdesk.server.channels.config_store import Provider
from csdesk.storage import models as m

log = logging.getLogger(__name__)


def choice(
    session: Session, conv: m.Conversation, setting: str
) -> tuple[wa_templates.TemplateSend, str] | None:
    """The template to survey ``conv`` with and its rendered text, or None (no survey)."""
    name, _, language = setting.partition(":")
    if not name or not language:
        return None
    route = session.get(m.ConversationRoute, conv.id)
    if route is not None and route.provider != Provider.META.value:
        return None  # a Twilio WhatsApp sender: templates go through Meta's Cloud API only
    send = wa_templates.TemplateSend(name, language, ())
    try:
        return send, wa_templates.check(session, send)
    except wa_templates.TemplateRefused as exc:
        log.info("survey template %s (%s) not usable: %s", name, language, exc)
        return None
