"""The open conversation: header, actions, collision notice, thread and composer."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QToolButton, QVBoxLayout, QWidget

from csdesk.app.present import conversation_header
from csdesk.app.thread import ConversationView
from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.action_row import ActionRow, action_tip
from csdesk.ui.drafts import Draft, DraftBook, draft_of, put_draft
from csdesk.ui.elide import OneLineLabel
from csdesk.ui.icons import icon, icon_size
from csdesk.ui.models.thread_model import ThreadModel
from csdesk.ui.panels.composer import Composer
from csdesk.ui.panels.conversation_chips import ACTION_ICONS, HeaderChips
from csdesk.ui.panels.thread_view import ThreadView
from csdesk.ui.plain_text import PlainLabel

__all__ = ["ConversationPanel", "action_tip"]


class ConversationPanel(QWidget):
    """No signals. With a ``DraftBook`` (the main window's), each conversation keeps its own
    draft: leaving one puts what its composer holds aside, opening one puts its draft back, or
    leaves the composer empty with the note switch off (ui/drafts.py). Without one (a pop-out,
    which shows one conversation) the composer is simply emptied for another conversation."""

    def __init__(
        self,
        me: str,
        theme: Theme,
        actions: list[QAction],
        parent: QWidget | None = None,
        *,
        drafts: DraftBook | None = None,
    ) -> None:
        super().__init__(parent)
        self.drafts = drafts
        #: Whether a conversation's reply is being written in a window of its own (set by the
        #: pop-out desk): this panel's composer then stays empty and off for it.
        self.written_elsewhere: Callable[[str], bool] = lambda _cid: False
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
        old = self.current
        same = conv is not None and old is not None and conv.id == old.id
        carried: Draft | None = None  # the draft of one merged away, going along with it
        if old is not None and not same:
            if conv is not None and conv.landed_from == old.id:
                carried = draft_of(self.composer)
            elif self.drafts is not None:
                self.drafts.keep(old.id, draft_of(self.composer))  # left: put aside
        self.current = conv
        enabled = conv is not None
        self.action_row.set_enabled(enabled)
        self.chips.show_conversation(conv, customer_name, assignee_name)
        self.header.set_one_line(conv is not None)  # the hint with none open is read whole
        if conv is None:
            self.header.setText(
                _("No conversation is open. Choose one in the list (J and K move, Enter opens).")
            )
            self.header.setAccessibleDescription("")
            self.model.set_messages(())
            self.refresh_composer()  # off; what it holds stays readable (and is kept)
            return
        self.header.setText(conv.subject or _("(no subject)"))
        # The whole header as one sentence for a screen reader (chips are read one by one).
        self.header.setAccessibleDescription(
            conversation_header(conv, customer_name, assignee_name)
        )
        # The composer before the thread: the thread's reset brings back a refused note into
        # an empty composer (mention_desk.py), which must not be emptied after it.
        if not same:
            self.composer.set_conversation(
                conv.channel,
                to=email_to,
                subject=conv.subject,
                last_inbound_at=conv.last_inbound_at,
            )
            self._put_back(conv.id, carried)
        else:
            self.composer._last_inbound = conv.last_inbound_at
        self._take_landed(conv)
        self.refresh_composer()
        self.model.set_messages(conv.messages)
        if not same:
            self.messages.go_to_last()
            self.rejection.hide()

    def _put_back(self, cid: str, carried: Draft | None) -> None:
        """Into the emptied composer: the conversation's kept draft (with one carried along)."""
        if self.drafts is not None:
            if self.written_elsewhere(cid):  # its own window writes it; joined when it closes
                self.drafts.keep(cid, carried)
                return
            kept = self.drafts.take(cid)
            if kept is not None:
                carried = kept if carried is None else kept.joined(carried)
        if carried is not None and not carried.empty():
            put_draft(self.composer, carried)

    def _take_landed(self, conv: ConversationView) -> None:
        """Opened a conversation merged into this one (by a colleague, after the agent left
        it with a draft): its draft, kept under its own id, joins this one's. It was out of
        reach before: opening it landed here with the composer as it was (re-review)."""
        landed = conv.landed_from
        if self.drafts is None or landed is None or landed not in self.drafts:
            return
        if self.written_elsewhere(conv.id):  # its own window writes it; joined when it closes
            self.drafts.keep(conv.id, self.drafts.take(landed))
            return
        kept = self.drafts.take(landed)
        if kept is not None and not kept.empty():
            joined = draft_of(self.composer).joined(kept)
            self.composer.attachments.clear()  # put back whole, each file once
            put_draft(self.composer, joined)

    def refresh_composer(self) -> None:
        """The composer on for the conversation shown, unless its window of its own (a pop-out)
        is writing it; call when a pop-out opens or closes."""
        conv = self.current
        elsewhere = conv is not None and self.written_elsewhere(conv.id)
        self.composer.set_written_elsewhere(elsewhere)
        self.composer.setEnabled(conv is not None and not elsewhere)

    def sent(self, conversation_id: str, body: str) -> bool:
        """``body`` was queued for ``conversation_id``: it is no draft any more. Whether this
        composer showed it and was emptied (the agent may have moved on meanwhile: then the
        composer holds another conversation's draft, left alone)."""
        conv = self.current
        if conv is not None and conversation_id in (conv.id, conv.landed_from):
            self.composer.clear()
            return True
        if self.drafts is not None:
            self.drafts.forget_sent(conversation_id, body)
        return False

    def show_collision(self, text: str | None) -> None:
        self.collision.setText(text or "")
        self.collision.setVisible(bool(text))

    def show_visitor_typing(self, typing: bool) -> None:
        """The chat visitor is typing (see ``ui.visitor_typing``)."""
        self.visitor_typing.setVisible(typing)

    def show_rejection(self, text: str | None) -> None:
        self.rejection.setText(text or "")
        self.rejection.setVisible(bool(text))
