"""A layout that wraps its widgets onto more lines when they do not fit (Qt's flow layout
example, typed).

For rows that must show every control (the composer's buttons, the call script's, filters and
chips), wrapping keeps each one visible and in the same Tab order; the row grows a line taller.

The conversation's action buttons no longer wrap: at 200 % text they took up to four lines, and
with the call script docked at 1600×1000 that pushed the composer's Send button under the status
bar. They are one row whose overflow goes into a "More actions" menu (``action_row.ActionRow``),
which is in the Tab order right after them, lists its contents in its tooltip and accessible
description, and holds the same actions with their shortcuts shown.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLayout, QLayoutItem, QSplitter, QWidget

__all__ = ["FlowLayout", "FlowRow"]


class ItemListLayout(QLayout):
    """QLayout's item protocol over a plain list (``_items``), for layouts that place their
    items themselves."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None


class FlowLayout(ItemListLayout):
    def __init__(
        self, parent: QWidget | None = None, spacing: int = 6, *, align_right: bool = False
    ) -> None:
        super().__init__(parent)
        self._spacing = spacing
        self._align_right = align_right  # each line ends at the right edge (a button row)
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # --- geometry -------------------------------------------------------------------------

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        """As narrow as the widest single item: that is what lets the column shrink."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    @staticmethod
    def _hint(item: QLayoutItem, room: int) -> QSize:
        """The item's size, no wider than a line (down to its minimum): a button wider than
        a narrow pane gets the pane's width and elides its text (ui.elide.ElidingButton)."""
        hint = item.sizeHint()
        width = max(item.minimumSize().width(), min(hint.width(), room))
        return QSize(width, hint.height())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines: list[list[QLayoutItem]] = [[]]
        x = area.x()
        for item in self._items:
            if item.isEmpty():  # a hidden widget takes no room
                continue
            width = self._hint(item, area.width()).width()
            if x + width > area.right() + 1 and lines[-1]:
                lines.append([])
                x = area.x()
            lines[-1].append(item)
            x += width + self._spacing
        y = area.y()
        height = 0
        for items in lines:
            hints = [self._hint(item, area.width()) for item in items]
            used = sum(h.width() for h in hints) + self._spacing * max(0, len(hints) - 1)
            x = area.right() + 1 - used if self._align_right else area.x()
            height = max((h.height() for h in hints), default=0)
            if apply:
                for item, hint in zip(items, hints, strict=True):
                    item.setGeometry(QRect(QPoint(x, y), hint))
                    x += hint.width() + self._spacing
            y += height + self._spacing
        return y - self._spacing - rect.y() + m.bottom() if height else m.top() + m.bottom()


class FlowRow(QWidget):
    """A row of widgets in a :class:`FlowLayout` whose minimum height follows its wrapped
    height, for parents that ignore height-for-width: a QSplitter (the composer under the
    thread) or a QDockWidget gave the row one line's height, and the second line (with Send)
    was cut off at 200 % text."""

    def __init__(self, parent: QWidget | None = None, *, align_right: bool = False) -> None:
        super().__init__(parent)
        self.flow = FlowLayout(self, align_right=align_right)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = self.flow.heightForWidth(self.width())
        if height != self.minimumHeight():
            self.setMinimumHeight(height)  # only the height: the width it depends on stays
            # A splitter above does not re-share its room when a child's minimum changes;
            # ask it to, or the new line stays below the visible part of the pane.
            parent = self.parentWidget()
            while parent is not None and not isinstance(parent, QSplitter):
                parent = parent.parentWidget()
            if parent is not None:
                parent.refresh()
