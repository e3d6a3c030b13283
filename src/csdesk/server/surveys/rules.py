"""When a survey is sent, and what counts as a low score: the operator's settings.

Read once from the environment when the server starts (``ServerConfig.surveys``):

- ``CSDESK_SURVEY_CHANNELS``: the channels surveyed, comma or space separated, of ``email``,
  ``sms``, ``whatsapp`` and ``chat`` (``all``: every one of them). Unset, empty or ``none``:
  no surveys. Off until the shop turns them on, so an upgrade never starts writing to
  customers by itself.
- ``CSDESK_SURVEY_EVERY_DAYS``: a customer is surveyed at most once in this many days
  (default 14).
- ``CSDESK_SURVEY_VALID_DAYS``: how long the link and a digit reply are taken (default 7).
- ``CSDESK_SURVEY_LOW_CSAT`` / ``CSDESK_SURVEY_LOW_NPS``: an answer at or below either opens a
  follow-up for the team's supervisor (defaults 2 and 6; -1 turns that check off).
- ``CSDESK_SURVEY_RATE_PER_MINUTE``: requests to the survey page per client address and
  minute, per server process (default 30).
- ``CSDESK_SURVEY_WHATSAPP_TEMPLATE``: ``name:language`` of an approved WhatsApp template
  (no parameters) that asks for the digit; the survey goes as it when the 24-hour window has
  closed (``surveys.wa_template``). Unset: no WhatsApp survey outside the window.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from csdesk.domain.enums import Channel

#: Channels a survey can go out on: a link (email, chat) or a digit reply (SMS, WhatsApp).
LINK_CHANNELS = frozenset({Channel.EMAIL.value, Channel.CHAT.value})
DIGIT_CHANNELS = frozenset({Channel.SMS.value, Channel.WHATSAPP.value})
SUPPORTED = LINK_CHANNELS | DIGIT_CHANNELS
ALL = ("email", "sms", "whatsapp", "chat")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(env.get(name, "").strip() or default)
    except ValueError:
        return default
    return min(max(value, low), high)


@dataclass(frozen=True, slots=True)
class SurveyRules:
    channels: frozenset[str] = frozenset()
    every: timedelta = timedelta(days=14)
    valid: timedelta = timedelta(days=7)
    low_csat: int = 2
    low_nps: int = 6
    rate_per_minute: int = 30
    whatsapp_template: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SurveyRules:
        env = os.environ if environ is None else environ
        raw = env.get("CSDESK_SURVEY_CHANNELS", "")
        named = {c.strip().lower() for c in raw.replace(",", " ").split()}
        channels = frozenset(ALL) if "all" in named else frozenset(named & SUPPORTED)
        return cls(
            channels=channels,
            every=timedelta(days=_int(env, "CSDESK_SURVEY_EVERY_DAYS", 14, 0, 3650)),
            valid=timedelta(days=_int(env, "CSDESK_SURVEY_VALID_DAYS", 7, 1, 365)),
            low_csat=_int(env, "CSDESK_SURVEY_LOW_CSAT", 2, -1, 5),
            low_nps=_int(env, "CSDESK_SURVEY_LOW_NPS", 6, -1, 10),
            rate_per_minute=_int(env, "CSDESK_SURVEY_RATE_PER_MINUTE", 30, 1, 100_000),
            whatsapp_template=env.get("CSDESK_SURVEY_WHATSAPP_TEMPLATE", "").strip()[:600],
        )

    def is_low(self, csat: int | None, nps: int | None) -> bool:
        """Whether an answer asks for a supervisor's follow-up."""
        return (csat is not None and csat <= self.low_csat) or (
            nps is not None and nps <= self.low_nps
        )
