"""Start a conversation with a customer: choose the channel and address, write, send.

Every address the customer has is offered with what the provider allows
(``app.outreach.start_choices``): an unverified address may be written to, and the dialog says
so; WhatsApp outside the 24-hour window takes an approved template (the template dialog opens);
Telegram without a chat and Messenger outside the window are refused with the reason, said
beside the choice and announced, before anything is typed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.outreach import StartChoice
from csdesk.domain.outreach import FirstContact
from csdesk.i18n import _
from csdesk.ui.a11y import announce
from csdesk.ui.plain_text import PlainLabel


class NewConversationDialog(QDialog):
    """Signals: ``template_requested(object)`` with the ``StartChoice`` when the channel needs
    an approved template (the window opens the template dialog); ``accepted`` when the
    message is ready: then ``choice()``, ``body()`` and ``subject_text()`` hold it."""

    template_requested = Signal(object)

    def __init__(
        self, customer_name: str, choices: list[StartChoice], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("new_conversation_dialog")
        title = _("New conversation with {name}").format(name=customer_name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._choices = choices

        self.to = QComboBox(self)
        self.to.setObjectName("new_conversation_to")
        self.to.setAccessibleName(_("Channel and address"))
        for c in choices:
            self.to.addItem(c.label())
        self.note = PlainLabel(self)
        self.note.setObjectName("new_conversation_note")
        self.note.setWordWrap(True)
        self.subject = QLineEdit(self)
        self.subject.setObjectName("new_conversation_subject")
        self.subject.setAccessibleName(_("Email subject"))
        self.message = QPlainTextEdit(self)
        self.message.setObjectName("new_conversation_message")
        self.message.setTabChangesFocus(True)
        self.message.setAccessibleName(_("Message"))
        form = QFormLayout()
        to_label = PlainLabel(_("Send &to:"), self)
        to_label.setBuddy(self.to)
        subject_label = PlainLabel(_("Su&bject:"), self)
        subject_label.setBuddy(self.subject)
        message_label = PlainLabel(_("&Message:"), self)
        message_label.setBuddy(self.message)
        form.addRow(to_label, self.to)
        form.addRow(self.note)
        form.addRow(subject_label, self.subject)
        form.addRow(message_label, self.message)
        self.problem = PlainLabel(self)
        self.problem.setObjectName("new_conversation_problem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        buttons = QDialogButtonBox(self)
        self.start = buttons.addButton(
            _("&Start conversation"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.start.setObjectName("new_conversation_start")
        self.start.setAccessibleName(_("Start the conversation"))
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(_("Cancel"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.to.currentIndexChanged.connect(self._chosen)
        first = next(
            (i for i, c in enumerate(choices) if c.how is FirstContact.FREE),
            next((i for i, c in enumerate(choices) if c.how is not FirstContact.REFUSED), 0),
        )
        self.to.setCurrentIndex(first)
        self._chosen(first)
        self.resize(620, 460)

    def choice(self) -> StartChoice | None:
        i = self.to.currentIndex()
        return self._choices[i] if 0 <= i < len(self._choices) else None

    def body(self) -> str:
        return self.message.toPlainText()

    def subject_text(self) -> str:
        return self.subject.text().strip()

    def _chosen(self, _index: int) -> None:
        c = self.choice()
        self.problem.hide()
        if c is None:
            self.note.setText(_("The customer has no address to write to."))
            self.start.setEnabled(False)
            return
        words = []
        if c.how is FirstContact.REFUSED:
            words.append(c.why)
        elif c.how is FirstContact.TEMPLATE:
            words.append(c.why + " " + _("Start opens the approved templates."))
        if c.address and not c.verified:
            words.append(_("This address is not verified: make sure it is the customer's."))
        self.note.setText(" ".join(words))
        is_email = c.channel == "email"
        self.subject.setEnabled(is_email)
        self.message.setEnabled(c.how is FirstContact.FREE)
        self.start.setEnabled(c.how is not FirstContact.REFUSED)
        if words:
            announce(self.to, " ".join(words))

    def _refuse(self, text: str, focus: QWidget) -> None:
        self.problem.setText(text)
        self.problem.show()
        announce(self, text, assertive=True)
        focus.setFocus()

    def _submit(self) -> None:
        c = self.choice()
        if c is None or c.how is FirstContact.REFUSED:
            self._refuse(c.why if c else _("Choose where to write."), self.to)
            return
        if c.how is FirstContact.TEMPLATE:
            self.template_requested.emit(c)
            self.accept()
            return
        if c.channel == "email" and not self.subject_text():
            self._refuse(_("An email needs a subject."), self.subject)
            return
        if not self.body().strip():
            self._refuse(_("Write the message first."), self.message)
            return
        self.accept()
