"""Sign in to a csdesk server: URL, user name, password, and a clear message for each failure."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _
from csdesk.ui.a11y import announce
from csdesk.ui.plain_text import PlainLabel


class SignInDialog(QDialog):
    """Signals: ``submitted(str url, str username, str password)``."""

    submitted = Signal(str, str, str)

    def __init__(
        self,
        url: str = "",
        username: str = "",
        parent: QWidget | None = None,
        *,
        fixed_url: bool = False,
        hint: str | None = None,
    ) -> None:
        """``fixed_url``: the server is given (the embedded demo server), only who signs in
        is asked; ``hint`` says whom (the demo users)."""
        super().__init__(parent)
        self.setObjectName("signin")
        self.setWindowTitle(_("Sign in to csdesk"))
        self.url = QLineEdit(url, self)
        self.url.setObjectName("signin_url")
        self.url.setAccessibleName(_("Server address"))
        self.url.setPlaceholderText("https://csdesk.example.com")
        self.url.setReadOnly(fixed_url)
        # A server address reads whole (it was cut to "://desk.example.com" at Qt's default
        # width); in the font in force, so large text gets a wider field.
        self.url.setMinimumWidth(
            self.url.fontMetrics().horizontalAdvance("https://csdesk.example.com:8443") + 24
        )
        self.username = QLineEdit(username, self)
        self.username.setObjectName("signin_username")
        self.username.setAccessibleName(_("User name"))
        self.password = QLineEdit(self)
        self.password.setObjectName("signin_password")
        self.password.setAccessibleName(_("Password"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.hint = PlainLabel(hint or "", self)
        self.hint.setObjectName("signin_hint")
        self.hint.setWordWrap(True)
        self.hint.setVisible(bool(hint))
        self.error = PlainLabel(self)
        self.error.setObjectName("signin_error")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        for text, field in (
            (_("&Server:"), self.url),
            (_("&User name:"), self.username),
            (_("&Password:"), self.password),
        ):
            label = PlainLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Sign in"))
        ok.setAccessibleName(_("Sign in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(_("Cancel"))
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        (self.password if url and username else self.url if not url else self.username).setFocus()

    def _submit(self) -> None:
        url, user, password = (
            self.url.text().strip(),
            self.username.text().strip(),
            self.password.text(),
        )
        if not url.startswith(("http://", "https://")):
            self.show_error(_("The server address must start with https:// (or http://)."))
            self.url.setFocus()
            return
        if not user or not password:
            self.show_error(_("Enter your user name and password."))
            (self.username if not user else self.password).setFocus()
            return
        self.set_busy(True)
        self.submitted.emit(url, user, password)

    def reset(self, username: str = "") -> None:
        """Ready for the next person: not busy, no password, no old message (after sign-out
        the dialog must never come back frozen on "Signing in…" with a password in it)."""
        self.set_busy(False)
        self.password.clear()
        self.error.clear()
        self.error.hide()
        self.username.setText(username)
        (self.password if username else self.username).setFocus()

    def set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        if busy:
            self.error.setText(_("Signing in…"))
            self.error.show()

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()
        announce(self, message, assertive=True)
        self.password.selectAll()
        self.password.setFocus()
