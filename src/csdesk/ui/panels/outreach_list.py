"""The outreach list: late orders the server found, to review, edit and send (or dismiss).

Keyboard first: the list takes the focus; Up and Down move between customers, Space ticks
one for sending, Tab reaches the proposed message (editable; each customer keeps their own
edit) and then the buttons. "Send" sends every ticked item, or the current one when none is
ticked. Each row is a full sentence (customer, the delay, the channel), which is what a screen
reader reads; customer text is plain text everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.outreach import OutreachItem, channel_name
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce
from csdesk.ui.plain_text import PlainLabel

_ID = Qt.ItemDataRole.UserRole


class OutreachDialog(QDialog):
    """Signals: ``send_requested(list)`` with (outreach id, message, subject) tuples;
    ``dismiss_requested(str)`` and ``template_requested(str)`` with an outreach id (the
    window opens the WhatsApp template dialog and calls ``remove`` once one is sent)."""

    send_requested = Signal(list)
    dismiss_requested = Signal(str)
    template_requested = Signal(str)

    def __init__(self, items: list[OutreachItem], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outreach_dialog")
        title = _("Late orders: tell the customers")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._items = {i.id: i for i in items}
        self._edits: dict[str, tuple[str, str]] = {}  # id -> (message, subject) as edited
        self._current: str | None = None

        self.summary = PlainLabel(self)
        self.summary.setObjectName("outreach_summary")
        self.summary.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("outreach_list")
        self.list.setAccessibleName(_("Late orders to write about"))
        self.list.setAccessibleDescription(
            _("Up and Down choose a customer; Space ticks them for sending; Tab edits the message")
        )
        self.detail = PlainLabel(self)
        self.detail.setObjectName("outreach_detail")
        self.detail.setWordWrap(True)
        form = QFormLayout()
        self.subject = QLineEdit(self)
        self.subject.setObjectName("outreach_subject")
        self.subject.setAccessibleName(_("Email subject"))
        self.message = QPlainTextEdit(self)
        self.message.setObjectName("outreach_message")
        self.message.setTabChangesFocus(True)
        self.message.setAccessibleName(_("Message to the customer"))
        self.message.setAccessibleDescription(
            _("The proposed delay notice; change it before sending if you like")
        )
        subject_label = PlainLabel(_("Su&bject:"), self)
        subject_label.setBuddy(self.subject)
        message_label = PlainLabel(_("&Message:"), self)
        message_label.setBuddy(self.message)
        form.addRow(subject_label, self.subject)
        form.addRow(message_label, self.message)

        buttons = QDialogButtonBox(self)
        self.send = buttons.addButton(_("&Send"), QDialogButtonBox.ButtonRole.ActionRole)
        self.send.setObjectName("outreach_send")
        self.send.setAccessibleName(_("Send to the ticked customers"))
        self.send.setAutoDefault(False)
        self.dismiss = buttons.addButton(_("&Do not write"), QDialogButtonBox.ButtonRole.ActionRole)
        self.dismiss.setObjectName("outreach_dismiss")
        self.dismiss.setAccessibleName(_("Do not write to this customer about this order"))
        self.dismiss.setAutoDefault(False)
        self.template = buttons.addButton(
            _("Use &template…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.template.setObjectName("outreach_template")
        self.template.setAccessibleName(_("Send an approved WhatsApp template to this customer"))
        self.template.setAutoDefault(False)
        self.template.setEnabled(False)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(_("Close"))
        close.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        self.send.clicked.connect(self._send)
        self.dismiss.clicked.connect(self._dismiss)
        self.template.clicked.connect(self._template)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.detail)
        layout.addLayout(form, 1)
        layout.addWidget(buttons)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemChanged.connect(self._ticked)
        self.resize(760, 620)
        self._fill()

    # --- the list --------------------------------------------------------------------------

    def _fill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for item in self._items.values():
            self.list.addItem(self._row(item))
        self.list.blockSignals(False)
        self._current = None
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self._show(None, None)
        self._say_summary()

    @staticmethod
    def _row(item: OutreachItem) -> QListWidgetItem:
        row = QListWidgetItem(item.sentence())
        row.setData(_ID, item.id)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if item.sendable:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
            row.setCheckState(Qt.CheckState.Unchecked)
        row.setFlags(flags)
        return row

    def update_items(self, items: list[OutreachItem]) -> None:
        """The list as the server has it now: rows a colleague sent or dismissed go, new late
        orders join at the end; ticks, edits and the row the agent is on stay as they are."""
        fresh = {i.id: i for i in items}
        gone = {i for i in self._items if i not in fresh}
        new = [i for i in items if i.id not in self._items]
        if not gone and not new:
            return
        self._keep_edit()
        for i in gone:
            self._items.pop(i, None)
            self._edits.pop(i, None)
        for index in reversed(range(self.list.count())):
            if str(self.list.item(index).data(_ID)) in gone:
                self.list.takeItem(index)  # the current row moves on by itself if it was this
        self.list.blockSignals(True)
        for item in new:
            self._items[item.id] = item
            self.list.addItem(self._row(item))
        self.list.blockSignals(False)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        self._say_summary()
        words = []
        if new:
            words.append(
                ngettext("{n} new late order", "{n} new late orders", len(new)).format(n=len(new))
            )
        if gone:
            words.append(
                ngettext(
                    "{n} handled by a colleague", "{n} handled by colleagues", len(gone)
                ).format(n=len(gone))
            )
        announce(self.list, "; ".join(words))

    def _say_summary(self) -> None:
        n = self.list.count()
        ticked = len(self.ticked())
        if n == 0:
            text = _("No late orders to write about.")
        else:
            text = ngettext(
                "{n} late order to write about", "{n} late orders to write about", n
            ).format(n=n)
            text += "; " + ngettext("{k} ticked", "{k} ticked", ticked).format(k=ticked)
        self.summary.setText(text)

    def ticked(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            row = self.list.item(i)
            if row.checkState() == Qt.CheckState.Checked:
                out.append(str(row.data(_ID)))
        return out

    def _ticked(self, row: QListWidgetItem) -> None:
        item = self._items.get(str(row.data(_ID)))
        if item is None:
            return
        on = row.checkState() == Qt.CheckState.Checked
        self._say_summary()
        announce(
            self.list,
            (_("{name} ticked") if on else _("{name} not ticked")).format(name=item.customer_name),
        )

    def _keep_edit(self) -> None:
        if self._current is not None and self._current in self._items:
            self._edits[self._current] = (self.message.toPlainText(), self.subject.text())

    def _show(self, row: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._keep_edit()
        item = self._items.get(str(row.data(_ID))) if row is not None else None
        self._current = item.id if item is not None else None
        if item is None:
            self.message.clear()
            self.subject.clear()
            self.detail.setText("")
            for w in (self.message, self.subject, self.send, self.dismiss, self.template):
                w.setEnabled(False)
            return
        message, subject = self._edits.get(item.id, (item.message, item.subject))
        self.message.setPlainText(message)
        self.subject.setText(subject)
        is_email = item.channel == "email"
        self.subject.setEnabled(is_email)
        self.message.setEnabled(item.sendable and not item.needs_template)
        self.template.setEnabled(item.sendable and item.needs_template)
        self.send.setEnabled(True)
        self.dismiss.setEnabled(True)
        words = [
            _("Order {number}, by {channel}, in {language}.").format(
                number=item.order_number,
                channel=channel_name(item.channel),
                language=item.language,
            )
        ]
        if item.opted_out:
            words.append(_("The customer asked not to be contacted first."))
        elif item.needs_template:
            words.append(
                _("WhatsApp allows only an approved template now: use Use template (Alt+T).")
            )
        elif item.detail:
            words.append(item.detail)
        self.detail.setText(" ".join(words))

    # --- decisions -------------------------------------------------------------------------

    def _send(self) -> None:
        self._keep_edit()
        ids = self.ticked() or ([self._current] if self._current else [])
        chosen = [self._items[i] for i in ids if i in self._items]
        blocked = [i for i in chosen if not i.sendable]
        templated = [i for i in chosen if i.sendable and i.needs_template]
        ready = [i for i in chosen if i.sendable and not i.needs_template]
        if templated:
            announce(
                self,
                ngettext(
                    "{n} customer needs a WhatsApp template: choose one with Use template",
                    "{n} customers need a WhatsApp template: choose one with Use template",
                    len(templated),
                ).format(n=len(templated)),
                assertive=not ready,
            )
            if not ready:
                return
        if blocked and not ready:
            reason = blocked[0].detail or _("There is no channel to write on.")
            if blocked[0].opted_out:
                reason = _("The customer asked not to be contacted first.")
            announce(self, _("Not sent: {reason}").format(reason=reason), assertive=True)
            self.detail.setText(_("Not sent: {reason}").format(reason=reason))
            return
        out = []
        for item in ready:
            message, subject = self._edits.get(item.id, (item.message, item.subject))
            if not message.strip():
                announce(
                    self,
                    _("The message to {name} is empty.").format(name=item.customer_name),
                    assertive=True,
                )
                return
            out.append((item.id, message, subject))
        if not out:
            announce(self, _("Nothing to send: tick customers with Space first."))
            return
        self.send_requested.emit(out)
        self.remove([i for i, _m, _s in out])

    def _template(self) -> None:
        item = self._items.get(self._current or "")
        if item is not None and item.needs_template:
            self.template_requested.emit(item.id)

    def _dismiss(self) -> None:
        if self._current is None:
            return
        gone = self._current
        self.dismiss_requested.emit(gone)
        self.remove([gone])

    def remove(self, ids: list[str]) -> None:
        """Take sent or dismissed items off the list; the focus stays in the list."""
        row = max(self.list.currentRow(), 0)
        for i in ids:
            self._items.pop(i, None)
            self._edits.pop(i, None)
        self._current = None
        self._fill()
        if self.list.count():
            self.list.setCurrentRow(min(row, self.list.count() - 1))
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)
