"""What an empty inbox view says: what is (not) there and what the agent can do next."""

from __future__ import annotations

from csdesk.app.inbox import View
from csdesk.i18n import _

__all__ = ["empty_view_text"]


def empty_view_text(view: str) -> str:
    """The sentence shown (and read) when ``view`` holds no conversation; the Alt keys are the
    side bar's (Alt+1 Mine, Alt+2 Unassigned, Alt+7 SLA at risk)."""
    if view == View.MINE:
        return _(
            "Nothing is assigned to you. Take the next one from Unassigned (Alt+2), or watch "
            "SLA at risk (Alt+7)."
        )
    if view == View.UNASSIGNED:
        return _("Every conversation has an owner. Your own are under Mine (Alt+1).")
    if view == View.SLA_AT_RISK:
        return _("No promise is at risk right now. Well done! Mine (Alt+1) has your own.")
    if view in (View.PENDING, View.SNOOZED):
        return _("Nothing is waiting here. Conversations come back when the customer replies.")
    if view.startswith("channel:"):
        return _("No open conversation on this channel. Choose another view on the left.")
    return _("Nothing here. Choose another view on the left (Alt+1 to Alt+9).")
