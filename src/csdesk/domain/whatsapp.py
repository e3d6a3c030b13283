"""WhatsApp's 24-hour customer-service window.

Meta lets a business send free-form messages only within 24 hours of the customer's last
message to it. Outside that window the only thing that may be sent is a message template that
Meta has approved; anything else is rejected by the Cloud API after the agent pressed Send. The
composer checks first, so the agent learns *before* typing a reply that it cannot be sent, and
is offered the templates instead.

The window is measured from the last *inbound* message: our own replies do not reopen it. It is
open while ``now`` is before the closing instant; at exactly 24 hours it has closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from csdesk.domain.sla import require_aware

__all__ = [
    "SERVICE_WINDOW",
    "SendRefusal",
    "ServiceWindow",
    "TemplateStatus",
    "send_refusal",
    "window_state",
]

SERVICE_WINDOW = timedelta(hours=24)


class ServiceWindow(NamedTuple):
    """``open`` and, when a customer has ever written, the instant the window closes (or
    closed). A tuple so callers can write ``open_, closes_at = window_state(...)``."""

    open: bool
    closes_at: datetime | None


class TemplateStatus(StrEnum):
    """A template's review state at Meta; only ``approved`` ones can be sent."""

    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"
    PAUSED = "paused"
    DISABLED = "disabled"


class SendRefusal(StrEnum):
    """Why a WhatsApp message may not be sent now."""

    WINDOW_CLOSED = "window_closed"  # free-form text outside the 24-hour window
    TEMPLATE_NOT_APPROVED = "template_not_approved"


def window_state(last_inbound_at: datetime | None, now: datetime) -> ServiceWindow:
    """Whether free-form messages may be sent at ``now``, and until when.

    A customer who never wrote leaves the window closed with no closing time: the business
    must open the conversation with a template.
    """
    require_aware("last_inbound_at", last_inbound_at)
    require_aware("now", now)
    if last_inbound_at is None:
        return ServiceWindow(False, None)
    closes_at = last_inbound_at + SERVICE_WINDOW
    return ServiceWindow(now < closes_at, closes_at)


def send_refusal(
    last_inbound_at: datetime | None,
    now: datetime,
    *,
    template_status: TemplateStatus | str | None = None,
) -> SendRefusal | None:
    """``None`` if the message may be sent, else why not.

    ``template_status`` is ``None`` for a free-form message, else the template's review state.
    An approved template is allowed at any time; an unapproved one never, even inside the
    window, because Meta refuses it regardless.
    """
    window = window_state(last_inbound_at, now)
    if template_status is not None:
        if TemplateStatus(template_status) is TemplateStatus.APPROVED:
            return None
        return SendRefusal.TEMPLATE_NOT_APPROVED
    return None if window.open else SendRefusal.WINDOW_CLOSED
