"""Opening hours for the chat: the parser lives in ``domain.opening_hours`` (the SLA business
calendar reads the same spec), re-exported here for the chat runtime."""

from csdesk.domain.opening_hours import DAYS, OpeningHours, Window, parse

__all__ = ["DAYS", "OpeningHours", "Window", "parse"]
