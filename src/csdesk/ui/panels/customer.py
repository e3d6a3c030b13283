"""The customer context beside the thread: who they are, their orders and shipments, open
returns, and every earlier conversation on any channel (the seed of the full CRM view)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from csdesk.app.present import channel_label, money, when
from csdesk.app.thread import CustomerContext
from csdesk.i18n import _


class CustomerPane(QTextBrowser):
    """Signals: ``open_conversation(str)`` — the agent followed a link to an earlier one."""

    open_conversation = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customer")
        self.setAccessibleName(_("Customer"))
        self.setAccessibleDescription(
            _(
                "The customer's details, orders, shipments, returns "
                "and earlier conversations; Tab moves between links"
            )
        )
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._link)
        self.show_customer(None)

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "csdesk" and url.host() == "conversation":
            self.open_conversation.emit(url.path().strip("/"))

    def show_customer(self, ctx: CustomerContext | None, current: str | None = None) -> None:
        if ctx is None:
            self.setHtml(f"<p>{escape(_('No conversation is open.'))}</p>")
            return
        e = escape
        parts = [f"<h2>{e(ctx.name)}</h2><ul>"]
        for kind, value in ctx.identities:
            parts.append(f"<li>{e(kind.replace('_', ' '))}: {e(value)}</li>")
        parts.append(f"<li>{e(_('Language'))}: {e(ctx.language)} · {e(ctx.timezone)}</li>")
        if ctx.loyalty_tier != "none":
            parts.append(
                f"<li>{e(_('Loyalty'))}: {e(ctx.loyalty_tier)}, "
                f"{e(_('{n} points').format(n=ctx.loyalty_points))}</li>"
            )
        if ctx.tags:
            parts.append(f"<li>{e(_('Tags'))}: {e(', '.join(ctx.tags))}</li>")
        parts.append("</ul>")
        parts.append(f"<h3>{e(_('Orders'))}</h3>")
        if not ctx.orders:
            parts.append(f"<p>{e(_('No orders.'))}</p>")
        else:
            parts.append("<ul>")
            for o in ctx.orders:
                parts.append(
                    f"<li><b>{e(o.number)}</b> — {e(o.status)}, "
                    f"{e(money(o.total_cents, o.currency))}, {e(when(o.placed_at))}"
                )
                for carrier, tracking, status, eta, delivered in o.shipments:
                    if delivered is not None:
                        state = _("delivered {when}").format(when=when(delivered))
                    elif eta is not None:
                        state = _("{status}, expected {when}").format(
                            status=status.replace("_", " "), when=when(eta)
                        )
                    else:
                        state = status.replace("_", " ")
                    parts.append(f"<br>{e(_('Shipment'))}: {e(carrier)} {e(tracking)} — {e(state)}")
                for status, reason, refund in o.returns:
                    parts.append(
                        f"<br>{e(_('Return'))}: {e(status)}"
                        + (f" — {e(reason)}" if reason else "")
                        + (f", {e(money(refund, o.currency))}" if refund else "")
                    )
                parts.append("</li>")
            parts.append("</ul>")
        parts.append(f"<h3>{e(_('Conversations'))}</h3><ul>")
        for cid, channel, subject, status, last in ctx.conversations:
            label = (
                f"{channel_label(channel)}: {subject or _('(no subject)')} — {status}, {when(last)}"
            )
            if cid == current:
                parts.append(f"<li>{e(label)} ({e(_('this conversation'))})</li>")
            else:
                parts.append(f'<li><a href="csdesk://conversation/{e(cid)}">{e(label)}</a></li>')
        parts.append("</ul>")
        self.setHtml("".join(parts))
