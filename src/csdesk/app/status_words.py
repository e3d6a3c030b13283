"""Translated words for the status codes the desk shows inside sentences.

The codes themselves (``open``, ``in_transit``, ``callback_scheduled``…) are the wire's and stay
English; put into a translated sentence they read as English fragments ("Bestellung FH-1 ist
jetzt: delivered"). Each function gives the word for one kind of status, lower case for the
middle of a sentence; an unknown code (a newer server, a store's own) is shown as it came, its
underscores as spaces.
"""

from __future__ import annotations

from csdesk.domain.calls import CallOutcome, Disposition
from csdesk.domain.enums import ConversationStatus, OrderStatus, ReturnStatus
from csdesk.i18n import _


def _raw(code: str) -> str:
    return code.replace("_", " ")


def conversation_status(status: str) -> str:
    return {
        ConversationStatus.OPEN.value: _("open"),
        ConversationStatus.PENDING.value: _("pending"),
        ConversationStatus.SNOOZED.value: _("snoozed"),
        ConversationStatus.RESOLVED.value: _("resolved"),
    }.get(status) or _raw(status)


def order_status(status: str) -> str:
    return {
        OrderStatus.PLACED.value: _("placed"),
        OrderStatus.PAID.value: _("paid"),
        OrderStatus.SHIPPED.value: _("shipped"),
        OrderStatus.DELIVERED.value: _("delivered"),
        OrderStatus.CANCELLED.value: _("cancelled"),
    }.get(status) or _raw(status)


def shipment_status(status: str) -> str:
    """The carrier's state of a parcel (``commerce.shopify_parse.SHIPMENT_STATUS`` and the
    WooCommerce tracking plugins' words)."""
    return {
        "label_created": _("label created"),
        "in_transit": _("in transit"),
        "out_for_delivery": _("out for delivery"),
        "delivered": _("delivered"),
        "delayed": _("delayed"),
        "exception": _("delivery problem"),
        "returned": _("returned to the sender"),
        "cancelled": _("cancelled"),
        "unknown": _("status unknown"),
    }.get(status) or _raw(status)


def return_status(status: str) -> str:
    return {
        ReturnStatus.REQUESTED.value: _("requested"),
        ReturnStatus.APPROVED.value: _("approved"),
        ReturnStatus.RECEIVED.value: _("received"),
        ReturnStatus.REFUNDED.value: _("refunded"),
        ReturnStatus.REJECTED.value: _("rejected"),
    }.get(status) or _raw(status)


def call_outcome(outcome: str) -> str:
    return {
        CallOutcome.RINGING.value: _("ringing"),
        CallOutcome.ANSWERED.value: _("answered"),
        CallOutcome.VOICEMAIL.value: _("voicemail"),
        CallOutcome.MISSED.value: _("missed"),
    }.get(outcome) or _raw(outcome)


def disposition_labels() -> dict[Disposition, str]:
    """How calls ended, as the wrap-up lists them (``domain.calls.DISPOSITION_LABELS`` holds
    the English ones)."""
    return {
        Disposition.RESOLVED: _("Resolved"),
        Disposition.FOLLOW_UP: _("Follow-up needed"),
        Disposition.CALLBACK_SCHEDULED: _("Callback scheduled"),
        Disposition.ESCALATED: _("Escalated"),
        Disposition.WRONG_NUMBER: _("Wrong number"),
        Disposition.NO_ANSWER: _("No answer or voicemail"),
    }


def disposition(code: str) -> str:
    try:
        return disposition_labels()[Disposition(code)]
    except ValueError:
        return _raw(code)


def demo_line_note() -> str:
    """How the desk labels a call to the demo line (docs/callbacks.md), wherever it shows
    one: the call panel, the screen pop's announcement, the customer's timeline."""
    return _("Demo line: no real phone call is made.")
