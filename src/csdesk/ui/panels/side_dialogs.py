"""The two dialogs of side conversations (docs/side-conversations.md).

``ForwardDialog``: to (one address), subject, a note to the recipient, and what to forward
(the whole conversation, or the message focused in the thread); the address is checked as the
server checks it, so a mistake is said before anything is queued. ``SideListDialog``: the open
conversation's side conversations in a list, the chosen one's mail below as plain text
(read-only; outside text is never rendered as rich text).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.side_conversations import SideView
from csdesk.domain import side_mail as rules
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel, form_row
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["ForwardDialog", "SideListDialog", "SideWriteDialog"]


class ForwardDialog(QDialog):
    """Signals: those of QDialog. ``problem`` shows why Forward did nothing (a bad address)."""

    def __init__(
        self,
        subject: str,
        message_line: str | None,
        parent: QWidget | None = None,
        *,
        message_first: bool = False,
    ) -> None:
        """``message_line``: the focused message's first line (None: no message focused);
        ``message_first``: the agent was on that message, so it is the default choice."""
        super().__init__(parent)
        self.setObjectName("forward_dialog")
        self.setWindowTitle(_("Forward by email"))
        self.setAccessibleName(_("Forward by email"))
        intro = PlainLabel(
            _(
                "The server mails it from the support address. Replies are kept with this "
                "conversation as a side conversation, never shown to the customer."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.to = QLineEdit(self)
        self.to.setObjectName("forward_to")
        self.to.setMaxLength(rules.MAX_ADDRESS)
        self.to.setPlaceholderText(_("e.g. orders@supplier.example"))
        name(self.to, _("Forward to"), _("One email address, such as a supplier's or carrier's"))
        self.subject = QLineEdit(subject[: rules.MAX_SUBJECT], self)
        self.subject.setObjectName("forward_subject")
        self.subject.setMaxLength(rules.MAX_SUBJECT)
        name(self.subject, _("Subject"))
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("forward_note")
        self.note.setTabChangesFocus(True)
        name(self.note, _("Note to the recipient"), _("Written above the forwarded text"))
        self.whole = QRadioButton(_("The &whole conversation"), self)
        self.one = QRadioButton(_("Only the focused &message"), self)
        name(self.whole, _("Forward the whole conversation"))
        if message_line is None:
            name(self.one, _("Forward only the focused message (no message is focused)"))
            self.one.setEnabled(False)
        else:
            name(self.one, _("Forward only the focused message: {line}").format(line=message_line))
        (self.one if message_first and message_line is not None else self.whole).setChecked(True)
        self.problem = PlainLabel(self)
        self.problem.setObjectName("forward_problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form_row(form, _("&To:"), self.to)
        form_row(form, _("&Subject:"), self.subject)
        form_row(form, _("&Note:"), self.note)
        buttons = QDialogButtonBox(self)
        self.forward_button = buttons.addButton(
            _("&Forward"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        name(self.forward_button, _("Forward"))
        name(cancel, _("Cancel"))
        self.forward_button.setDefault(True)
        self.forward_button.clicked.connect(self._try_accept)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.whole)
        layout.addWidget(self.one)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        resize_within_screen(self, 560, 420)
        self.to.setFocus()

    def address(self) -> str:
        return self.to.text().strip()

    def only_message(self) -> bool:
        return self.one.isEnabled() and self.one.isChecked()

    def check(self) -> str | None:
        """Why the dialog cannot be sent as it is (None: it can)."""
        try:
            rules.check_address(self.to.text())
        except rules.AddressProblem as exc:
            return _("Not forwarded: {problem}").format(problem=str(exc))
        if len(self.note.toPlainText()) > rules.MAX_NOTE:
            return _("Not forwarded: the note is longer than {n} characters.").format(
                n=rules.MAX_NOTE
            )
        return None

    def _try_accept(self) -> None:
        why = self.check()
        if why is None:
            self.accept()
            return
        self.problem.setText(why)
        self.problem.show()
        self.to.setFocus()
        announce(self, why, assertive=True)


class SideListDialog(QDialog):
    """Signals: those of QDialog. The list names each side conversation; the text below is
    the chosen one's mail, oldest first."""

    def __init__(self, sides: Sequence[SideView], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("side_list_dialog")
        title = _("Side conversations")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.sides = list(sides)
        self.empty = PlainLabel(
            _("Nothing of this conversation was forwarded by email. Ctrl+Alt+Shift+F forwards it."),
            self,
        )
        self.empty.setWordWrap(True)
        self.empty.setVisible(not self.sides)
        self.list = QListWidget(self)
        self.list.setObjectName("side_list")
        name(self.list, title, _("Up and Down choose; Tab reads its mail; Enter writes to them"))
        for side in self.sides:
            sentence = side.sentence()
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.list.addItem(item)
        self.mail = QPlainTextEdit(self)
        self.mail.setObjectName("side_mail")
        self.mail.setReadOnly(True)
        self.mail.setTabChangesFocus(True)
        name(self.mail, _("Mail of the side conversation"))
        self.list.currentRowChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _item: self._write_chosen())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        name(close, _("Close"))
        self.write_button = QPushButton(_("&Write to them…"), self)
        name(self.write_button, _("Write to the address of the chosen side conversation"))
        self.write_button.setEnabled(bool(self.sides))
        self.write_button.setAutoDefault(False)
        buttons.addButton(self.write_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.write_button.clicked.connect(self._write_chosen)
        #: What the agent chose when the dialog was accepted: "write" or "retry".
        self.action = "write"
        self.retry_button = QPushButton(_("&Retry sending"), self)
        self.retry_button.setObjectName("side_retry")
        name(self.retry_button, _("Send the failed mail of the chosen side conversation again"))
        self.retry_button.setAutoDefault(False)
        self.retry_button.setEnabled(False)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_button.clicked.connect(self._retry_chosen)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.mail, 2)
        layout.addWidget(buttons)
        resize_within_screen(self, 720, 520)
        if self.sides:
            self.list.setCurrentRow(0)
        self.list.setFocus()

    def _write_chosen(self) -> None:
        if self.chosen() is not None:
            self.action = "write"
            self.accept()

    def _retry_chosen(self) -> None:
        side = self.chosen()
        if side is not None and side.failed is not None:
            self.action = "retry"
            self.accept()

    def chosen(self) -> SideView | None:
        """The side conversation to write to (once accepted)."""
        row = self.list.currentRow()
        return self.sides[row] if 0 <= row < len(self.sides) else None

    def _show(self, row: int) -> None:
        side = self.sides[row] if 0 <= row < len(self.sides) else None
        self.mail.setPlainText(side.transcript() if side is not None else "")
        self.retry_button.setEnabled(side is not None and side.failed is not None)


class SideWriteDialog(QDialog):
    """Signals: those of QDialog. A mail to a side conversation's address (plain text)."""

    def __init__(self, to_address: str, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("side_write_dialog")
        title = _("Write to {to}").format(to=to_address)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        about = PlainLabel(_("About: {subject}").format(subject=subject or _("no subject")), self)
        about.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("side_write_text")
        self.text.setTabChangesFocus(True)
        name(
            self.text,
            _("Mail text"),
            _("Sent to {to}, threaded under the last mail").format(to=to_address),
        )
        self.problem = PlainLabel(self)
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(self)
        self.send_button = buttons.addButton(_("&Send"), QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        name(self.send_button, _("Send"))
        name(cancel, _("Cancel"))
        self.send_button.clicked.connect(self._try_accept)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.text)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        resize_within_screen(self, 560, 360)
        self.text.setFocus()

    def body(self) -> str:
        return self.text.toPlainText().strip()

    def _try_accept(self) -> None:
        if not self.body():
            why = _("Write the mail first.")
        elif len(self.body()) > rules.MAX_REPLY_TEXT:
            why = _("The mail is longer than {n} characters.").format(n=rules.MAX_REPLY_TEXT)
        else:
            self.accept()
            return
        self.problem.setText(why)
        self.problem.show()
        self.text.setFocus()
        announce(self, why, assertive=True)
