"""Text that adapts to the room it gets instead of being cut: translations we cannot shorten
("Kunden zusammenführen…", a 70-character search hint in German) end in "…" where there is no
room, and say the whole of it in a tooltip; ``text()`` and accessible names stay whole.

- ``ElidingButton``: a push button that may be narrower than its text (in a flow of buttons
  on a narrow pane), drawn with "…".
- ``ElidingItemDelegate``: items of a list no wider than its viewport, never a sideways
  scrollbar (the inbox views).
- ``PlaceholderTip``: a line edit whose placeholder does not fit says it in a tooltip.
- ``OneLineLabel``: a plain label kept to one line (the open conversation's subject).
- ``GivingLabel``: a one-line label that takes its whole text's width when there is room and
  gives way when there is not (the status bar's sync state and notice).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QStylePainter,
    QToolTip,
    QWidget,
)

from csdesk.ui.plain_text import PlainLabel, plain_tip

__all__ = [
    "ElidingButton",
    "ElidingItemDelegate",
    "GivingLabel",
    "OneLineLabel",
    "PlaceholderTip",
    "elided",
]

Index = QModelIndex | QPersistentModelIndex


def elided(widget: QWidget, text: str, room: int) -> str:
    return widget.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(0, room))


class ElidingButton(QPushButton):
    """A push button whose minimum width is a few letters: narrower than its text, the text
    ends in "…" and the tooltip (unless one was set) says it whole."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._own_tip = ""
        policy = self.sizePolicy()  # QPushButton's Minimum would never let it shrink
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        self.setSizePolicy(policy)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        metrics = self.fontMetrics()
        padding = hint.width() - metrics.horizontalAdvance(self.text().replace("&", ""))
        few = metrics.horizontalAdvance("MMM…") + max(0, padding)
        return QSize(min(hint.width(), few), hint.height())

    def _room(self, opt: QStyleOptionButton) -> int:
        inner = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, self)
        room = inner.width()
        if not opt.icon.isNull():
            room -= opt.iconSize.width() + 4
        return room

    def is_elided(self) -> bool:
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        return self.fontMetrics().horizontalAdvance(opt.text) > self._room(opt)

    def _tip(self) -> None:
        """The whole text as the tooltip while it is cut, unless the button has its own."""
        current, ours = self.toolTip(), getattr(self, "_own_tip", "")
        if current and current != ours:
            return
        want = plain_tip(self.text()) if self.is_elided() else ""
        if want != current:
            self.setToolTip(want)
        self._own_tip = want

    def setText(self, text: str) -> None:
        super().setText(text)
        self._tip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._tip()

    def paintEvent(self, event: QPaintEvent) -> None:
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        if self.fontMetrics().horizontalAdvance(opt.text) > self._room(opt):
            opt.text = elided(self, opt.text, self._room(opt))
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_PushButton, opt)


class ElidingItemDelegate(QStyledItemDelegate):
    """Items no wider than the view's viewport: a long one ends in "…" (the style elides it)
    and shows its whole text as a tooltip, and the view never scrolls sideways.
    ``natural_width`` is what the widest item would need."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view

    def natural_size(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return super().sizeHint(option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(min(hint.width(), self.view.viewport().width()), hint.height())

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if event.type() == QEvent.Type.ToolTip and not index.data(Qt.ItemDataRole.ToolTipRole):
            if super().sizeHint(option, index).width() > option.rect.width():
                text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
                QToolTip.showText(event.globalPos(), plain_tip(text), view)
                return True
            QToolTip.hideText()
            return True
        return super().helpEvent(event, view, option, index)


class PlaceholderTip(QObject):
    """While ``edit`` is empty and too narrow for its placeholder (Qt then draws it with "…"),
    its tooltip says the placeholder whole."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        edit.installEventFilter(self)
        edit.textChanged.connect(lambda _t: self.update())
        self.update()

    def fits(self) -> bool:
        edit = self.edit
        room = edit.contentsRect().width() - 2 * 2 - edit.textMargins().left()
        room -= edit.textMargins().right()
        if edit.isClearButtonEnabled():
            room -= edit.height() // 2 + 6  # the clear button's slot (shown once typing)
        return edit.fontMetrics().horizontalAdvance(edit.placeholderText()) <= room

    def update(self) -> None:
        edit = self.edit
        whole = bool(edit.text()) or self.fits()
        edit.setToolTip("" if whole else plain_tip(edit.placeholderText()))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.edit and event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange):
            self.update()
        return False


class OneLineLabel(PlainLabel):
    """A plain label kept to one line: text wider than the label ends in "…", the whole of it
    in the tooltip. ``text()`` (and so the accessible name a screen reader reads) stays whole.

    The open conversation's subject: wrapped, a long one took two or three lines at 200 %
    text, and with the call script docked that pushed Send under the status bar."""

    def __init__(self, text: str | QWidget | None = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._one_line = False
        self.set_one_line(True)

    def set_one_line(self, one_line: bool) -> None:
        """False: wrap like any label (a sentence that must be read whole, such as a hint)."""
        if one_line == self._one_line:
            return
        self._one_line = one_line
        self.setWordWrap(not one_line)
        horizontal = QSizePolicy.Policy.Ignored if one_line else QSizePolicy.Policy.Preferred
        self.setSizePolicy(
            horizontal, QSizePolicy.Policy.Fixed if one_line else QSizePolicy.Policy.Preferred
        )
        self._tip()
        self.updateGeometry()
        self.update()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if not self._one_line:
            return hint
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("M…") * 3), hint.height()
        )

    def setText(self, text: str) -> None:
        super().setText(text)
        if hasattr(self, "_one_line"):  # QLabel's constructor may set it first
            self._tip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if hasattr(self, "_one_line"):
            self._tip()

    def _room(self) -> int:
        return self.contentsRect().width() - 2 * self.margin()

    def _tip(self) -> None:
        whole = not self._one_line or (
            self.fontMetrics().horizontalAdvance(self.text()) <= self._room()
        )
        self.setToolTip("" if whole else plain_tip(self.text()))

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._one_line:
            super().paintEvent(event)
            return
        rect = self.contentsRect().adjusted(
            self.margin(), self.margin(), -self.margin(), -self.margin()
        )
        shown = elided(self, self.text(), rect.width())
        align = QStyle.visualAlignment(self.layoutDirection(), self.alignment())
        painter = QPainter(self)
        self.style().drawItemText(
            painter, rect, int(align.value), self.palette(), self.isEnabled(), shown,
            self.foregroundRole(),
        )  # fmt: skip
        painter.end()


class GivingLabel(OneLineLabel):
    """A ``OneLineLabel`` that asks for its whole text's width (a ``OneLineLabel`` takes only
    what it is given) and, when the row has less room, gives way down to a few letters, the
    widest first: the status bar's items, which at 200 % text added up to more than the
    screen, and each was cut off mid-word ("Online · 0 actions waiting to be")."""

    def __init__(self, text: str | QWidget | None = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        self.setSizePolicy(policy)
