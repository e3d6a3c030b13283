"""Goodwill for a customer: loyalty points and/or store credit, with the reason. The server
holds the limits (``CSDESK_GOODWILL_*``) and says when a grant passes them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce, name
from csdesk.ui.panels.order_action_dialog import parse_amount
from csdesk.ui.plain_text import PlainLabel

MAX_POINTS = 1_000_000


class GoodwillDialog(QDialog):
    """No signals of its own: ``accepted`` once checked; then ``grant()`` holds
    (points, credit in minor units, reason)."""

    def __init__(self, customer_name: str, points_now: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goodwill_dialog")
        title = _("Goodwill for {name}").format(name=customer_name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        form = QFormLayout()
        info = PlainLabel(
            ngettext(
                "{name} has {n} point now. Agents may grant up to a limit per day.",
                "{name} has {n} points now. Agents may grant up to a limit per day.",
                points_now,
            ).format(name=customer_name, n=points_now),
            self,
        )
        info.setWordWrap(True)
        form.addRow(info)
        self.points = QSpinBox(self)
        self.points.setObjectName("goodwill_points")
        self.points.setRange(0, MAX_POINTS)
        name(self.points, _("Loyalty points to grant"))
        name(self.points.lineEdit(), _("Loyalty points to grant"))
        self.credit = QLineEdit(self)
        self.credit.setObjectName("goodwill_credit")
        name(self.credit, _("Store credit to grant"), _("An amount such as 5.00; may be empty"))
        self.reason = QLineEdit(self)
        self.reason.setObjectName("goodwill_reason")
        self.reason.setMaxLength(500)
        name(self.reason, _("Reason for the goodwill"))
        for label, widget in (
            (_("&Points"), self.points),
            (_("Store &credit"), self.credit),
            (_("&Reason"), self.reason),
        ):
            caption = PlainLabel(label, self)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        self.error = PlainLabel(self)
        self.error.setObjectName("goodwill_error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Grant"))
        ok.setDefault(True)
        name(ok, _("Grant goodwill"), _("Send it; works offline too"))
        name(buttons.button(QDialogButtonBox.StandardButton.Cancel), _("Cancel"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._grant: tuple[int, int, str] | None = None
        self.points.setFocus()

    def _check(self) -> None:
        try:
            credit = parse_amount(self.credit.text()) or 0
        except ValueError:
            self._refuse(_("Enter the credit as a number, such as 5.00."), self.credit)
            return
        if credit < 0:
            self._refuse(_("Store credit cannot be negative."), self.credit)
            return
        if self.points.value() == 0 and credit == 0:
            self._refuse(_("Grant some points or some store credit."), self.points)
            return
        reason = self.reason.text().strip()
        if not reason:
            self._refuse(_("Give the reason for the goodwill."), self.reason)
            return
        self._grant = (self.points.value(), credit, reason)
        self.accept()

    def _refuse(self, text: str, widget: QWidget) -> None:
        self.error.setText(text)
        self.error.show()
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        announce(self, text, assertive=True)

    def grant(self) -> tuple[int, int, str] | None:
        return self._grant
