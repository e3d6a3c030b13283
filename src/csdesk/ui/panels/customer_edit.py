"""Edit the customer: name, email, phone, language, notes, tags.

Checked here with the server's own rules (``csdesk.customer_rules``) so a typing slip is said
at once, beside the field, and the focus goes back to it; only the fields that changed are
returned, so the edit merges field by field with a colleague's on the server.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.thread import CustomerContext
from csdesk.customer_rules import FieldError, clean_fields, clean_tags
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel, form_row


def _field_errors() -> dict[str, str]:
    return {
        "name": _("Enter the customer's name; it cannot be empty."),
        "email": _(
            "This is not an email address. Use the form name@example.com, or leave it empty."
        ),
        "phone": _(
            "This is not a phone number in international form. Start with + and the country "
            "code (for example +44 20 7946 0958), or leave it empty."
        ),
        "language": _("Enter a language code such as en, de or pt-BR."),
    }


class CustomerEditDialog(QDialog):
    """No signals of its own: ``accepted`` once the input passed the checks; then
    ``changed_fields()`` holds what to send."""

    def __init__(self, ctx: CustomerContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("customer_edit_dialog")
        title = _("Edit customer {name}").format(name=ctx.name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._initial: dict[str, Any] = {
            "name": ctx.name,
            "email": ctx.email or "",
            "phone": ctx.phone or "",
            "language": ctx.language,
            "notes": ctx.notes,
            "tags": list(ctx.tags),
        }
        form = QFormLayout()
        self.name_edit = self._line("name", _("&Name"), ctx.name, form)
        self.email_edit = self._line("email", _("&Email"), ctx.email or "", form)
        self.phone_edit = self._line("phone", _("&Phone"), ctx.phone or "", form)
        self.phone_edit.setPlaceholderText("+44 20 7946 0958")
        self.language_edit = self._line("language", _("&Language"), ctx.language, form)
        self.tags_edit = self._line("tags", _("&Tags"), ", ".join(ctx.tags), form)
        name(self.tags_edit, _("Tags"), _("Tags, separated by commas"))
        # Room for a whole e-mail address at any text size (it scrolled inside the field).
        self.email_edit.setMinimumWidth(self.fontMetrics().averageCharWidth() * 34)
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setObjectName("customer_notes")
        self.notes_edit.setPlainText(ctx.notes)
        self.notes_edit.setTabChangesFocus(True)  # Tab leaves the notes, as in every field
        name(self.notes_edit, _("Notes"), _("Notes about the customer, seen by agents only"))
        notes_label = PlainLabel(_("N&otes"), self)
        notes_label.setBuddy(self.notes_edit)
        form.addRow(notes_label, self.notes_edit)
        self.error = PlainLabel(self)
        self.error.setObjectName("customer_edit_error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        name(save, _("Save customer"), _("Send the changed fields; works offline too"))
        save.setDefault(True)  # Return in any line saves
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"), _("Close without changing the customer"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        self._fields: dict[str, Any] = {}

    def _line(self, key: str, label: str, text: str, form: QFormLayout) -> QLineEdit:
        edit = QLineEdit(text, self)
        edit.setObjectName(f"customer_{key}")
        name(edit, label.replace("&", ""))
        form_row(form, label, edit)  # its label is drawn whole (ui.plain_text.PlainLabel)
        return edit

    def _typed(self) -> dict[str, Any]:
        tags = clean_tags(self.tags_edit.text().split(","))
        return {
            "name": self.name_edit.text(),
            "email": self.email_edit.text(),
            "phone": self.phone_edit.text(),
            "language": self.language_edit.text(),
            "notes": self.notes_edit.toPlainText(),
            "tags": tags,
        }

    def _widget_for(self, key: str) -> QWidget:
        return {
            "name": self.name_edit,
            "email": self.email_edit,
            "phone": self.phone_edit,
            "language": self.language_edit,
            "tags": self.tags_edit,
        }.get(key, self.notes_edit)

    def _check(self) -> None:
        for key in ("name", "email", "phone", "language", "tags"):  # the last refusal is gone
            self._widget_for(key).setAccessibleDescription("")
        self.tags_edit.setAccessibleDescription(_("Tags, separated by commas"))
        self.error.hide()
        typed = self._typed()
        changed = {
            k: v
            for k, v in typed.items()
            if (v.strip() if isinstance(v, str) and k != "notes" else v) != self._initial[k]
        }
        try:
            clean = clean_fields(changed)
        except FieldError as exc:
            self._refuse(exc.field)
            return
        # Compared once cleaned too: "ann@EXAMPLE.com" typed over "ann@example.com" is no edit.
        stored = {**self._initial, "email": self.ctx.email, "phone": self.ctx.phone}
        self._fields = {k: v for k, v in clean.items() if v != stored[k]}
        self.accept()

    def _refuse(self, key: str) -> None:
        text = _field_errors().get(key, _("Check this field."))
        self.error.setText(text)
        self.error.show()
        widget = self._widget_for(key)
        widget.setAccessibleDescription(text)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()
        announce(self, text, assertive=True)

    def changed_fields(self) -> dict[str, Any]:
        """What the agent changed, in its stored form (empty if nothing did)."""
        return dict(self._fields)
