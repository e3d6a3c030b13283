"""Provider message ids in the shape each provider uses."""

from __future__ import annotations

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.demo.people import Person
from csdesk.server.demo.rand import DemoRandom

IN = "in"


class ProviderIds:
    """Provider message ids in each provider's shape, unique per channel by construction.

    A running counter is part of every id, so (channel, provider_message_id) never collides
    however many messages are generated; the random tail makes them look like the real thing.
    """

    def __init__(self, rng: DemoRandom, store_domain: str) -> None:
        self.rng = rng
        self.n = 0
        self.mail_domain = f"mail.{store_domain}"

    def make(self, channel: Channel, direction: str, person: Person) -> str | None:
        self.n += 1
        n, rng = self.n, self.rng
        if channel == Channel.EMAIL:
            domain = (
                person.handles[IdentityKind.EMAIL].rpartition("@")[2]
                if direction == IN
                else self.mail_domain
            )
            return f"<{n:x}.{rng.hex(16)}@{domain}>"
        if channel == Channel.SMS:
            return f"SM{n:010x}{rng.hex(22)}"
        if channel == Channel.PHONE:
            return f"CA{n:010x}{rng.hex(22)}"
        if channel == Channel.WHATSAPP:
            return f"wamid.HBgM{n:010X}{rng.hex(20).upper()}"
        if channel == Channel.MESSENGER:
            return f"m_{n:x}{rng.hex(30)}"
        if channel == Channel.INSTAGRAM:
            return f"aWdfZAG1{n:x}{rng.hex(28)}"
        if channel == Channel.TELEGRAM:
            return f"{person.handles[IdentityKind.TELEGRAM]}:{n}"
        return None  # the chat widget talks to this server directly: no provider
