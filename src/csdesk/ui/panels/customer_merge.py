"""Merge into another customer: a searchable chooser of the profile to keep, then a preview
of what moves before anything is sent.

The chooser is keyboard-first: type to narrow (the search runs on a worker, the list follows),
Down or Tab to the list, Enter to choose. ``choose.py``'s list cannot search, hence this one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.customers import CustomerChoice, MergePreview
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce, name
from csdesk.ui.panels.customer_card import identity_kind
from csdesk.ui.plain_text import PlainLabel

Search = Callable[[str, Callable[[list[CustomerChoice]], None]], None]


def choice_label(c: CustomerChoice) -> str:
    parts = [c.name]
    parts += [v for v in (c.email, c.phone) if v]
    parts.append(
        ngettext("{n} conversation", "{n} conversations", c.conversations).format(n=c.conversations)
    )
    return " · ".join(parts)


class _SearchField(QLineEdit):
    """Down moves to the list (Tab does too), as in a combo box's popup."""

    def __init__(self, to_list: Callable[[], None], parent: QWidget) -> None:
        super().__init__(parent)
        self._to_list = to_list

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self._to_list()
            return
        super().keyPressEvent(event)


class CustomerChooser(QDialog):
    """Choose the customer to keep. No signals of its own: ``accepted`` with ``chosen()``."""

    def __init__(
        self,
        source_name: str,
        search: Search,
        parent: QWidget | None = None,
        *,
        wording: tuple[str, str, str, str] | None = None,
        none_text: str | None = None,
    ) -> None:
        """``wording``: (title, intro, button, button description) for another use of the
        chooser (linking a conversation); the merge's own by default. ``none_text``: what an
        empty list says ("No other customer matches." by default)."""
        super().__init__(parent)
        self._none_text = none_text or _("No other customer matches.")
        self.setObjectName("merge_chooser")
        title, intro_text, button, button_help = wording or (
            _("Merge {name} into another customer").format(name=source_name),
            _(
                "Find the profile to keep; {name}'s conversations, identities and orders "
                "move to it."
            ).format(name=source_name),
            _("Preview merge…"),
            _("Show what moves before merging"),
        )
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._search = search
        self._query = ""
        intro = PlainLabel(intro_text, self)
        intro.setWordWrap(True)
        self.field = _SearchField(self._to_list, self)
        self.field.setObjectName("merge_search")
        self.field.setPlaceholderText(_("Name, email, phone…"))
        name(self.field, _("Find customer"), _("Type to narrow the list; Down goes to it"))
        caption = PlainLabel(_("&Find customer"), self)
        caption.setBuddy(self.field)
        self.list = QListWidget(self)
        self.list.setObjectName("merge_matches")
        name(self.list, _("Matching customers"), _("Enter chooses the highlighted customer"))
        self.list.itemActivated.connect(lambda _item: self._choose())
        self.status = PlainLabel(self)
        self.status.setObjectName("merge_status")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.next_button = buttons.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
        name(self.next_button, button.rstrip("…"), button_help)
        self.next_button.setDefault(True)  # Return in the search field or the list
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"), _("Close without changing anything"))
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (intro, caption, self.field, self.list, self.status, buttons):
            layout.addWidget(w)
        self.field.textChanged.connect(self._ask)
        self.field.setFocus()
        self._choices: list[CustomerChoice] = []
        self._answered = False  # searches still running find the dialog gone
        self.finished.connect(self._close_searches)
        self._ask("")

    def _close_searches(self, _result: int) -> None:
        self._answered = True

    def _to_list(self) -> None:
        self.list.setFocus()
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)

    def _ask(self, text: str) -> None:
        self._query = text

        def done(found: list[CustomerChoice]) -> None:
            self._show(text, found)

        self._search(text, done)

    def _show(self, query: str, found: list[CustomerChoice]) -> None:
        if query != self._query or self._answered:
            return  # an older search's answer (the agent typed on), or the dialog is gone
        self._choices = found
        self.list.clear()
        for c in found:
            item = QListWidgetItem(choice_label(c))  # plain text: a list item is never HTML
            self.list.addItem(item)
        if found:
            self.list.setCurrentRow(0)
        text = (
            ngettext("{n} customer found", "{n} customers found", len(found)).format(n=len(found))
            if found
            else self._none_text
        )
        self.status.setText(text)
        announce(self, text)

    def _choose(self) -> None:
        if self.list.currentRow() >= 0 and self.isVisible():
            self.accept()

    def chosen(self) -> CustomerChoice | None:
        row = self.list.currentRow()
        return self._choices[row] if 0 <= row < len(self._choices) else None


def preview_text(p: MergePreview) -> str:
    lines = [
        _("Merge {source} into {target}?").format(source=p.source_name, target=p.target_name),
        _("{target} is kept; {source} is folded into it. You can undo this afterwards.").format(
            source=p.source_name, target=p.target_name
        ),
        ngettext("{n} conversation moves.", "{n} conversations move.", p.conversations).format(
            n=p.conversations
        ),
    ]
    if p.identities:
        # A chat visitor's value is a session hash: said by kind only, never shown.
        ways = ", ".join(
            identity_kind(kind) if kind == "chat_visitor" else f"{identity_kind(kind)} {value}"
            for kind, value in p.identities
        )
        lines.append(_("Identities that move: {ways}.").format(ways=ways))
    else:
        lines.append(_("No identities move."))
    if p.orders:
        lines.append(_("Orders that move: {numbers}.").format(numbers=", ".join(p.orders)))
    else:
        lines.append(_("No orders move."))
    for field, value in p.filled:
        lines.append(_("{target} gains the {field} {value}.").format(
            target=p.target_name, field=field, value=value
        ))  # fmt: skip
    return "\n".join(lines)


class MergePreviewDialog(QDialog):
    """What a merge moves, and a button to do it. No signals of its own (``accepted``)."""

    def __init__(self, preview: MergePreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("merge_preview")
        title = _("Merge {source} into {target}").format(
            source=preview.source_name, target=preview.target_name
        )
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        text = preview_text(preview)
        self.setAccessibleDescription(text)
        self.summary = PlainLabel(text, self)
        self.summary.setObjectName("merge_summary")
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.merge_button = buttons.addButton(_("&Merge"), QDialogButtonBox.ButtonRole.AcceptRole)
        name(
            self.merge_button,
            _("Merge {source} into {target}").format(
                source=preview.source_name, target=preview.target_name
            ),
            text,
        )
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"), _("Close without changing anything"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.merge_button.setDefault(True)
        self.merge_button.setFocus()
