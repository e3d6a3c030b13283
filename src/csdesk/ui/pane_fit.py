"""Share the window's width between its four panes by text size, hiding side panes that no
longer fit instead of crushing every column.

At 150-200 % text, views | inbox | conversation | customer cannot all be readable in 1600 px.
The conversation (what the agent works on) and the inbox keep their room; the customer pane goes
first, then the views list. A hidden pane is out of the Tab order and the accessibility tree, so
nobody lands in a pane they cannot see; its "go to" shortcut (Ctrl+3, Ctrl+0) brings it back,
hiding the other side pane if both cannot fit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QSplitter, QWidget

__all__ = ["PaneFitter"]

SIDE_MINIMUM = 48
# Comfortable widths in average characters: found by looking at the screenshots.
VIEWS_CHARS, INBOX_CHARS, CONVERSATION_CHARS, CUSTOMER_CHARS = 20, 44, 52, 28
#: The views list may ask for up to this much to show its longest name and count whole
#: ("Nicht zugewiesen  44"); beyond it the name ends in "…" (tooltip whole).
VIEWS_MAX_CHARS = 30


class PaneFitter(QObject):
    """Panes in splitter order: views, inbox, conversation, customer. Re-fits after each resize
    of the splitter (deferred to the next event-loop turn, when its width is final)."""

    def __init__(
        self,
        split: QSplitter,
        views: QWidget,
        inbox: QWidget,
        conversation: QWidget,
        customer: QWidget,
    ) -> None:
        super().__init__(split)
        self.split = split
        #: Widths in px the agent chose by dragging (layout_memory), by pane; within reason
        #: they replace the comfortable width.
        self.preferred: dict[int, int] = {}
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(lambda: self.fit())
        split.installEventFilter(self)
        self.views, self.inbox, self.conversation, self.customer = (
            views,
            inbox,
            conversation,
            customer,
        )
        # Side panes must never force the window wider: their contents scroll or elide, and
        # fit() hides them when they cannot be given a readable width.
        for side in (views, customer):
            side.setMinimumWidth(SIDE_MINIMUM)
        wanted = getattr(views, "width_wanted", None)  # its names or counts changed
        if wanted is not None:
            wanted.connect(self._pending.start)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.split and event.type() == QEvent.Type.Resize:
            self._pending.start()
        return False

    def _char(self) -> int:
        return max(1, self.split.fontMetrics().averageCharWidth())

    def _want(self, pane: QWidget) -> int:
        chars = {
            id(self.views): VIEWS_CHARS,
            id(self.inbox): INBOX_CHARS,
            id(self.conversation): CONVERSATION_CHARS,
            id(self.customer): CUSTOMER_CHARS,
        }[id(pane)]
        hint = pane.minimumSizeHint().width() if pane in (self.inbox, self.conversation) else 0
        want = chars * self._char()
        if pane is self.views:
            # A list's size hints say nothing of its items (QListWidget's minimum is ~70 px
            # whatever it holds), so a raised hint never widened the pane: ask the list.
            natural = getattr(pane, "natural_width", None)
            if callable(natural):
                want = min(max(want, int(natural())), VIEWS_MAX_CHARS * self._char())
        chosen = self.preferred.get(id(pane))
        if chosen is not None:  # the agent's width, but never below a third of comfortable
            want = max(chosen, want // 3)
        return max(want, hint)

    def fit(self, width: int | None = None) -> None:
        """Choose which side panes show and give each its share of ``width``."""
        width = width or self.split.width()
        handles = 3 * self.split.handleWidth()
        core = self._want(self.inbox) + self._want(self.conversation) + handles
        show_customer = core + self._want(self.customer) <= width
        show_views = (
            core + self._want(self.views) + (self._want(self.customer) if show_customer else 0)
            <= width
        )
        self.views.setVisible(show_views)
        self.customer.setVisible(show_customer)
        self._share(width)

    def reveal(self, pane: QWidget) -> None:
        """Show a hidden side pane the agent asked for, making room by hiding the other one."""
        if pane.isVisible():
            return
        other = self.views if pane is self.customer else self.customer
        width = self.split.width()
        need = self._want(self.inbox) + self._want(self.conversation) + self._want(pane)
        if other.isVisible() and need + self._want(other) > width:
            other.hide()
        pane.show()
        self._share(width)

    def _share(self, width: int) -> None:
        """Side panes and inbox at their comfortable width, the conversation the rest; when
        that does not fit (a pane the agent asked for), the inbox gives way first."""
        panes = [self.views, self.inbox, self.conversation, self.customer]
        sizes = [self._want(p) if p.isVisible() else 0 for p in panes]
        handles = 3 * self.split.handleWidth()
        conv_min = self.conversation.minimumSizeHint().width()
        sizes[2] = max(conv_min, width - sum(sizes) + sizes[2] - handles)
        # Below its comfortable width the conversation's buttons wrap into more lines, until
        # Send is pushed under the status bar (200 % text with the call script docked): the
        # inbox gives way first, down to its own minimum.
        short = self._want(self.conversation) - sizes[2]
        spare = sizes[1] - self.inbox.minimumSizeHint().width()
        if short > 0 and spare > 0:
            sizes[1] -= min(short, spare)
            sizes[2] += min(short, spare)
        overflow = sum(sizes) + handles - width
        if overflow > 0:
            give = min(overflow, sizes[1] - self.inbox.minimumSizeHint().width())
            sizes[1] -= max(0, give)
        self.split.setSizes(sizes)
