"""The side bar of inbox views with live counts."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyleOptionViewItem,
    QWidget,
)

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.app.present import view_label
from csdesk.i18n import _, ngettext
from csdesk.theme.tokens import CHANNEL_TOKENS, Theme
from csdesk.ui.elide import ElidingItemDelegate
from csdesk.ui.icons import channel_icon_name, icon

#: Glyphs of the status views; channel views take their channel's glyph and colour.
VIEW_ICONS: dict[str, str] = {
    View.MINE: "user-round",
    View.UNASSIGNED: "user-plus",
    View.ALL_OPEN: "inbox",
    View.PENDING: "circle-pause",
    View.SNOOZED: "alarm-clock",
    View.RESOLVED: "circle-check",
    View.SLA_AT_RISK: "triangle-alert",
}

VIEW_ROLE = Qt.ItemDataRole.UserRole + 1


class ViewList(QListWidget):
    """Signals: ``view_chosen(str)`` — the agent picked an inbox view; ``width_wanted()`` —
    its names or counts changed how wide it would like to be (``natural_width``).

    It never scrolls sideways: the pane fitter gives it the width of its longest name and
    count (within bounds), and in less room a name ends in "…" with the whole in a tooltip."""

    view_chosen = Signal(str)
    width_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("views")
        self.setAccessibleName(_("Inbox views"))
        self.setAccessibleDescription(
            _(
                "Choose which conversations the list shows with the arrow keys; Alt+1 to "
                "Alt+9 and Go to view (Ctrl+G) switch directly"
            )
        )
        self._counts: dict[str, int] = {}
        self._natural = 0
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setResizeMode(QListView.ResizeMode.Adjust)  # items re-laid out to a new width
        self.fit_delegate = ElidingItemDelegate(self)
        self.setItemDelegate(self.fit_delegate)
        for view in ALL_VIEWS:
            item = QListWidgetItem()
            item.setData(VIEW_ROLE, view)
            self.addItem(item)
        self._relabel()
        self.setCurrentRow(0)
        self.currentItemChanged.connect(self._changed)

    def _changed(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None) -> None:
        if item is not None:
            self.view_chosen.emit(item.data(VIEW_ROLE))

    def current_view(self) -> str:
        item = self.currentItem()
        return str(item.data(VIEW_ROLE)) if item is not None else View.MINE

    def choose(self, row: int) -> None:
        if 0 <= row < self.count():
            self.setCurrentRow(row)

    def set_counts(self, counts: dict[str, int]) -> None:
        if counts != self._counts:
            self._counts = counts
            self._relabel()

    def _relabel(self) -> None:
        for n in range(self.count()):
            item = self.item(n)
            view = item.data(VIEW_ROLE)
            label = view_label(view)
            count = self._counts.get(view)
            if count is None:
                item.setText(label)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, label)
                continue
            item.setText(f"{label}  {count}")
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                ngettext("{view}, {n} conversation", "{view}, {n} conversations", count).format(
                    view=label, n=count
                ),
            )
        self._announce_width()

    def natural_width(self) -> int:
        """The width showing every view's name and count whole, with the frame and, when
        the views do not fit its height (large text, a low window), a vertical scrollbar."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        widest = max(
            (
                self.fit_delegate.natural_size(option, self.indexFromItem(self.item(n))).width()
                for n in range(self.count())
            ),
            default=0,
        )
        tall = sum(self.sizeHintForRow(n) for n in range(self.count()))
        bar = 0
        if tall > self.viewport().height() and self.isVisible():  # then it scrolls
            bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return widest + 2 * self.frameWidth() + bar + 2 * self.spacing() + 2

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._announce_width()  # a lower window may need the scrollbar

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._announce_width()

    def _announce_width(self) -> None:
        natural = self.natural_width()
        if natural != self._natural:
            self._natural = natural
            self.width_wanted.emit()

    def set_theme(self, theme: Theme) -> None:
        """Icons in the theme's colours: a channel view in its channel token, the rest in the
        text colour (the view's name is always written beside them)."""
        for n in range(self.count()):
            item = self.item(n)
            view = str(item.data(VIEW_ROLE))
            channel = view.removeprefix("channel:")
            if view.startswith("channel:") and f"channel_{channel}" in CHANNEL_TOKENS:
                item.setIcon(icon(channel_icon_name(channel), theme.colour(f"channel_{channel}")))
            elif view in VIEW_ICONS:
                item.setIcon(icon(VIEW_ICONS[view], theme.text))
        self._announce_width()
