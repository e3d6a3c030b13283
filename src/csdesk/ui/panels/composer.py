"""The composer: knows the channel (email fields, SMS segments, WhatsApp's 24-hour window),
replies or writes internal notes, and inserts canned responses with placeholders filled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.present import channel_label
from csdesk.app.when import moment
from csdesk.domain import attachment_limits, sms, whatsapp
from csdesk.domain.enums import Channel
from csdesk.i18n import _, ngettext
from csdesk.storage.types import utcnow
from csdesk.ui.flow_layout import FlowRow
from csdesk.ui.panels.attachments_strip import AttachedFile, AttachmentsStrip
from csdesk.ui.plain_text import PlainLabel


class Composer(QWidget):
    """Signals: ``send_requested(str body, bool note, str subject)``, ``typing(bool)``,
    ``canned_requested()``, ``template_requested()`` (WhatsApp's "Use template…"),
    ``attach_requested()`` ("Attach file…": the window opens the file dialog)."""

    send_requested = Signal(str, bool, str)
    typing = Signal(bool)
    canned_requested = Signal()
    template_requested = Signal()
    attach_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._channel = Channel.EMAIL.value
        self._last_inbound: datetime | None = None
        self._typing = False
        self._files_block = False  # the attached files break the channel's rules
        self._elsewhere = False  # the conversation's reply is written in its own window

        self.to = QLineEdit(self)
        self.to.setObjectName("composer_to")
        self.to.setReadOnly(True)
        self.to.setAccessibleName(_("To"))
        self.subject = QLineEdit(self)
        self.subject.setObjectName("composer_subject")
        self.subject.setAccessibleName(_("Subject"))
        self.email_fields = QWidget(self)
        form = QFormLayout(self.email_fields)
        form.setContentsMargins(0, 0, 0, 0)
        # No Cc field: the server sends a reply to the conversation's address alone
        # (``message.send`` carries no Cc and the mail sender adds none), and a field nothing
        # read let agents believe a copy had gone out.
        for label, field in ((_("&To:"), self.to), (_("Su&bject:"), self.subject)):
            lab = PlainLabel(label, self.email_fields)
            lab.setBuddy(field)
            form.addRow(lab, field)

        self.text = QPlainTextEdit(self)
        self.text.setObjectName("composer_text")
        self.text.setAccessibleName(_("Reply text"))
        self._hint = _(
            "Ctrl+Enter sends; Ctrl+Shift+C inserts a canned response; Tab leaves the field"
        )
        self.text.setAccessibleDescription(self._hint)
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(_("Write a reply…"))
        # After the text, where it sits on screen (Tab went to it before the reply text).
        # Short, so it shares a line with the buttons at large text; who sees a note is in
        # its description and tooltip.
        self.note = QCheckBox(_("&Internal note"), self)
        self.note.setToolTip(_("Only agents see internal notes; the customer never does."))
        self.note.setObjectName("composer_note")
        self.note.setAccessibleName(_("Internal note"))
        self.note.setAccessibleDescription(
            _("When checked, the text is saved as a note for agents and not sent to the customer")
        )
        self.counter = PlainLabel(self)
        self.counter.setObjectName("composer_counter")
        self.notice = PlainLabel(self)
        self.notice.setObjectName("composer_notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.canned = QPushButton(_("Canned &response…"), self)
        self.canned.setObjectName("composer_canned")
        self.canned.setAccessibleName(_("Insert canned response"))
        self.template = QPushButton(_("Use te&mplate…"), self)
        self.template.setObjectName("composer_template")
        self.template.setAccessibleName(_("Use template"))
        self.template.setAccessibleDescription(
            _("Send an approved WhatsApp template (Ctrl+Shift+M)")
        )
        self.template.hide()
        # Files on the reply (attachments_strip.py); the limits are the channel's.
        self.attach = QPushButton(_("Attach &file…"), self)
        self.attach.setObjectName("composer_attach")
        self.attach.setAccessibleName(_("Attach file"))
        self.attach.setAccessibleDescription(_("Add a file to the reply or note (Ctrl+Shift+F)"))
        self.attachments = AttachmentsStrip(self)
        self.send = QPushButton(_("&Send"), self)
        self.send.setObjectName("composer_send")
        self.send.setAccessibleName(_("Send"))
        self.send.setAccessibleDescription(_("Send the reply (Ctrl+Enter)"))
        self.send.setDefault(False)

        # The note switch and the buttons wrap onto more lines at large text sizes rather than
        # forcing the window wider than the screen (tests/a11y/test_text_scaling.py,
        # test_fit_screens.py): side by side, the switch's label alone made the composer
        # 818 px wide at 200 %, and with the call script docked the window grew to 1,853 px.
        self.buttons = FlowRow(self, align_right=True)
        self.buttons.setObjectName("composer_buttons")
        for widget in (self.note, self.counter, self.canned, self.attach, self.template):
            self.buttons.flow.addWidget(widget)
        self.buttons.flow.addWidget(self.send)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.email_fields)
        layout.addWidget(self.notice)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.attachments)
        layout.addWidget(self.buttons)

        self.text.textChanged.connect(self._changed)
        self.note.toggled.connect(lambda _on: self._update())
        self.send.clicked.connect(self.submit)
        self.canned.clicked.connect(self.canned_requested.emit)
        self.template.clicked.connect(self.template_requested.emit)
        self.attach.clicked.connect(self.attach_requested.emit)
        self.attachments.changed.connect(self._update)

    # --- state ---------------------------------------------------------------------------

    def set_conversation(
        self,
        channel: str,
        *,
        to: str = "",
        subject: str = "",
        last_inbound_at: datetime | None = None,
    ) -> None:
        """Show another conversation with an empty reply box: nothing written for one customer
        (text, note switch, files) ever follows to another. The conversation's own draft, if
        it has one, is put back afterwards (``ConversationPanel``, ``drafts.put_draft``)."""
        self._channel = channel
        self._last_inbound = last_inbound_at
        self.to.setText(to)
        self.subject.setText(
            subject if subject.lower().startswith("re:") or not subject else f"Re: {subject}"
        )
        self.clear()  # also forgets the undo history: Ctrl+Z never brings another's text back
        self.email_fields.setVisible(channel == Channel.EMAIL.value)
        self._update()

    def set_written_elsewhere(self, elsewhere: bool) -> None:
        """The conversation shown is being written in a window of its own (a pop-out owns its
        draft): the reply box says so and stays empty until that window closes."""
        if elsewhere == self._elsewhere:
            return
        self._elsewhere = elsewhere
        self.text.setAccessibleDescription(
            _("This conversation is already in its own window.") if elsewhere else self._hint
        )
        self._update()

    def start(self, note: bool) -> None:
        self.note.setChecked(note)
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def clear(self) -> None:
        self.text.clear()
        self.attachments.clear()
        self.note.setChecked(False)
        self._set_typing(False)

    def insert(self, text: str) -> None:
        self.text.insertPlainText(text)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    # Translation (issue 13): the draft replaced by its translation, one Ctrl+Z brings it back.
    def replace_text(self, text: str) -> None:
        """Put ``text`` in place of the whole draft as one undoable edit (``setPlainText``
        would forget the undo history)."""
        cursor = self.text.textCursor()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.text.setTextCursor(cursor)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def add_files(self, files: Sequence[AttachedFile]) -> None:
        """Attach ``files`` (sizes already read), each only if the channel takes it: a file
        over a limit is refused at once with the reason, never later at sending."""
        kept = self.attachments.files()
        problem = None
        for f in files:
            refusal = attachment_limits.check(
                self._channel, [k.info() for k in [*kept, f]], note=self.note.isChecked()
            )
            if refusal is None:
                kept.append(f)
            elif problem is None:
                problem = self._refusal_text(refusal)
        self.attachments.add(kept)
        self.attachments.set_problem(problem)

    def attached(self) -> list[Path]:
        """The files to send with the reply."""
        return [f.path for f in self.attachments.files()]

    def _refusal_text(self, refusal: attachment_limits.Refusal) -> str:
        p = attachment_limits.Problem
        channel = channel_label(self._channel)
        limit = attachment_limits.human_size(refusal.limit)
        if refusal.problem == p.NO_FILES_HERE:
            return _("Files cannot be sent on {channel}; attach them to an internal note.").format(
                channel=channel
            )
        if refusal.problem == p.TOO_MANY:
            return ngettext(
                "At most {n} file can go on one {channel} message.",
                "At most {n} files can go on one {channel} message.",
                refusal.limit,
            ).format(n=refusal.limit, channel=channel)
        if refusal.problem == p.EMPTY:
            return _("{name} is empty and was not attached.").format(name=refusal.name)
        if refusal.problem == p.TOTAL_TOO_BIG:
            return _(
                "{name} was not attached: all files on {channel} together may be at most {limit}."
            ).format(name=refusal.name, channel=channel, limit=limit)
        return _("{name} was not attached: {channel} takes files up to {limit}.").format(
            name=refusal.name, channel=channel, limit=limit
        )

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
        if self._elsewhere:
            self.text.setPlaceholderText(_("This conversation is already in its own window."))
        else:
            self.text.setPlaceholderText(
                _("Write an internal note…") if note else _("Write a reply…")
            )
        self.send.setText(_("Save &note") if note else _("&Send"))
        allowed, notice = True, None
        if not note and self._channel == Channel.WHATSAPP.value:
            now = utcnow()
            window = whatsapp.window_state(self._last_inbound, now)
            if not window.open:
                allowed = False
                notice = (
                    _(
                        "WhatsApp's 24-hour window is closed: the customer has not written "
                        "in the last 24 hours, so only approved templates can be sent."
                    )
                    + " "
                    + _("Choose one with Use template… (Ctrl+Shift+M).")
                )
            elif window.closes_at is not None:
                notice = _("WhatsApp window open until {time}.").format(
                    time=moment(window.closes_at, now)
                )
        self._show_notice(notice)
        files = [f.info() for f in self.attachments.files()]
        refusal = attachment_limits.check(self._channel, files, note=note) if files else None
        if refusal is not None:  # e.g. a note's files, now to be sent as a reply
            allowed = False
            self.attachments.set_problem(self._refusal_text(refusal))
        elif self._files_block:
            self.attachments.set_problem(None)
        self._files_block = refusal is not None
        self.send.setEnabled(allowed)
        self.template.setVisible(self._channel == Channel.WHATSAPP.value)
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
