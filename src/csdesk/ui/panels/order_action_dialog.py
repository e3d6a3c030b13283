"""One dialog for every action on an order: choose the order and the action, then only the
fields that action needs (lines and quantities, amount, reason, return instructions, a new
address, a note). Every field has an accessible name; a slip is said beside the field and the
focus goes back to it. The server checks everything again (``server/commerce/order_actions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.order_actions import OrderChoice, kind_label
from csdesk.domain.order_actions import OrderActionKind
from csdesk.i18n import N_, _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel, form_row

K = OrderActionKind
#: Which count of what is left a line's quantity is checked against, per kind.
_LEFT_OF = {K.REFUND: "refund", K.RETURN: "return", K.EXCHANGE: "return", K.RESEND: "resend"}
_ADDRESS_FIELDS = (
    ("name", N_("Recipient name")),
    ("line1", N_("Street and number")),
    ("line2", N_("Address line 2")),
    ("city", N_("City")),
    ("region", N_("Region or state")),
    ("postal_code", N_("Postal code")),
    ("country_code", N_("Country code (two letters)")),
    ("phone", N_("Phone")),
)


def parse_amount(text: str) -> int | None:
    """``"12.50"`` / ``"12,50"`` in minor units; None for empty; ValueError for nonsense."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    text = text.replace(",", "")
    if len(text) > 15:
        raise ValueError(text)
    try:
        value = Decimal(text)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise ValueError(text)
    except InvalidOperation:
        raise ValueError(text) from None
    return int(value * 100)


def _amount(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


class OrderActionDialog(QDialog):
    """No signals of its own: ``accepted`` once the input passed the checks; then
    ``request()`` holds (order id, kind, arguments) to send."""

    def __init__(
        self,
        customer_name: str,
        orders: Sequence[OrderChoice],
        kinds: Sequence[OrderActionKind],
        parent: QWidget | None = None,
        *,
        title: str,
    ) -> None:
        super().__init__(parent)
        self.orders = list(orders)
        self.kinds = list(kinds)
        self.setObjectName("order_action_dialog")
        full = _("{title} for {name}").format(title=title, name=customer_name)
        self.setWindowTitle(full)
        self.setAccessibleName(full)
        self.form = QFormLayout()
        self.order_box = QComboBox(self)
        self.order_box.setObjectName("order_action_order")
        for o in self.orders:
            self.order_box.addItem(o.label(), o.id)
        name(self.order_box, _("Order"), _("The order to act on"))
        self._row(_("&Order"), self.order_box)
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("order_action_kind")
        for k in self.kinds:
            self.kind_box.addItem(kind_label(k.value), k.value)
        name(self.kind_box, _("Action"), _("What to do with the order"))
        self._row(_("&Action"), self.kind_box)
        self.form.setRowVisible(self.kind_box, len(self.kinds) > 1)
        self.info = PlainLabel(self)
        self.info.setObjectName("order_action_info")
        self.info.setWordWrap(True)
        self.form.addRow(self.info)
        self.lines_box = QWidget(self)
        self.lines_box.setObjectName("order_action_lines")
        self.lines_form = QFormLayout(self.lines_box)
        self.lines_form.setContentsMargins(0, 0, 0, 0)
        self.quantities: list[tuple[str, QSpinBox]] = []
        self.form.addRow(self.lines_box)
        self.amount = QLineEdit(self)
        self.amount.setObjectName("order_action_amount")
        self._row(_("A&mount"), self.amount)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("order_action_reason")
        self.reason.setMaxLength(500)
        self._row(_("&Reason"), self.reason)
        self.instructions = QPlainTextEdit(self)
        self.instructions.setObjectName("order_action_instructions")
        self.instructions.setTabChangesFocus(True)
        name(
            self.instructions,
            _("Return label or instructions"),
            _("What the customer must do to send the goods back; sent with the return"),
        )
        self._row(_("Return &instructions"), self.instructions)
        self.address: dict[str, QLineEdit] = {}
        for key, label in _ADDRESS_FIELDS:
            edit = QLineEdit(self)
            edit.setObjectName(f"order_address_{key}")
            edit.setMaxLength(2 if key == "country_code" else 200)
            name(edit, _(label))
            self.address[key] = edit
            self._row(_(label), edit)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("order_action_note")
        self.note.setTabChangesFocus(True)
        self._row(_("&Note"), self.note)
        self.error = PlainLabel(self)
        self.error.setObjectName("order_action_error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setDefault(True)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"), _("Close without doing anything to the order"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._request: tuple[str, OrderActionKind, dict[str, Any]] | None = None
        self.order_box.currentIndexChanged.connect(self._refresh)
        self.kind_box.currentIndexChanged.connect(self._refresh)
        self._refresh()
        self.order_box.setFocus()

    def _row(self, label: str, widget: QWidget) -> None:
        form_row(self.form, label, widget)
        if not widget.accessibleName():
            name(widget, label.replace("&", ""))

    # --- what the chosen order and action show ---------------------------------------------

    @property
    def order(self) -> OrderChoice:
        return self.orders[max(self.order_box.currentIndex(), 0)]

    @property
    def kind(self) -> OrderActionKind:
        return self.kinds[max(self.kind_box.currentIndex(), 0)]

    def _refresh(self) -> None:
        o, kind = self.order, self.kind
        lined = kind in _LEFT_OF
        self._fill_lines(o, kind)
        self.form.setRowVisible(self.lines_box, lined)
        self.form.setRowVisible(self.amount, kind == K.REFUND)
        self.form.setRowVisible(self.reason, kind in (K.REFUND, K.RETURN, K.EXCHANGE, K.CANCEL))
        self.form.setRowVisible(self.instructions, kind in (K.RETURN, K.EXCHANGE))
        for edit in self.address.values():
            self.form.setRowVisible(edit, kind == K.ADDRESS)
        self.form.setRowVisible(self.note, kind in (K.NOTE, K.RESEND))
        name(
            self.amount,
            _("Amount to refund in {currency}").format(currency=o.currency),
            _(
                "At most {left}. Leave empty to refund the chosen lines' worth, or everything "
                "left when no line is chosen"
            ).format(left=_amount(o.refundable_cents, o.currency)),
        )
        name(
            self.note,
            _("Note on the replacement order") if kind == K.RESEND else _("Note on the order"),
        )
        self.info.setText(self._info(o, kind))
        self.ok.setText(kind_label(kind.value))
        name(
            self.ok,
            _("{action} on order {number}").format(action=kind_label(kind.value), number=o.number),
            _("Send it; works offline too, and the result shows on the order"),
        )
        if o.store is None:
            self.ok.setAccessibleDescription(
                _("No store is connected: csdesk records it on its own copy of the order")
            )

    def _info(self, o: OrderChoice, kind: OrderActionKind) -> str:
        where = (
            _("No store is connected: this is recorded in csdesk only.")
            if o.store is None
            else _("Sent to the store ({store}).").format(store=o.store)
        )
        if kind == K.REFUND:
            head = _("{left} of {total} can still be refunded.").format(
                left=_amount(o.refundable_cents, o.currency),
                total=_amount(o.total_cents, o.currency),
            )
        elif kind in (K.CANCEL, K.ADDRESS):
            head = (
                _("This order has been shipped; start a return instead.")
                if o.fulfilled or o.cancelled
                else _("This order has not been shipped yet.")
            )
        elif kind in (K.RETURN, K.EXCHANGE, K.RESEND):
            head = (
                _("Choose the lines and how many of each.")
                if o.fulfilled
                else _("This order has not been shipped yet.")
            )
        else:
            head = ""
        return f"{head} {where}".strip()

    def _fill_lines(self, o: OrderChoice, kind: OrderActionKind) -> None:
        while self.lines_form.rowCount():
            self.lines_form.removeRow(0)
        self.quantities = []
        which = _LEFT_OF.get(kind, "refund")
        verb = {
            "refund": _("to refund"),
            "return": _("to send back") if kind == K.RETURN else _("to exchange"),
            "resend": _("to resend"),
        }[which]
        for line in o.lines:
            left = line.left.get(which, line.quantity)
            spin = QSpinBox(self.lines_box)
            spin.setObjectName(f"order_line_{len(self.quantities)}")
            spin.setRange(0, left)
            text = _("{title}, {qty} × {price}").format(
                title=line.title,
                qty=line.quantity,
                price=_amount(line.unit_price_cents, o.currency),
            )
            for target in (spin, spin.lineEdit()):  # the spin box and its own text field
                name(
                    target,
                    _("{title}: how many {verb}").format(title=line.title, verb=verb),
                    _("At most {n}").format(n=left),
                )
            # A buddied label reads "&" as a mnemonic: a title from the store is text.
            caption = PlainLabel(text.replace("&", "&&"), self.lines_box)
            caption.setBuddy(spin)
            caption.setWordWrap(True)
            self.lines_form.addRow(caption, spin)
            caption.show()  # at once, not when the layout gets round to it: focusable now
            spin.show()
            self.quantities.append((line.id, spin))

    # --- checking ----------------------------------------------------------------------------

    def _check(self) -> None:
        self.error.hide()
        o, kind = self.order, self.kind
        lines = [(lid, spin.value()) for lid, spin in self.quantities if spin.value() > 0]
        args: dict[str, Any] = {}
        if kind in _LEFT_OF and lines:
            args["lines"] = [{"line_id": lid, "quantity": q} for lid, q in lines]
        reason = self.reason.text().strip()
        if kind == K.REFUND:
            try:
                cents = parse_amount(self.amount.text())
            except ValueError:
                self._refuse(_("Enter the amount as a number, such as 12.50."), self.amount)
                return
            if cents is not None and cents <= 0:
                self._refuse(_("A refund must be more than zero."), self.amount)
                return
            worth = cents
            if worth is None:
                prices = {ln.id: ln.unit_price_cents for ln in o.lines}
                worth = sum(prices[lid] * q for lid, q in lines) if lines else o.refundable_cents
            if worth <= 0 or worth > o.refundable_cents:
                self._refuse(
                    _("At most {left} can still be refunded on this order.").format(
                        left=_amount(o.refundable_cents, o.currency)
                    ),
                    self.amount,
                )
                return
            if cents is not None:
                args["amount_cents"] = cents
        if kind in (K.RETURN, K.EXCHANGE, K.RESEND):
            if not o.fulfilled:
                self._refuse(_("This order has not been shipped yet."), self.order_box)
                return
            if not lines:
                first = self.quantities[0][1] if self.quantities else self.order_box
                self._refuse(_("Choose at least one line and how many."), first)
                return
        if kind in (K.RETURN, K.EXCHANGE) and not reason:
            self._refuse(_("Give the reason for the return."), self.reason)
            return
        if kind in (K.CANCEL, K.ADDRESS) and (o.fulfilled or o.cancelled):
            self._refuse(_("This order has been shipped; start a return instead."), self.order_box)
            return
        if reason and kind in (K.REFUND, K.RETURN, K.EXCHANGE, K.CANCEL):
            args["reason"] = reason
        instructions = self.instructions.toPlainText().strip()
        if instructions and kind in (K.RETURN, K.EXCHANGE):
            args["instructions"] = instructions
        note = self.note.toPlainText().strip()
        if kind == K.NOTE and not note:
            self._refuse(_("Write the note."), self.note)
            return
        if note and kind in (K.NOTE, K.RESEND):
            args["note"] = note
        if kind == K.ADDRESS:
            address = {k: e.text().strip() for k, e in self.address.items()}
            for key in ("name", "line1"):
                if not address[key]:
                    self._refuse(_("Enter the recipient and the street."), self.address[key])
                    return
            code = address["country_code"]
            if code and (len(code) != 2 or not code.isalpha()):
                self._refuse(
                    _("Enter the country as two letters, such as FR."),
                    self.address["country_code"],
                )
                return
            args["address"] = {
                k: v.upper() if k == "country_code" else v for k, v in address.items()
            }
        self._request = (o.id, kind, args)
        self.accept()

    def _refuse(self, text: str, widget: QWidget) -> None:
        self.error.setText(text)
        self.error.show()
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        announce(self, text, assertive=True)

    def request(self) -> tuple[str, OrderActionKind, dict[str, Any]] | None:
        """(order id, kind, arguments) once accepted."""
        return self._request
