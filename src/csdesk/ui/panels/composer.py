"""The composer: knows the channel (email fields, SMS segments, WhatsApp's 24-hour window),
replies or writes internal notes, and inserts canned responses with placeholders filled."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.domain import sms, whatsapp
from csdesk.domain.enums import Channel
from csdesk.i18n import _, ngettext
from csdesk.storage.types import utcnow


class Composer(QWidget):
    """Signals: ``send_requested(str body, bool note, str subject)``, ``typing(bool)``,
    ``canned_requested()``."""

    send_requested = Signal(str, bool, str)
    typing = Signal(bool)
    canned_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._channel = Channel.EMAIL.value
        self._last_inbound: datetime | None = None
        self._typing = False

        self.to = QLineEdit(self)
        self.to.setObjectName("composer_to")
        self.to.setReadOnly(True)
        self.to.setAccessibleName(_("To"))
        self.cc = QLineEdit(self)
        self.cc.setObjectName("composer_cc")
        self.cc.setAccessibleName(_("Cc"))
        self.cc.setPlaceholderText(_("other addresses, separated by commas"))
        self.subject = QLineEdit(self)
        self.subject.setObjectName("composer_subject")
        self.subject.setAccessibleName(_("Subject"))
        self.email_fields = QWidget(self)
        form = QFormLayout(self.email_fields)
        form.setContentsMargins(0, 0, 0, 0)
        for label, field in (
            (_("&To:"), self.to),
            (_("&Cc:"), self.cc),
            (_("Su&bject:"), self.subject),
        ):
            lab = QLabel(label, self.email_fields)
            lab.setBuddy(field)
            form.addRow(lab, field)

        self.note = QCheckBox(_("&Internal note (only agents see it)"), self)
        self.note.setObjectName("composer_note")
        self.note.setAccessibleName(_("Internal note"))
        self.note.setAccessibleDescription(
            _("When checked, the text is saved as a note for agents and not sent to the customer")
        )
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("composer_text")
        self.text.setAccessibleName(_("Reply text"))
        self.text.setAccessibleDescription(
            _("Ctrl+Enter sends; Ctrl+Shift+C inserts a canned response; Tab leaves the field")
        )
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(_("Write a reply…"))
        self.counter = QLabel(self)
        self.counter.setObjectName("composer_counter")
        self.notice = QLabel(self)
        self.notice.setObjectName("composer_notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.canned = QPushButton(_("Canned &response…"), self)
        self.canned.setObjectName("composer_canned")
        self.canned.setAccessibleName(_("Insert canned response"))
        self.send = QPushButton(_("&Send"), self)
        self.send.setObjectName("composer_send")
        self.send.setAccessibleName(_("Send"))
        self.send.setAccessibleDescription(_("Send the reply (Ctrl+Enter)"))
        self.send.setDefault(False)

        bottom = QHBoxLayout()
        bottom.addWidget(self.note)
        bottom.addStretch(1)
        bottom.addWidget(self.counter)
        bottom.addWidget(self.canned)
        bottom.addWidget(self.send)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.email_fields)
        layout.addWidget(self.notice)
        layout.addWidget(self.text, 1)
        layout.addLayout(bottom)

        self.text.textChanged.connect(self._changed)
        self.note.toggled.connect(lambda _on: self._update())
        self.send.clicked.connect(self.submit)
        self.canned.clicked.connect(self.canned_requested.emit)

    # --- state ---------------------------------------------------------------------------

    def set_conversation(
        self,
        channel: str,
        *,
        to: str = "",
        subject: str = "",
        last_inbound_at: datetime | None = None,
    ) -> None:
        self._channel = channel
        self._last_inbound = last_inbound_at
        self.to.setText(to)
        self.subject.setText(
            subject if subject.lower().startswith("re:") or not subject else f"Re: {subject}"
        )
        self.cc.clear()
        self.email_fields.setVisible(channel == Channel.EMAIL.value)
        self._update()

    def start(self, note: bool) -> None:
        self.note.setChecked(note)
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def clear(self) -> None:
        self.text.clear()
        self.note.setChecked(False)
        self._set_typing(False)

    def insert(self, text: str) -> None:
        self.text.insertPlainText(text)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        body = self.text.toPlainText().strip()
        if not body:
            self._show_notice(_("The reply is empty."))
            return
        if not self.send.isEnabled():
            return
        subject = self.subject.text() if self._channel == Channel.EMAIL.value else ""
        self.send_requested.emit(body, self.note.isChecked(), subject)

    # --- channel rules -------------------------------------------------------------------

    def _changed(self) -> None:
        self._set_typing(bool(self.text.toPlainText().strip()))
        self._update()

    def _set_typing(self, typing: bool) -> None:
        if typing != self._typing:
            self._typing = typing
            self.typing.emit(typing)

    def _show_notice(self, text: str | None) -> None:
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))

    def _update(self) -> None:
        note = self.note.isChecked()
        body = self.text.toPlainText()
        self.text.setPlaceholderText(_("Write an internal note…") if note else _("Write a reply…"))
        self.send.setText(_("Save &note") if note else _("&Send"))
        allowed, notice = True, None
        if not note and self._channel == Channel.WHATSAPP.value:
            window = whatsapp.window_state(self._last_inbound, utcnow())
            if not window.open:
                allowed = False
                notice = _(
                    "WhatsApp's 24-hour window is closed: the customer has not written "
                    "in the last 24 hours, so only approved templates can be sent."
                )
            elif window.closes_at is not None:
                notice = _("WhatsApp window open until {time}.").format(
                    time=window.closes_at.astimezone().strftime("%H:%M")
                )
        self._show_notice(notice)
        self.send.setEnabled(allowed)
        if not note and self._channel == Channel.SMS.value:
            c = sms.count(body)
            enc = "GSM-7" if c.encoding == sms.SmsEncoding.GSM7 else "UCS-2"
            self.counter.setText(
                ngettext("{n} segment", "{n} segments", c.segments).format(n=c.segments)
                + f" ({enc}), "
                + _("{left} left").format(left=c.remaining)
            )
            self.counter.setAccessibleName(self.counter.text())
            self.counter.show()
        else:
            self.counter.hide()
