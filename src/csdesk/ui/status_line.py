"""The status bar's texts and My status, on one line that shares its room fairly.

At 200 % text (or QT_SCALE_FACTOR=2 on a 1600 px screen) the status bar's items added up to more
than its width, and Qt's box layout takes the same number of pixels from every item: a long
notice ("Message from SLA: …", 1,660 px) or a ringing call kept most of their width while the
sync state was cut to "Online · 0 actions waiting to be" and the My status button mid-word. Here
the narrower items keep their whole width as long as they need no more than an equal share of
the line, and the wider give way, ending in "…" with their whole text in the tooltip and for a
screen reader (``elide.GivingLabel``, ``elide.ElidingButton``).

The line is one permanent status bar widget: a hovered action's status tip no longer blanks it
(the tooltip says the same).
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayoutItem, QStyle, QWidget

from csdesk.ui.elide import GivingLabel
from csdesk.ui.flow_layout import ItemListLayout

__all__ = ["SharingRow", "StatusLine", "fair_widths"]


def fair_widths(hints: list[int], minimums: list[int], room: int) -> list[int]:
    """Widths for items asking for ``hints`` on a line ``room`` wide: all of them when they
    fit; else the narrowest first get what they ask, as long as that is no more than an equal
    share of what is left, and the widest share the rest (never below their ``minimums``)."""
    widths = [0] * len(hints)
    left = room
    order = sorted(range(len(hints)), key=lambda i: hints[i])
    for done, i in enumerate(order):
        share = left // (len(order) - done)
        widths[i] = max(minimums[i], min(hints[i], share))
        left -= widths[i]
    return widths


class SharingRow(ItemListLayout):
    """Items on one line, the first at its start and the others at its end, sharing a line too
    short for all of them with :func:`fair_widths`. Hidden items take no room."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._gap = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # --- geometry -------------------------------------------------------------------------

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def _total(self, sizes: list[QSize]) -> QSize:
        m = self.contentsMargins()
        width = sum(s.width() for s in sizes) + self._gap * max(0, len(sizes) - 1)
        height = max((s.height() for s in sizes), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def sizeHint(self) -> QSize:
        return self._total([item.sizeHint() for item in self._shown()])

    def minimumSize(self) -> QSize:
        return self._total([item.minimumSize() for item in self._shown()])

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        items = self._shown()
        if not items:
            return
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        room = area.width() - self._gap * (len(items) - 1)
        widths = fair_widths(
            [item.sizeHint().width() for item in items],
            [item.minimumSize().width() for item in items],
            room,
        )
        owner = self.parentWidget()
        direction = owner.layoutDirection() if owner is not None else None
        # The first at the start of the line, the others together at its end.
        x = area.right() + 1 - sum(widths[1:]) - self._gap * (len(items) - 2)
        for n, (item, width) in enumerate(zip(items, widths, strict=True)):
            height = min(area.height(), item.sizeHint().height())
            left = area.x() if n == 0 else x
            y = area.y() + (area.height() - height) // 2
            place = QRect(QPoint(left, y), QSize(width, height))
            if direction is not None:
                place = QStyle.visualRect(direction, area, place)
            item.setGeometry(place)
            if n > 0:
                x += width + self._gap


class StatusLine(QWidget):
    """The sync state at the start of the line; at its end the latest notice, then what the
    desks :meth:`add` (unread mentions, My status, a ringing call), in a :class:`SharingRow`.
    ``sync`` and ``notice`` are the two labels the window writes to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_line")
        self.sync = GivingLabel(self)
        self.sync.setObjectName("sync_status")
        self.notice = GivingLabel(self)
        self.notice.setObjectName("notice")
        self._row = SharingRow(self)
        self._row.addWidget(self.sync)
        self._row.addWidget(self.notice)

    def add(self, widget: QWidget) -> None:
        """``widget`` at the end of the line (a hidden one takes no room until shown); one
        that may be wide should give way (a ``GivingLabel``, an ``ElidingButton``)."""
        self._row.addWidget(widget)
