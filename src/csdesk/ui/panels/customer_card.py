"""The customer's card at the top of the customer pane: initials, name, language, loyalty
tier, customer since, tags, and the agent's actions on the profile (edit, merge, undo a
merge). Everything from the customer is plain text; no internal id is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from csdesk.app.formats import date_text, decimal
from csdesk.app.present import money, when
from csdesk.app.thread import CustomerContext
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import name
from csdesk.ui.elide import ElidingButton
from csdesk.ui.flow_layout import FlowLayout
from csdesk.ui.plain_text import PlainLabel


def initials(full_name: str) -> str:
    """ "Ann Lee" -> "AL", "Ann" -> "A", a blank name -> "?"."""
    words = [w for w in full_name.split() if w[:1].isalnum()]
    if not words:
        return "?"
    picked = words[0][:1] + (words[-1][:1] if len(words) > 1 else "")
    return picked.upper()


def identity_kind(kind: str) -> str:
    return {
        "email": _("Email"),
        "phone": _("Phone"),
        "chat_visitor": _("Chat visitor"),
        "whatsapp": _("WhatsApp"),
        "messenger": _("Messenger"),
        "instagram": _("Instagram"),
        "telegram": _("Telegram"),
    }.get(kind, kind.replace("_", " ").capitalize())


def tier_label(tier: str) -> str:
    return {
        "none": _("no loyalty tier"),
        "bronze": _("Bronze"),
        "silver": _("Silver"),
        "gold": _("Gold"),
        "platinum": _("Platinum"),
    }.get(tier, tier)


def facts(ctx: CustomerContext) -> list[str]:
    """The card's lines under the name, in words."""
    tier = tier_label(ctx.loyalty_tier)
    if ctx.loyalty_tier != "none" or ctx.loyalty_points:
        tier = _("{tier}, {n} points").format(tier=tier, n=ctx.loyalty_points)
    lines = [
        _("Language: {language}").format(language=ctx.language),
        _("Loyalty: {tier}").format(tier=tier),
    ]
    if ctx.store_credit_cents:
        lines.append(
            _("Store credit: {amount}").format(amount=decimal(ctx.store_credit_cents / 100, 2))
        )
    if ctx.since is not None:
        since = date_text(ctx.since.astimezone())
        lines.append(_("Customer since {date}").format(date=since))
    lines.append(_("Tags: {tags}").format(tags=", ".join(ctx.tags)) if ctx.tags else _("No tags"))
    lines.extend(figures(ctx))
    if ctx.merged_into:
        lines.append(_("This profile was merged into another customer."))
    return lines


def figures(ctx: CustomerContext) -> list[str]:
    """The server's figures in words: lifetime value, orders, average, returns, last contact."""
    st = ctx.stats
    if st is None:
        return [_("Lifetime value: not computed yet")]
    lines = [
        _("Lifetime value: {value}").format(value=money(st.lifetime_value_cents, st.currency)),
        ngettext("{n} order, average {avg}", "{n} orders, average {avg}", st.order_count).format(
            n=st.order_count, avg=money(st.average_order_cents, st.currency)
        )
        if st.order_count
        else _("No orders in {currency}").format(currency=st.currency),
        _("Return rate: {rate} %").format(rate=f"{st.return_rate_bp / 100:g}"),
        _("Last contact: {when}").format(when=when(st.last_contact_at))
        if st.last_contact_at is not None
        else _("No contact yet"),
    ]
    if st.other_currency_orders:
        lines.append(
            ngettext(
                "{n} order in another currency is not counted",
                "{n} orders in other currencies are not counted",
                st.other_currency_orders,
            ).format(n=st.other_currency_orders)
        )
    return lines


class CustomerCard(QFrame):
    """No signals of its own: the pane connects ``edit_button``, ``merge_button``,
    ``unmerge_button`` and ``link_button``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customer_card")
        self.initials = PlainLabel(self)
        self.initials.setObjectName("customer_initials")
        self.initials.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.initials.setMinimumWidth(self.fontMetrics().horizontalAdvance("MM") * 2)
        self.initials.setFrameShape(QFrame.Shape.Box)
        self.name = PlainLabel(self)
        self.name.setObjectName("customer_name")
        self.name.setWordWrap(True)
        font = self.name.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.name.setFont(font)
        self.facts = PlainLabel(self)
        self.facts.setObjectName("customer_facts")
        self.facts.setWordWrap(True)
        self.refusal = PlainLabel(self)
        self.refusal.setObjectName("customer_refusal")
        self.refusal.setWordWrap(True)
        self.refusal.hide()
        self._refusal_about: frozenset[str] = frozenset()
        self.edit_button = ElidingButton(_("Edit customer…"), self)
        self.edit_button.setObjectName("edit_customer")
        # Short words on the buttons (they must fit a narrow pane at 200 % text); their
        # accessible names and tooltips say it in full. A button wider than the pane (German
        # "Kunden zusammenführen…") ends in "…" instead of widening the card past the pane,
        # which cut every line of the card at the pane's edge.
        self.merge_button = ElidingButton(_("Merge customer…"), self)
        self.merge_button.setObjectName("merge_customer")
        self.unmerge_button = ElidingButton("", self)
        self.unmerge_button.setObjectName("unmerge_customer")
        self.unmerge_button.hide()
        self.link_button = ElidingButton(_("Link conversation…"), self)
        self.link_button.setObjectName("link_conversation")
        # The order actions and goodwill (ui/order_actions.py; the same as F8, Shift+F8, F9, F7).
        self.order_buttons: list[ElidingButton] = []
        for key, text, accessible, about in (
            ("refund_order", _("Refund…"), _("Refund an order"), _("F8")),
            ("return_order", _("Return or exchange…"), _("Return or exchange"), _("Shift+F8")),
            ("order_actions", _("Order actions…"), _("Other order actions"), _("F9")),
            ("goodwill", _("Goodwill…"), _("Goodwill points or store credit"), _("F7")),
        ):
            button = ElidingButton(text, self)
            button.setObjectName(key)
            name(button, accessible, _("Shortcut {key}").format(key=about))
            self.order_buttons.append(button)
        top = QHBoxLayout()
        top.addWidget(self.initials)
        top.addWidget(self.name, 1)
        buttons = FlowLayout()
        for b in (
            self.edit_button,
            self.merge_button,
            self.unmerge_button,
            self.link_button,
            *self.order_buttons,
        ):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addWidget(self.refusal)
        layout.addLayout(buttons)
        self.show_customer(None)

    def show_customer(self, ctx: CustomerContext | None) -> None:
        self.setVisible(ctx is not None)
        if ctx is None:
            return
        about = self._refusal_about
        if ctx.id not in about and not any(i in about for i, _n in ctx.merged_here):
            self.show_refusal(None)  # a refusal is about the customers it was shown on
        self.initials.setText(initials(ctx.name))
        self.name.setText(ctx.name)
        self.facts.setText("\n".join(facts(ctx)))
        live = ctx.merged_into is None
        self.edit_button.setEnabled(live)
        self.merge_button.setEnabled(live)
        for b in self.order_buttons:
            b.setEnabled(live)
        name(
            self.edit_button,
            _("Edit customer {name}").format(name=ctx.name),
            _("Change the name, email, phone, language, notes or tags"),
        )
        name(
            self.merge_button,
            _("Merge {name} into another customer").format(name=ctx.name),
            _("Choose the profile to keep; a preview shows what moves before anything changes"),
        )
        self.merge_button.setToolTip(_("Merge this customer into another customer"))
        self.link_button.setToolTip(_("Link this conversation to another customer"))
        name(
            self.link_button,
            _("Link this conversation to another customer"),
            _("File the open conversation under the customer it really belongs to"),
        )
        self.unmerge_button.setVisible(bool(ctx.merged_here))
        if ctx.merged_here:
            other = ctx.merged_here[0][1]
            self.unmerge_button.setText(_("Undo merge of {name}").format(name=other))
            name(
                self.unmerge_button,
                _("Undo merge of {name}").format(name=other),
                _("Give {name} back its own profile, with what the merge moved").format(name=other),
            )

    def show_refusal(self, text: str | None, about: frozenset[str] = frozenset()) -> None:
        self._refusal_about = about if text else frozenset()
        self.refusal.setText(text or "")
        self.refusal.setVisible(bool(text))
