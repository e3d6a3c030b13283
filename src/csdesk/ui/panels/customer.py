"""The customer context beside the thread: who they are, their orders and shipments, open
returns, and every earlier conversation on any channel (the seed of the full CRM view).

Above it, when the customer typed an identity (a chat visitor's email) that another customer
has, a possible match with one button: the agent, not the typist, decides they are one."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from csdesk.app import status_words as words_of
from csdesk.app.present import channel_label, money, when
from csdesk.app.thread import ClaimView, CustomerContext
from csdesk.domain.carriers import tracking_url
from csdesk.i18n import _
from csdesk.ui.a11y import announce
from csdesk.ui.panels.customer_card import CustomerCard, identity_kind
from csdesk.ui.panels.customer_timeline import CustomerTimeline
from csdesk.ui.plain_text import PlainLabel


def open_in_browser(url: QUrl) -> None:
    """Hand an https link to the system browser (never opened inside csdesk)."""
    if url.scheme() == "https":
        QDesktopServices.openUrl(url)


class _WholeCardArea(QScrollArea):
    """The card's scroll area, sized to show the whole card (up to half the pane) until the
    agent drags the splitter below it: a bare QScrollArea keeps the height it was first given,
    and the card's second row of buttons started half hidden. It scrolls only when the agent
    made it smaller or the text is very large."""

    def whole_height(self) -> int:
        inner = self.widget()
        if inner is None:
            return self.sizeHint().height()
        # The height at the width left beside a scroll bar: enough whether or not the bar is
        # shown now (measured without it, a card one line taller beside a bar kept it shown).
        bar = self.verticalScrollBar().sizeHint().width()
        width = self.width() - 2 * self.frameWidth() - bar
        layout = inner.layout()
        if layout is not None and layout.hasHeightForWidth() and width > 0:
            height = layout.totalHeightForWidth(width)
        else:
            height = inner.sizeHint().height()
        height = max(height, inner.minimumSizeHint().height())  # what the card keeps at least
        return height + 2 * self.frameWidth()


class CustomerPane(QWidget):
    """The match bar, the customer's card (header and actions) over the details.

    Signals: ``open_conversation(str)`` — the agent followed a link to an earlier one;
    ``link_requested(str, str)`` — "Link to this customer" on a claim (claim id, their name);
    ``edit_requested()``, ``merge_requested()``, ``unmerge_requested()`` — the card's buttons
    (the same as the window's actions); ``customer_shown(str)`` — another customer (or the
    same one, refreshed) is shown: its id, "" for none (the window loads its timeline);
    ``link_conversation_requested()`` — the card's "Link conversation to another customer".
    """

    customer_shown = Signal(str)
    link_conversation_requested = Signal()

    open_conversation = Signal(str)
    link_requested = Signal(str, str)
    edit_requested = Signal()
    merge_requested = Signal()
    unmerge_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details = CustomerDetails(self)
        self.details.open_conversation.connect(self.open_conversation)
        self.timeline = CustomerTimeline(self)
        self.timeline.open_conversation.connect(self.open_conversation)
        self.timeline.open_order.connect(self.select_order)
        self.ctx: CustomerContext | None = None
        self.details.open_external.connect(open_in_browser)
        self.match_box = QFrame(self)
        self.match_box.setObjectName("possible_match")
        self.match_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.match_label = PlainLabel(self.match_box)
        self.match_label.setTextFormat(Qt.TextFormat.PlainText)  # names come from outside
        self.match_label.setWordWrap(True)
        self.link_button = QPushButton(_("Link to this customer"), self.match_box)
        self.link_button.setObjectName("link_match")
        self.link_button.clicked.connect(self._link)
        box = QVBoxLayout(self.match_box)
        box.addWidget(self.match_label)
        box.addWidget(self.link_button)
        self.card = CustomerCard(self)
        # The card scrolls when large text makes it taller than its share (never clipped);
        # card, timeline and details share the height in a splitter the agent can move.
        self.card_scroll = _WholeCardArea(self)
        self.card_scroll.setObjectName("customer_card_scroll")
        self.card_scroll.setWidget(self.card)
        self.card_scroll.setWidgetResizable(True)
        self.card_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.card_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.card_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its buttons take the focus
        self.record_split = QSplitter(Qt.Orientation.Vertical, self)
        self.record_split.setObjectName("customer_record")
        self.record_split.setChildrenCollapsible(False)
        self.record_split.addWidget(self.card_scroll)
        self.record_split.addWidget(self.timeline)
        self.record_split.addWidget(self.details)
        for at, stretch in enumerate((0, 3, 2)):
            self.record_split.setStretchFactor(at, stretch)
        self._card_dragged = False  # the agent chose the card's height: keep it
        self._lower_dragged = False
        self.record_split.splitterMoved.connect(self._card_moved)
        self._card_fit = QTimer(self)
        self._card_fit.setSingleShot(True)
        self._card_fit.setInterval(0)  # after the card's layout has taken its new text
        self._card_fit.timeout.connect(self._fit_card)
        self.card.edit_button.clicked.connect(self.edit_requested)
        self.card.merge_button.clicked.connect(self.merge_requested)
        self.card.unmerge_button.clicked.connect(self.unmerge_requested)
        self.card.link_button.clicked.connect(self.link_conversation_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.match_box)
        layout.addWidget(self.record_split, 1)
        self.setTabOrder(self.link_button, self.card.edit_button)
        self.setTabOrder(self.card.edit_button, self.card.merge_button)
        self.setTabOrder(self.card.merge_button, self.card.unmerge_button)
        self.setTabOrder(self.card.unmerge_button, self.card.link_button)
        previous = self.card.link_button
        for button in self.card.order_buttons:
            self.setTabOrder(previous, button)
            previous = button
        self.setTabOrder(previous, self.timeline.filter)
        self.setTabOrder(self.timeline.filter, self.timeline.list)
        self.setTabOrder(self.timeline.list, self.details)
        self.match: ClaimView | None = None
        self.show_customer(None)

    def _card_moved(self, _pos: int, index: int) -> None:
        if index == 1:  # the handle below the card
            self._card_dragged = True
        elif index == 2:  # between timeline and details: keep the agent's proportion
            self._lower_dragged = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._card_fit.start()  # wrapping changes the card's height

    def _fit_card(self) -> None:
        """Give the card its whole height (at most half the pane), the timeline and details
        the rest in their proportion; not once the agent has dragged that handle."""
        sizes = self.record_split.sizes()
        total = sum(sizes)
        if self._card_dragged or total <= 0 or len(sizes) != 3:
            return
        # Two pixels to spare: the splitter rounds a share down, and a card one pixel short
        # shows a scroll bar, which narrows it, which makes it taller still.
        want = min(self.card_scroll.whole_height() + 2, total // 2)
        if abs(want - sizes[0]) <= 2:
            return
        rest = total - want
        below = sizes[1] + sizes[2]
        # 3:2 as the stretch factors say (the same picture however often this ran), or the
        # proportion the agent dragged to.
        keep = self._lower_dragged and below > 0
        timeline = rest * sizes[1] // below if keep else rest * 3 // 5
        self.record_split.setSizes([want, timeline, rest - timeline])

    def show_refusal(self, text: str | None, about: frozenset[str] = frozenset()) -> None:
        """The server refused an edit, merge or undo of the customers ``about``: why, on the
        card while it shows one of them."""
        self.card.show_refusal(text, about)
        self._card_fit.start()  # the refusal's line makes the card taller

    def show_customer(self, ctx: CustomerContext | None, current: str | None = None) -> None:
        if ctx is None or self.ctx is None or ctx.id != self.ctx.id:
            self.details.selected_order = None  # a selection belongs to its customer
            self.timeline.show_items([])
        self.ctx = ctx
        self.card.show_customer(ctx)
        self._card_fit.start()
        self.details.show_customer(ctx, current)
        self.customer_shown.emit(ctx.id if ctx is not None else "")
        self.match = next((c for c in ctx.claims if c.match_customer_id), None) if ctx else None
        self.match_box.setVisible(self.match is not None)
        if self.match is None:
            return
        name = self.match.match_name or _("another customer")
        kind = {  # whole words per kind: a noun put into "typed {kind}" takes no gender
            "email": _("typed email"),
            "phone": _("typed phone number"),
        }.get(self.match.kind) or _("typed {kind}").format(kind=identity_kind(self.match.kind))
        self.match_label.setText(
            _("Possible match: {name} ({kind}, unverified)").format(name=name, kind=kind)
        )
        self.link_button.setAccessibleName(_("Link this conversation to {name}").format(name=name))
        self.link_button.setAccessibleDescription(
            _(
                "{name} has the address {value}, which the customer typed without proving "
                "it; link only if you are sure they are the same person"
            ).format(name=name, value=self.match.value)
        )

    def select_order(self, order_id: str) -> bool:
        """Select the order ``order_id`` in the details (marked in words, scrolled to, the
        focus there); False when it is not among the orders shown."""
        ctx = self.ctx
        if ctx is None:
            return False
        order = next((o for o in ctx.orders if o.id == order_id), None)
        if order is None:
            announce(self, _("That order is older than the orders shown here."))
            return False
        self.details.selected_order = order_id
        self.details.show_customer(ctx, self.details.current)
        self.details.scrollToAnchor(f"order-{order_id}")
        self.details.setFocus(Qt.FocusReason.OtherFocusReason)
        announce(self, _("Order {number} selected").format(number=order.number))
        return True

    def _link(self) -> None:
        if self.match is not None and self.match.match_customer_id:
            self.link_requested.emit(self.match.id, self.match.match_name or "")

    def focus_entry(self) -> None:
        """Going to the pane (Ctrl+3) lands on the decision first while there is one, else on
        the details. Not a focus proxy: Qt tabs to a proxy's target wherever the pane stands
        in the focus chain, and Tab from the composer's Send skipped the card's buttons."""
        target = self.link_button if self.match is not None else self.details
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)


class CustomerDetails(QTextBrowser):
    """Signals: ``open_conversation(str)`` — the agent followed a link to an earlier one;
    ``open_external(QUrl)`` — a carrier's tracking page (the pane opens it in the browser)."""

    open_conversation = Signal(str)
    open_external = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customer")
        self.setAccessibleName(_("Customer"))
        self.setAccessibleDescription(
            _(
                "The customer's identities, notes, orders, shipments, returns "
                "and earlier conversations; Tab moves between links"
            )
        )
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._link)
        self.selected_order: str | None = None  # chosen from the timeline
        self.current: str | None = None
        self.show_customer(None)

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "csdesk" and url.host() == "conversation":
            self.open_conversation.emit(url.path().strip("/"))
        elif url.scheme() == "https":  # a carrier's tracking page (domain.carriers)
            self.open_external.emit(url)

    def show_customer(self, ctx: CustomerContext | None, current: str | None = None) -> None:
        self.current = current
        # Outside the f-strings, where pybabel finds them.
        words = {
            "No conversation is open.": _("No conversation is open."),
            "Identities": _("Identities"),
            "None yet.": _("None yet."),
            "Time zone": _("Time zone"),
            "Notes": _("Notes"),
            "Orders": _("Orders"),
            "No orders.": _("No orders."),
            "Selected:": _("Selected:"),
            "Shipment": _("Shipment"),
            "Return": _("Return"),
            "Conversations": _("Conversations"),
            "this conversation": _("this conversation"),
            "(no subject)": _("(no subject)"),
        }
        # What of a store's order csdesk could not read whole (orders.store_incomplete).
        parts_of_order = {
            "lines": _("lines"),
            "shipments": _("shipments"),
            "refunds": _("refunds"),
            "returns": _("returns"),
        }
        if ctx is None:
            self.setHtml(f"<p>{escape(words['No conversation is open.'])}</p>")
            return
        e = escape
        parts = [f"<h3>{e(words['Identities'])}</h3><ul>"]
        verified = ctx.verified or (False,) * len(ctx.identities)
        for (kind, value), proven in zip(ctx.identities, verified, strict=False):
            state = _("verified") if proven else _("unverified")
            # A chat visitor's value is a session hash: an internal id, never shown.
            shown = "" if kind == "chat_visitor" else f": {e(value)}"
            parts.append(f"<li>{e(identity_kind(kind))}{shown} ({e(state)})</li>")
        for claim in ctx.claims:
            label = _("{kind} (typed, unverified)").format(kind=identity_kind(claim.kind))
            parts.append(f"<li>{e(label)}: {e(claim.value)}</li>")
        if not ctx.identities and not ctx.claims:
            parts.append(f"<li>{e(words['None yet.'])}</li>")
        parts.append("</ul>")
        parts.append(f"<p>{e(words['Time zone'])}: {e(ctx.timezone)}</p>")
        if ctx.notes.strip():
            # Plain text kept as written: escaped, line breaks kept, never interpreted.
            notes = "<br>".join(e(line) for line in ctx.notes.splitlines())
            parts.append(f"<h3>{e(words['Notes'])}</h3><p>{notes}</p>")
        parts.append(f"<h3>{e(words['Orders'])}</h3>")
        if not ctx.orders:
            parts.append(f"<p>{e(words['No orders.'])}</p>")
        else:
            parts.append("<ul>")
            for o in ctx.orders:
                mark = ""
                if o.id and o.id == self.selected_order:
                    mark = f"{e(words['Selected:'])} "  # in words, not by colour alone
                parts.append(
                    f'<li><a name="order-{e(o.id)}"></a>{mark}<b>{e(o.number)}</b> — '
                    f"{e(words_of.order_status(o.status))}, "
                    f"{e(money(o.total_cents, o.currency))}, {e(when(o.placed_at))}"
                )
                if o.incomplete:
                    what = ", ".join(parts_of_order.get(k, k) for k in o.incomplete)
                    partial = _(
                        "Not read whole from the store: {what} (more than csdesk reads). "
                        "The store's admin shows them all."
                    ).format(what=what)
                    parts.append(f"<br><i>{e(partial)}</i>")
                for carrier, tracking, status, eta, delivered in o.shipments:
                    if delivered is not None:
                        state = _("delivered {when}").format(when=when(delivered))
                    elif eta is not None:
                        state = _("{status}, expected {when}").format(
                            status=words_of.shipment_status(status), when=when(eta)
                        )
                    else:
                        state = words_of.shipment_status(status)
                    url = tracking_url(carrier, tracking)
                    shown = f"{e(carrier)} {e(tracking)}"
                    if url is not None:  # the carrier's page, opened in the browser
                        shown = f'<a href="{e(url)}">{shown}</a>'
                    parts.append(f"<br>{e(words['Shipment'])}: {shown} — {e(state)}")
                for status, reason, refund in o.returns:
                    parts.append(
                        f"<br>{e(words['Return'])}: {e(words_of.return_status(status))}"
                        + (f" — {e(reason)}" if reason else "")
                        + (f", {e(money(refund, o.currency))}" if refund else "")
                    )
                for sentence in o.actions:  # refunds, returns, ... and what became of them
                    parts.append(f"<br>{e(sentence)}")
                parts.append("</li>")
            parts.append("</ul>")
        parts.append(f"<h3>{e(words['Conversations'])}</h3><ul>")
        for cid, channel, subject, status, last in ctx.conversations:
            shown = subject or words["(no subject)"]
            state = words_of.conversation_status(status)
            label = f"{channel_label(channel)}: {shown} — {state}, {when(last)}"
            if cid == current:
                parts.append(f"<li>{e(label)} ({e(words['this conversation'])})</li>")
            else:
                parts.append(f'<li><a href="csdesk://conversation/{e(cid)}">{e(label)}</a></li>')
        parts.append("</ul>")
        self.setHtml("".join(parts))
