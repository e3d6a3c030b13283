"""Listen in: a supervisor watches one conversation read-only, live. The conversation view
without its composer or action buttons; it follows the change feed as the agent and the
customer write. Listening marks nothing as read and sends nothing.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from csdesk.app.thread import ConversationView, CustomerContext
from csdesk.app.workstation import Workstation
from csdesk.i18n import _
from csdesk.protocol import Entity
from csdesk.sync.events import ChangeSet
from csdesk.theme.tokens import Theme
from csdesk.ui.a11y import announce, name
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.panels.conversation import ConversationPanel
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.tasks import Tasks

Loaded = tuple[ConversationView | None, CustomerContext | None, str | None]


class ListenInDialog(QDialog):
    def __init__(
        self,
        ws: Workstation,
        tasks: Tasks,
        bridge: SyncBridge,
        theme: Theme,
        conversation_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws, self.tasks, self.cid, self.bridge = ws, tasks, conversation_id, bridge
        self.setObjectName("listen_in_dialog")
        title = _("Listening in (read-only)")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.note = PlainLabel(_("Read-only: you see this conversation as it happens."), self)
        self.panel = ConversationPanel(ws.me.id, theme, [], self)
        self.panel.composer.hide()
        self.panel.composer.setEnabled(False)  # nothing can be written from here
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        name(close.button(QDialogButtonBox.StandardButton.Close), _("Close"))
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.panel, 1)
        layout.addWidget(close)
        bridge.changes.connect(self.on_changes)
        self.resize(900, 700)
        self.load(announce_it=True)

    def done(self, result: int) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.changes.disconnect(self.on_changes)
        super().done(result)

    def load(self, *, announce_it: bool = False) -> None:
        cid, ws = self.cid, self.ws

        def work() -> Loaded:
            conv = ws.conversation(cid)
            ctx = ws.customer(conv.customer_id) if conv else None
            assignee = dict(ws.users()).get(conv.assignee_id or "") if conv else None
            return conv, ctx, assignee

        def done(result: Loaded) -> None:
            conv, ctx, assignee = result
            before = len(self.panel.current.messages) if self.panel.current else None
            self.panel.show_conversation(conv, ctx.name if ctx else "", assignee)
            self.panel.composer.setEnabled(False)  # showing one enables it: never here
            if announce_it:
                announce(self, _("Listening in: {header}").format(header=self.panel.header.text()))
            elif conv is not None and before is not None and len(conv.messages) > before:
                last = conv.messages[-1]
                announce(
                    self,
                    _("New message from {who}: {text}").format(
                        who=last.author_name, text=last.body_text[:200]
                    ),
                )

        self.tasks.run(work, done)

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything or self.cid in changes.ids(Entity.CONVERSATION):
            self.load()
