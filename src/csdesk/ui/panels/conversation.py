"""The open conversation: header, actions, collision notice, thread and composer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QToolButton, QVBoxLayout, QWidget

from csdesk.app.present import conversation_header
from csdesk.app.thread import ConversationView
from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.action_row import ActionRow, action_tip
from csdesk.ui.elide import OneLineLabel
from csdesk.ui.icons import icon, icon_size
from csdesk.ui.models.thread_model import ThreadModel
from csdesk.ui.panels.composer import Composer
from csdesk.ui.panels.conversation_chips import ACTION_ICONS, HeaderChips
from csdesk.ui.panels.thread_view import ThreadView
from csdesk.ui.plain_text import PlainLabel

__all__ = ["ConversationPanel", "action_tip"]


class ConversationPanel(QWidget):
    def __init__(
        self, me: str, theme: Theme, actions: list[QAction], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self.header = OneLineLabel(self)  # a long subject must not push Send off the screen
        self.header.setObjectName("conversation_header")
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.header.setProperty("role", "heading")
        self.chips = HeaderChips(theme, self)
        self.theme = theme
        self.collision = PlainLabel(self)
        self.collision.setObjectName("collision")
        self.collision.hide()
        # Not given an accessible name (it would hide the text); the change is announced.
        self.visitor_typing = PlainLabel(_("The customer is typing…"), self)
        self.visitor_typing.setObjectName("visitor_typing")
        self.visitor_typing.hide()
        self.rejection = PlainLabel(self)
        self.rejection.setObjectName("rejection")
        self.rejection.setWordWrap(True)
        self.rejection.hide()
        # One line at any text size: what does not fit is in its "More" menu (action_row.py).
        self.action_row = ActionRow(actions, _("Conversation actions"), self)
        self.buttons: list[QToolButton] = self.action_row.buttons
        self.model = ThreadModel(me)
        self.messages = ThreadView(self.model, theme, self)
        self.composer = Composer(self)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.messages)
        split.addWidget(self.composer)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.chips)
        layout.addWidget(self.action_row)
        layout.addWidget(self.collision)
        layout.addWidget(self.visitor_typing)
        layout.addWidget(self.rejection)
        layout.addWidget(split, 1)
        self.current: ConversationView | None = None
        self.set_theme(theme)
        self.show_conversation(None, "", None)

    def set_theme(self, theme: Theme) -> None:
        """Icons of the action buttons and the header in the theme's text colour."""
        self.theme = theme
        self.chips.set_theme(theme)
        side = icon_size(self.fontMetrics().height())
        for button in self.buttons:
            name = ACTION_ICONS.get(button.objectName().removeprefix("button_"))
            if name:
                self.action_row.set_icon(button, icon(name, theme.text, side.width()), side)
        self.action_row.set_more_icon(icon("ellipsis", theme.text, side.width()), side)

    def show_conversation(
        self,
        conv: ConversationView | None,
        customer_name: str,
        assignee_name: str | None,
        *,
        email_to: str = "",
    ) -> None:
        same = conv is not None and self.current is not None and conv.id == self.current.id
        self.current = conv
        enabled = conv is not None
        self.action_row.set_enabled(enabled)
        self.composer.setEnabled(enabled)
        self.chips.show_conversation(conv, customer_name, assignee_name)
        self.header.set_one_line(conv is not None)  # the hint with none open is read whole
        if conv is None:
            self.header.setText(
                _("No conversation is open. Choose one in the list (J and K move, Enter opens).")
            )
            self.header.setAccessibleDescription("")
            self.model.set_messages(())
            return
        self.header.setText(conv.subject or _("(no subject)"))
        # The whole header as one sentence for a screen reader (chips are read one by one).
        self.header.setAccessibleDescription(
            conversation_header(conv, customer_name, assignee_name)
        )
        self.model.set_messages(conv.messages)
        if not same:
            self.composer.set_conversation(
                conv.channel,
                to=email_to,
                subject=conv.subject,
                last_inbound_at=conv.last_inbound_at,
            )
            self.messages.go_to_last()
            self.rejection.hide()
        else:
            self.composer._last_inbound = conv.last_inbound_at

    def show_collision(self, text: str | None) -> None:
        self.collision.setText(text or "")
        self.collision.setVisible(bool(text))

    def show_visitor_typing(self, typing: bool) -> None:
        """The chat visitor is typing (see ``ui.visitor_typing``)."""
        self.visitor_typing.setVisible(typing)

    def show_rejection(self, text: str | None) -> None:
        self.rejection.setText(text or "")
        self.rejection.setVisible(bool(text))
