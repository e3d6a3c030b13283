"""The customer's timeline in the customer pane: a filter over a list of whole sentences,
newest first. Keyboard and screen reader first: each item is one sentence (its accessible
text too), Enter opens what it names, the filter is a plain combo box before the list."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.timeline import KINDS, TimelineItem
from csdesk.i18n import _, ngettext
from csdesk.ui.flow_layout import FlowLayout
from csdesk.ui.plain_text import PlainLabel

_TARGET = Qt.ItemDataRole.UserRole  # (conversation id, order id)


class _WrapToView(QStyledItemDelegate):
    """Wraps each sentence to the list's width *including* the theme's item padding: the
    style adds the padding after wrapping, which made an item wider than the list and cut
    off the end of its lines."""

    def __init__(self, view: QListWidget) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        width = self._view.viewport().width()
        target = width
        for _attempt in range(3):  # the padding a style adds may differ by a pixel or two
            over = size.width() - width
            if over <= 0 or target <= over:
                break
            target -= over
            narrower = QStyleOptionViewItem(option)
            r = option.rect
            narrower.rect = QRect(r.x(), r.y(), target, r.height())
            size = super().sizeHint(narrower, index)
        return QSize(min(size.width(), width), size.height()) if width > 0 else size


class CustomerTimeline(QWidget):
    """Signals: ``open_conversation(str)`` — Enter on an item that names a conversation;
    ``open_order(str)`` — Enter on an item about an order (its id)."""

    open_conversation = Signal(str)
    open_order = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customer_timeline_pane")
        self.filter = QComboBox(self)
        self.filter.setObjectName("timeline_filter")
        self.filter.addItem(_("Everything"), "")
        for kind, words in KINDS:
            self.filter.addItem(_(words), kind)
        self.filter.setAccessibleName(_("Show in the timeline"))
        self.filter.setAccessibleDescription(
            _("Show every kind of event, or only conversations, messages, calls, orders, ...")
        )
        self.filter.currentIndexChanged.connect(self._refill)
        # Narrower than its longest choice when the pane is (large text): never clipped.
        self.filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.filter.setMinimumContentsLength(8)
        caption = PlainLabel(_("Timeline:"), self)
        caption.setBuddy(self.filter)
        self.list = QListWidget(self)
        self.list.setObjectName("customer_timeline")
        self.list.setAccessibleName(_("Customer timeline"))
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap when the pane resizes
        self.list.setItemDelegate(_WrapToView(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: a scroll bar that comes and goes changes the width the sentences were
        # wrapped to, and the list does not wrap them again (they would be cut off).
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.list.itemActivated.connect(self._activate)
        self.count = PlainLabel(self)
        self.count.setObjectName("timeline_count")
        top = FlowLayout()
        top.addWidget(caption)
        top.addWidget(self.filter)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        # No focus proxy for the pane: with one, Tab from the composer's Send went straight to
        # this list (the pane comes before the card's buttons in the window's focus chain, and
        # Qt tabs to a proxy's target), skipping the card and the filter. Who means the list
        # focuses the list.
        self.setTabOrder(self.filter, self.list)
        self._items: list[TimelineItem] = []
        self.show_items([])

    def show_items(self, items: Sequence[TimelineItem]) -> None:
        """Show ``items`` (newest first), keeping the filter and, if still there, the item
        the agent was on."""
        self._items = list(items)
        self._refill()

    def kind(self) -> str:
        return str(self.filter.currentData() or "")

    def set_kind(self, kind: str) -> None:
        at = self.filter.findData(kind)
        self.filter.setCurrentIndex(max(0, at))

    def _refill(self) -> None:
        current = self.list.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole + 1) if current is not None else None
        kind = self.kind()
        shown = [i for i in self._items if not kind or i.kind == kind]
        self.list.clear()
        for it in shown:
            row = QListWidgetItem(it.text)
            row.setData(Qt.ItemDataRole.AccessibleTextRole, it.text)
            row.setData(_TARGET, (it.conversation_id or "", it.order_id or ""))
            row.setData(Qt.ItemDataRole.UserRole + 1, it.key)
            self.list.addItem(row)
            if it.key == keep:
                self.list.setCurrentItem(row)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        words = ngettext("{n} event", "{n} events", len(shown)).format(n=len(shown))
        self.count.setText(words)
        self.list.setAccessibleDescription(
            _("{count}, newest first; Enter opens the conversation or order an event names").format(
                count=words
            )
            if shown
            else _("Nothing yet")
        )

    def _activate(self, row: QListWidgetItem) -> None:
        conversation_id, order_id = row.data(_TARGET) or ("", "")
        if conversation_id:
            self.open_conversation.emit(conversation_id)
        elif order_id:
            self.open_order.emit(order_id)
