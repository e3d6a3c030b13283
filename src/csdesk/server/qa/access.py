"""Who reads quality reviews: supervisors and administrators all of them (their desks pull
them from the feed's ``qa-leads`` audience), an agent their own (``GET /api/v1/qa/reviews``),
a trainee none (reviews are of production conversations)."""

from __future__ import annotations

from csdesk.domain.qa import LEADS_FEED, is_lead
from csdesk.protocol import Entity
from csdesk.storage.wire import FEED_AUDIENCES

assert FEED_AUDIENCES[Entity.QA_REVIEW] == LEADS_FEED  # one name for the audience


def feed_audience(role: str) -> str | None:
    """The narrower feed audience ``role`` also pulls (None: only its realm's rows)."""
    return LEADS_FEED if is_lead(role) else None
