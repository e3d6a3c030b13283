"""The kinds and states of an agent's action on an order (``models.OrderAction``)."""

from __future__ import annotations

from enum import StrEnum


class OrderActionKind(StrEnum):
    REFUND = "refund"  # full or some lines, an amount, a reason
    RETURN = "return"  # lines come back, with a reason and label/instructions text
    EXCHANGE = "exchange"  # a return plus a replacement of the lines
    CANCEL = "cancel"  # an unfulfilled order
    RESEND = "resend"  # a replacement order for lines that never arrived
    ADDRESS = "address"  # a new shipping address before fulfilment
    NOTE = "note"  # a note on the order


class OrderActionStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # a refund above the limit: a supervisor decides
    DECLINED = "declined"  # the supervisor said no (``detail`` says why)
    SENDING = "sending"  # applied here; being sent to the connected store
    DONE = "done"  # the store (or, with no store, csdesk's own record) has it
    REFUSED = "refused"  # the store said no (``detail`` has its reason)
    #: On the desk only: taken (offline too), not yet answered by the server. Never stored
    #: on the server.
    QUEUED = "queued"
