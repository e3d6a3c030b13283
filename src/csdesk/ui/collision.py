"""Who else is on the open conversation: "Mateo Ruiz is typing a reply".

The desk heartbeats its presence (the open conversation, whether the agent is typing) every
``HEARTBEAT_MS`` and whenever typing starts or stops; the answer lists the other agents there.
The notice is shown in the conversation view and announced when it changes, so two agents do
not answer the same customer at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from csdesk.i18n import ngettext

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation
    from csdesk.sync.api import Viewer
    from csdesk.ui.panels.conversation import ConversationPanel
    from csdesk.ui.tasks import Tasks

#: The server forgets a desk after ~30 s without a heartbeat.
HEARTBEAT_MS = 5_000


def collision_text(viewers: list[Viewer]) -> str:
    """The notice for the other agents on a conversation ("" when nobody else is there)."""
    typers = [v.display_name for v in viewers if v.typing]
    lookers = [v.display_name for v in viewers if not v.typing]
    parts = []
    if typers:
        parts.append(
            ngettext("{names} is typing a reply", "{names} are typing replies", len(typers)).format(
                names=", ".join(typers)
            )
        )
    if lookers:
        parts.append(
            ngettext(
                "{names} is viewing this conversation",
                "{names} are viewing this conversation",
                len(lookers),
            ).format(names=", ".join(lookers))
        )
    return "; ".join(parts)


class CollisionWatch(QObject):
    """No signals: it drives ``ConversationPanel.show_collision`` and ``say``."""

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
        self.conversation_id: str | None = None
        self.typing = False
        self.notice = ""
        self._asked = 0  # heartbeats sent, and the newest one whose answer was shown
        self._answered = 0
        self.timer = QTimer(self)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.heartbeat)
        self.timer.start()
        panel.composer.typing.connect(self._typing_changed)

    def follow(self, conversation_id: str | None) -> None:
        """The agent opened another conversation: forget the old notice, say where we are."""
        self.conversation_id = conversation_id
        self.typing = False
        self.notice = ""
        self._panel.show_collision(None)
        self.heartbeat()

    def stop(self) -> None:
        self.timer.stop()

    def _typing_changed(self, typing: bool) -> None:
        self.typing = typing
        self.heartbeat()

    def heartbeat(self) -> None:
        cid, typing = self.conversation_id, self.typing
        self._asked += 1
        seq = self._asked

        def done(viewers: list[Viewer]) -> None:
            if cid != self.conversation_id:
                return  # the agent moved on while we asked
            if seq < self._answered:
                return  # a slow older answer must not undo a newer one
            self._answered = seq
            text = collision_text(viewers)
            self._panel.show_collision(text or None)
            if text and text != self.notice:
                self._say(text)
            self.notice = text

        self._tasks.run(lambda: self._ws.presence(cid, typing), done)
