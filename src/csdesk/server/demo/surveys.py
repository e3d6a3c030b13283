"""Survey answers for the demo's resolved conversations, so the KPIs' CSAT, NPS and CES have
weeks of believable figures.

About a quarter of the resolved conversations on surveyed channels (email, SMS, WhatsApp, chat)
were answered, a few minutes to two days after the resolution (none after ``now``). Most
customers are content; a slow resolution makes a low score likelier. NPS and effort follow
the satisfaction score, and are answered a little less often; comments only in English, the
language of the phrases below. Each conversation draws from its own random stream, seeded by
its id, so the rest of the demo's stream (and every other row) is the same with or without
this pass.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from csdesk.domain.enums import ConversationStatus
from csdesk.protocol import Entity
from csdesk.server.demo.common import Block, Row, synced

RATE = 0.25
CHANNELS = frozenset({"email", "sms", "whatsapp", "chat"})
_CSAT = (1, 2, 3, 4, 5)
_CSAT_WEIGHTS = {False: (4, 5, 9, 30, 52), True: (14, 14, 17, 28, 27)}  # slow resolution?
_NPS = {1: (0, 4), 2: (1, 5), 3: (5, 7), 4: (7, 9), 5: (8, 10)}
_CES = {1: (5, 7), 2: (4, 7), 3: (3, 5), 4: (2, 3), 5: (1, 2)}
_COMMENTS = {
    1: ("Nobody answered my question for days.", "Still waiting for my refund."),
    2: ("It took far too long.", "I had to explain everything twice."),
    3: ("Fine in the end, but slow.", "OK."),
    4: ("Helpful, thanks.", "Good answer, a bit slow."),
    5: ("Quick and friendly, thank you!", "Great service, problem solved in minutes."),
}


def add_answers(block: Block, now: datetime) -> None:
    """Answers for this block's resolved conversations (``block.rows[SURVEY_ANSWER]``)."""
    for conv in block.rows[Entity.CONVERSATION]:
        answer = _answer(conv, now)
        if answer is not None:
            block.add(Entity.SURVEY_ANSWER, answer)


def _answer(conv: Row, now: datetime) -> Row | None:
    resolved = conv["resolved_at"]
    if (
        conv["status"] != ConversationStatus.RESOLVED.value
        or resolved is None
        or conv["channel"] not in CHANNELS
        or {"spam", "auto"} & set(conv["tags"])
    ):
        return None
    rng = random.Random(conv["id"])
    if rng.random() >= RATE:
        return None
    answered = resolved + timedelta(minutes=rng.randint(3, 48 * 60))
    if answered >= now:
        return None
    slow = resolved - conv["created_at"] > timedelta(days=1)
    csat = rng.choices(_CSAT, weights=_CSAT_WEIGHTS[slow])[0]
    nps = rng.randint(*_NPS[csat]) if rng.random() < 0.7 else None
    ces = rng.randint(*_CES[csat]) if rng.random() < 0.6 else None
    comment = ""
    if conv["language"] == "en" and rng.random() < 0.35:
        comment = rng.choice(_COMMENTS[csat])
    return {
        **synced(_uuid(rng), conv["realm"], answered),
        "conversation_id": conv["id"],
        "customer_id": conv["customer_id"],
        "csat": csat,
        "nps": nps,
        "ces": ces,
        "comment": comment,
        "answered_at": answered,
    }


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
