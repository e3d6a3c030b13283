"""Choose a canned response; its placeholders are filled from the open conversation's customer."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.thread import CustomerContext
from csdesk.app.workstation import Workstation
from csdesk.domain.placeholders import Filled, fill, split_name
from csdesk.i18n import _
from csdesk.storage.models import CannedResponse
from csdesk.ui.plain_text import PlainLabel, plain_tip


def placeholder_values(ws: Workstation, ctx: CustomerContext | None) -> dict[str, str | None]:
    first, last = split_name(ctx.name) if ctx else ("", "")
    order = ctx.orders[0] if ctx and ctx.orders else None
    shipment = order.shipments[0] if order and order.shipments else None
    return {
        "first_name": first or None,
        "last_name": last or None,
        "customer_name": ctx.name if ctx else None,
        "email": ctx.email if ctx else None,
        "order_number": order.number if order else None,
        "carrier": shipment[0] if shipment else None,
        "tracking_number": shipment[1] if shipment else None,
        "agent_name": ws.me.display_name,
    }


class CannedDialog(QDialog):
    def __init__(self, items: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canned_dialog")
        self.setWindowTitle(_("Canned responses"))
        self.setAccessibleName(_("Canned responses"))
        self.filter = QLineEdit(self)
        self.filter.setObjectName("canned_filter")
        self.filter.setAccessibleName(_("Filter canned responses"))
        self.filter.setPlaceholderText(_("Type to filter; Down moves to the list"))
        self.list = QListWidget(self)
        self.list.setObjectName("canned_list")
        self.list.setAccessibleName(_("Canned responses"))
        for title, body in items:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, body)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}: {body[:120]}")
            item.setToolTip(plain_tip(body))
            self.list.addItem(item)
        self.preview = PlainLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("canned_preview")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Insert"))
        buttons.button(QDialogButtonBox.StandardButton.Ok).setAccessibleName(_("Insert"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.preview)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._filter)
        self.filter.returnPressed.connect(self.accept)
        self.list.currentItemChanged.connect(
            lambda item, _p: self.preview.setText(
                item.data(Qt.ItemDataRole.UserRole) if item else ""
            )
        )
        self.list.itemActivated.connect(lambda _i: self.accept())
        if self.list.count():
            self.list.setCurrentRow(0)
        self.resize(560, 420)
        self.filter.setFocus()

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        if (
            isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.filter.hasFocus()
        ):
            self.list.setFocus()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

    def _filter(self, text: str) -> None:
        needle = text.lower()
        first = None
        for n in range(self.list.count()):
            item = self.list.item(n)
            hidden = (
                needle not in item.text().lower()
                and needle not in str(item.data(Qt.ItemDataRole.UserRole)).lower()
            )
            item.setHidden(hidden)
            if not hidden and first is None:
                first = n
        if first is not None:
            self.list.setCurrentRow(first)

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item and not item.isHidden() else None


def choose_canned(
    parent: QWidget,
    responses: list[CannedResponse],
    values: dict[str, str | None],
    language: str,
    on_chosen: Callable[[str], None] | None = None,
) -> Filled | None:
    """Let the agent pick one of ``responses`` (loaded on a worker by the caller); returns it
    with placeholders filled from ``values`` (the unfilled ones listed), or None."""
    # The customer's language first, then the most used (docs/macros.md).
    responses = sorted(
        responses, key=lambda r: (r.language != language, -(r.use_count or 0), r.title)
    )
    dialog = CannedDialog([(f"{r.title} ({r.language})", r.body) for r in responses], parent)
    focus = parent.focusWidget()
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    if focus is not None:
        focus.setFocus()
    template = dialog.chosen() if accepted else None
    row = dialog.list.currentRow()
    if template is not None and on_chosen is not None and 0 <= row < len(responses):
        on_chosen(responses[row].id)  # counted on the server (a use)
    dialog.deleteLater()  # not left hidden (and unnamed) in the accessibility tree
    if template is None:
        return None
    return fill(template, values)
