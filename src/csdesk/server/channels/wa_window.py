"""WhatsApp's 24-hour customer-service window, enforced where a free-text reply is accepted.

The composer already warns (``domain.whatsapp``), but a desk is only a client: an old desk, a
script or a reply queued offline must not make the server send free text Meta forbids (the
review saw one go out eleven months after the customer's last message). ``message.send`` and
``message.retry`` ask this module with the same rule and the same clock the composer uses: the
conversation's last inbound message. Templates and internal notes are always allowed.
"""

from __future__ import annotations

from datetime import datetime

from csdesk.domain.enums import Channel
from csdesk.domain.phrase import Phrase
from csdesk.domain.whatsapp import SendRefusal, send_refusal, window_state
from csdesk.storage import models as m

__all__ = ["free_text_refusal", "free_text_refusal_at"]


def free_text_refusal(conv: m.Conversation, now: datetime) -> Phrase | None:
    """Why a free-text reply in ``conv`` may not be sent now (None: it may, or not WhatsApp).

    Twilio's WhatsApp senders and Meta's Cloud API land in the same ``whatsapp`` channel,
    and the rule is Meta's for both."""
    return free_text_refusal_at(conv.channel, conv.last_inbound_at, now)


def free_text_refusal_at(
    channel: str, last_inbound_at: datetime | None, now: datetime
) -> Phrase | None:
    """``free_text_refusal`` from the conversation's channel and last inbound time."""
    if channel != Channel.WHATSAPP.value:
        return None
    if send_refusal(last_inbound_at, now) is not SendRefusal.WINDOW_CLOSED:
        return None
    closes_at = window_state(last_inbound_at, now).closes_at
    if closes_at is None:
        return Phrase(
            "This customer has never written on WhatsApp, so WhatsApp allows only an approved "
            "template to open the conversation."
        )
    return Phrase(
        "WhatsApp allows free text only within 24 hours of the customer's last message; "
        "that window closed at {closes_at} UTC. Send an approved template instead.",
        closes_at=f"{closes_at:%Y-%m-%d %H:%M}",
    )
