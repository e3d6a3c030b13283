"""A supervisor's refunds to decide: the list of refunds waiting for approval (a full sentence
each), a reason, and Approve / Decline. The panel is a tab of the floor window; the dialog
(the same panel with Close) stays open while the supervisor works through the list; each
decision is announced.

Signals (both): ``decided(str, bool, str)`` — action id, approved, reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.order_actions import ApprovalRequest
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel


class ApprovalsPanel(QWidget):
    """The list, the reason and the two buttons: a page (a screen reader hears a tab page,
    not a dialog, inside the floor window)."""

    decided = Signal(str, bool, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvals_panel")
        self.setAccessibleName(_("Refunds waiting for approval"))
        self.summary = PlainLabel(self)
        self.summary.setObjectName("approvals_summary")
        self.list = QListWidget(self)
        self.list.setObjectName("approvals_list")
        name(self.list, _("Refunds waiting for approval"), _("Up and Down move; Tab to the reason"))
        self.reason = QLineEdit(self)
        self.reason.setObjectName("approvals_reason")
        self.reason.setMaxLength(500)
        name(
            self.reason,
            _("Reason for the decision"),
            _("Required to decline; the agent reads it on the order"),
        )
        caption = PlainLabel(_("&Reason"), self)
        caption.setBuddy(self.reason)
        self.approve = QPushButton(_("&Approve"), self)
        self.approve.setObjectName("approve_refund")
        name(self.approve, _("Approve the selected refund"))
        self.decline = QPushButton(_("&Decline"), self)
        self.decline.setObjectName("decline_refund")
        name(self.decline, _("Decline the selected refund"), _("Give the reason first"))
        self.error = PlainLabel(self)
        self.error.setObjectName("approvals_error")
        self.error.setWordWrap(True)
        self.error.hide()
        row = QHBoxLayout()
        row.addWidget(caption)
        row.addWidget(self.reason, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve)
        buttons.addWidget(self.decline)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self.approve.clicked.connect(lambda: self._decide(True))
        self.decline.clicked.connect(lambda: self._decide(False))
        self.set_requests([])
        self.list.setFocus()

    def set_requests(self, requests: Sequence[ApprovalRequest]) -> None:
        """Show ``requests``, keeping the selection on the same one where it is still there."""
        current = self.list.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.list.clear()
        for r in requests:
            item = QListWidgetItem(r.sentence())
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.list.addItem(item)
            if r.id == keep:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        n = len(requests)
        self.summary.setText(
            ngettext("{n} refund waits for approval", "{n} refunds wait for approval", n).format(
                n=n
            )
            if n
            else _("No refund waits for approval.")
        )
        self.approve.setEnabled(bool(n))
        self.decline.setEnabled(bool(n))

    def _decide(self, approve: bool) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        reason = self.reason.text().strip()
        if not approve and not reason:
            self.error.setText(_("Give the reason for declining."))
            self.error.show()
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            announce(self, self.error.text(), assertive=True)
            return
        self.error.hide()
        action_id = str(item.data(Qt.ItemDataRole.UserRole))
        text = item.text()
        self.list.takeItem(self.list.row(item))
        self.reason.clear()
        self.decided.emit(action_id, approve, reason)
        said = _("Approved: {what}") if approve else _("Declined: {what}")
        announce(self, said.format(what=text))
        self.list.setFocus()


class ApprovalsDialog(QDialog):
    """The panel on its own, with Close (opened from the agent's desk)."""

    decided = Signal(str, bool, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvals_dialog")
        title = _("Refunds waiting for approval")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.panel = ApprovalsPanel(self)
        self.panel.decided.connect(self.decided)
        # The panel's parts, as the dialog's callers and tests know them.
        self.summary, self.list, self.reason = (
            self.panel.summary,
            self.panel.list,
            self.panel.reason,
        )
        self.approve, self.decline, self.error = (
            self.panel.approve,
            self.panel.decline,
            self.panel.error,
        )
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        name(close.button(QDialogButtonBox.StandardButton.Close), _("Close"))
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel, 1)
        layout.addWidget(close)
        self.list.setFocus()

    def set_requests(self, requests: Sequence[ApprovalRequest]) -> None:
        self.panel.set_requests(requests)
