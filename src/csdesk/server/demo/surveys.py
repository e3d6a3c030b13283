"""Survey answers for the demo's resolved conversations, so the KPI dashboard's CSAT, NPS and
CES columns show believable figures (the survey loop that asks real customers is separate).

Drawn from a random source seeded by the conversation's id, not from the store's stream:
adding answers leaves every other generated row as it was, and one seed still gives one store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from csdesk.domain.enums import ConversationStatus, Realm
from csdesk.server.demo.common import Row, synced
from csdesk.server.demo.rand import DemoRandom

#: Share of resolved conversations whose customer answered the survey.
ANSWERED: Final = 0.4
#: Mostly satisfied, some not: CSAT 1..5, NPS 0..10, CES 1..7 (lower is less effort).
_CSAT: Final = (1, 2, 3, 4, 5)
_CSAT_CUM: Final = (0.06, 0.14, 0.28, 0.58, 1.0)
_NPS: Final = tuple(range(11))
_NPS_CUM: Final = (0.02, 0.04, 0.06, 0.09, 0.12, 0.16, 0.22, 0.32, 0.52, 0.76, 1.0)
_CES: Final = (1, 2, 3, 4, 5, 6, 7)
_CES_CUM: Final = (0.25, 0.5, 0.68, 0.8, 0.89, 0.95, 1.0)


def survey_answer(conversation: Row, now: datetime) -> Row | None:
    """The answer to a resolved production conversation's survey, or None (not asked, or
    not answered). A customer may skip the NPS or CES question."""
    resolved = conversation.get("resolved_at")
    if (
        conversation.get("realm") != Realm.PRODUCTION.value
        or conversation.get("status") != ConversationStatus.RESOLVED.value
        or resolved is None
    ):
        return None
    rng = DemoRandom(f"survey:{conversation['id']}")
    if not rng.chance(ANSWERED):
        return None
    answered = min(resolved + rng.span(timedelta(minutes=5), timedelta(hours=20)), now)
    return {
        **synced(rng.uuid(), Realm.PRODUCTION.value, answered),
        "conversation_id": conversation["id"],
        "customer_id": conversation["customer_id"],
        "csat": rng.weighted(_CSAT, _CSAT_CUM),
        "nps": rng.weighted(_NPS, _NPS_CUM) if rng.chance(0.8) else None,
        "ces": rng.weighted(_CES, _CES_CUM) if rng.chance(0.7) else None,
        "comment": "",
        "answered_at": answered,
    }
