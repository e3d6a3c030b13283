"""Shows "The customer is typing…" while the open chat conversation's visitor types.

The visitor's notice lives on the server (the widget sends it); the desk asks for it every
``POLL_MS`` while a chat conversation is open, one request at a time, on the window's
``Tasks``.  Screen readers hear it once per typing burst (politely), not on every poll; it
clears when the server says the visitor stopped (about five seconds after the last key) or
at once when their message arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from csdesk.app.chat_typing import visitor_typing
from csdesk.domain.enums import Channel
from csdesk.i18n import _

if TYPE_CHECKING:
    from csdesk.app.thread import ConversationView
    from csdesk.app.workstation import Workstation
    from csdesk.ui.panels.conversation import ConversationPanel
    from csdesk.ui.tasks import Tasks

#: Often enough that the notice follows the typing; the widget refreshes it every 3 s.
POLL_MS = 1500


class VisitorTypingWatch(QObject):
    """No signals: it drives ``ConversationPanel.show_visitor_typing`` and ``say``."""

    def __init__(
        self,
        ws: Workstation,
        tasks: Tasks,
        panel: ConversationPanel,
        say: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws, self._tasks, self._panel, self._say = ws, tasks, panel, say
        self._conversation_id: str | None = None
        self._asking = False
        self.typing = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def follow(self, conv: ConversationView | None) -> None:
        """The open conversation changed or was reloaded: watch it if it is a chat."""
        cid = conv.id if conv is not None and conv.channel == Channel.CHAT.value else None
        if cid == self._conversation_id:
            return
        self._conversation_id = cid
        self._show(False)
        if cid is None:
            self._timer.stop()
        else:
            self._timer.start()
            self.poll()

    def message_arrived(self) -> None:
        """The visitor's message is in the thread: they are no longer typing it."""
        self._show(False)

    def poll(self) -> None:
        cid = self._conversation_id
        if cid is None or self._asking:
            return
        self._asking = True
        ws = self._ws

        def done(typing: bool) -> None:
            self._asking = False
            if cid == self._conversation_id:
                self._show(typing)

        def failed(_exc: Exception) -> None:
            self._asking = False

        self._tasks.run(lambda: visitor_typing(ws, cid), done, failed)

    def _show(self, typing: bool) -> None:
        self._panel.show_visitor_typing(typing)
        if typing and not self.typing:
            self._say(_("The customer is typing…"))
        self.typing = typing
