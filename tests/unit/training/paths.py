"""Scripted replies for every shipped scenario: one good path, one bad path.

Shared by the unit tests (every scenario can be completed and scored) and the GUI tests (the
same replies typed by keyboard). A reply is its text and the action chosen with it, if any.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

Reply = tuple[str, str | None]

GOOD: dict[str, list[Reply]] = {
    "where-is-my-order": [
        (
            "Hi Maya, I'm so sorry your lamp hasn't arrived yet. Could you give me your order "
            "number so I can check?",
            None,
        ),
        (
            "Thank you! Your parcel is held at the local depot because its address label was "
            "damaged. ParcelNet will redeliver it tomorrow, and you can follow it with tracking "
            "number PN 7730 1184 22.",
            None,
        ),
        ("You’re welcome! I’ll keep an eye on it and let you know if anything changes.", "resolve"),
    ],
    "damaged-item-refund": [
        (
            "Dear Tom, I'm sorry your dinner set arrived broken, and thank you for the photos. "
            "I have refunded the three plates; the money will be back on your card within 3 to 5 "
            "working days. There is no need to return the broken pieces: please discard them.",
            "offer_refund",
        ),
        ("You're welcome, Tom. Enjoy the rest of the set!", "resolve"),
    ],
    "double-charged": [
        (
            "I'm really sorry about that, I can see why you're upset. Before we look at the "
            "payment, can you confirm your email address for security?",
            None,
        ),
        (
            "Thank you, Priya. I can see the duplicate charge of 59.90 from 18 November. I've "
            "refunded it; the money will be back on your card in 3 to 5 working days.",
            "offer_refund",
        ),
        ("Of course, I'm sending you a confirmation email about the refund right now.", "resolve"),
    ],
    "address-change-after-dispatch": [
        (
            "Hi Lukas! Your order has already shipped, so I can't change the address any more, "
            "but you can redirect it to your new address or a parcel shop with the carrier.",
            None,
        ),
        (
            "Sure: your tracking number is SP 5501 9388 12. Open the SwiftPost tracking link or "
            "app and choose a new address or a parcel shop.",
            None,
        ),
        ("Glad it worked! Have a great day.", "resolve"),
    ],
    "return-outside-window": [
        ("Hi Sofia, I can help with that. Could you give me your order number?", None),
        (
            "I'm sorry, I understand that's disappointing. Our return window is 30 days from "
            "delivery, so a refund isn't possible any more, but I can offer you store credit for "
            "the full amount.",
            None,
        ),
        (
            "I've emailed you a return label. Your store credit will be issued as soon as we "
            "receive the jacket.",
            "send_return_label",
        ),
    ],
}

BAD: dict[str, list[Reply]] = {
    "where-is-my-order": [
        ("What do you want?", None),
        ("Calm down, it's not my problem.", None),
    ],
    "damaged-item-refund": [
        ("Please send the plates back first.", None),
        ("We are not responsible for the courier.", "send_return_label"),
    ],
    "double-charged": [
        ("Calm down please.", None),
        ("Relax, there's nothing I can do.", None),
    ],
    "address-change-after-dispatch": [
        ("Done, I've changed it.", "update_address"),
        ("OK, I have updated your address.", "update_address"),
    ],
    "return-outside-window": [
        ("Sure, just send it back.", None),
        ("You should have read the policy, it's too late.", "offer_refund"),
    ],
}


class StepClock:
    """An injected clock that moves only when told: sessions become exact and repeatable."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 22, 10, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
