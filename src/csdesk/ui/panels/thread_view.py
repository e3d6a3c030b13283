"""The messages of a conversation: inbound, outbound and notes told apart by label and colour."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from csdesk.app.formats import long_day_text
from csdesk.app.present import MessageTexts
from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.models.thread_model import MESSAGE_ROLE, TEXTS_ROLE, ThreadModel

Index = QModelIndex | QPersistentModelIndex
PAD = 8


class MessageDelegate(QStyledItemDelegate):
    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme

    def _colours(self, texts: MessageTexts) -> tuple[QColor, QColor]:
        t = self.theme
        if texts.kind == "note":
            return QColor(t.note_bubble_bg), QColor(t.note_bubble_text)
        if texts.kind == "out":
            return QColor(t.outbound_bubble_bg), QColor(t.outbound_bubble_text)
        return QColor(t.inbound_bubble_bg), QColor(t.inbound_bubble_text)

    def _doc(self, texts: MessageTexts, option: QStyleOptionViewItem, width: int) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        opt = QTextOption()
        opt.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc.setDefaultTextOption(opt)
        doc.setPlainText(f"{texts.header}\n{texts.body}")
        if texts.translation:  # issue 13: under the original, set apart and in italics
            cursor = QTextCursor(doc)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            italic = QTextCharFormat()
            italic.setFontItalic(True)
            cursor.insertText("\n\n")
            cursor.insertText(texts.translation, italic)  # plain text: never markup
        doc.setTextWidth(max(50, width - 2 * PAD))
        return doc

    @staticmethod
    def day_label(index: Index) -> str:
        """The day above a message that starts a new day (local time), else ""."""
        msg = index.data(MESSAGE_ROLE)
        if msg is None:
            return ""
        day = msg.created_at.astimezone().date()
        if index.row() > 0:
            before = index.model().index(index.row() - 1, 0).data(MESSAGE_ROLE)
            if before is not None and before.created_at.astimezone().date() == day:
                return ""
        return long_day_text(day)

    @staticmethod
    def bubble_width(texts: MessageTexts, width: int) -> int:
        """Customer and agent messages take most of the width, on opposite sides (inbound left,
        outbound right); notes the whole width, so the three read apart even without colour."""
        return width if texts.kind == "note" else max(120, width * 85 // 100)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        texts: MessageTexts | None = index.data(TEXTS_ROLE)
        width = option.rect.width() or 400
        line = QFontMetrics(option.font).height()
        if texts is None:
            return QSize(width, line)
        doc = self._doc(texts, option, self.bubble_width(texts, width - 4))
        band = line + PAD if self.day_label(index) else 0
        return QSize(width, int(doc.size().height()) + 2 * PAD + 4 + band)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        texts: MessageTexts | None = index.data(TEXTS_ROLE)
        if texts is None:
            return
        rect = option.rect.adjusted(2, 2, -2, -2)
        bg, fg = self._colours(texts)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        day = self.day_label(index)
        if day:  # a day separator: the date between two rules
            line = QFontMetrics(option.font).height()
            band = QRect(rect.left(), rect.top(), rect.width(), line)
            painter.setPen(QColor(self.theme.text_muted))
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, day)
            text_w = QFontMetrics(option.font).horizontalAdvance(day) + 2 * PAD
            mid = band.center().y()
            painter.setPen(QColor(self.theme.border))
            painter.drawLine(band.left(), mid, band.center().x() - text_w // 2, mid)
            painter.drawLine(band.center().x() + text_w // 2, mid, band.right(), mid)
            rect.setTop(rect.top() + line + PAD)
        width = self.bubble_width(texts, rect.width())
        if texts.kind == "out":
            rect.setLeft(rect.right() - width)
        else:
            rect.setWidth(width)
        radius = PAD
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, radius, radius)
        if texts.kind == "note":  # dashed edge: a note is never sent, told by more than colour
            pen = QPen(QColor(self.theme.control_border), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), radius, radius)
        if selected or option.state & QStyle.StateFlag.State_HasFocus:
            pen = QPen(QColor(self.theme.focus_ring), 2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), radius, radius)
        doc = self._doc(texts, option, rect.width())
        painter.translate(rect.left() + PAD, rect.top() + PAD)
        pal = QPalette(option.palette)
        pal.setColor(QPalette.ColorRole.Text, fg)
        doc.setDefaultStyleSheet(f"body {{ color: {fg.name()}; }}")
        painter.setPen(fg)
        from PySide6.QtGui import QAbstractTextDocumentLayout

        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette = pal
        doc.documentLayout().draw(painter, ctx)
        painter.restore()


class ThreadView(QListView):
    def __init__(self, model: ThreadModel, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thread")
        self.setModel(model)
        self.setItemDelegate(MessageDelegate(theme, self))
        self.setWordWrap(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setAccessibleName(_("Messages"))
        self.setAccessibleDescription(_("Up and Down read the conversation message by message"))
        # A message that changed in place (a translation arrived) may need more room.
        model.dataChanged.connect(lambda *_args: self.scheduleDelayedItemsLayout())
        # New messages at the end: the view follows them when the agent was reading the end
        # or wrote one of them (their own reply, just sent, is what they look for); the
        # current message, a screen reader's place, stays where it is.
        self._at_end = True
        model.rowsAboutToBeInserted.connect(self._note_the_end)
        model.rowsInserted.connect(self._follow_new)
        # A message that does not come last (a reply stamped by the server, a customer's
        # message written just before it) resets the model: the same, and the current
        # message is found again by its id.
        self._before: tuple[set[str], str | None] = (set(), None)
        model.modelAboutToBeReset.connect(self._note_before_reset)
        model.modelReset.connect(self._after_reset)

    def set_theme(self, theme: Theme) -> None:
        delegate = self.itemDelegate()
        if isinstance(delegate, MessageDelegate):
            delegate.theme = theme
        self.viewport().update()

    def _note_the_end(self, *_args: object) -> None:
        bar = self.verticalScrollBar()
        self._at_end = bar.value() >= bar.maximum()

    def _follow_new(self, _parent: QModelIndex, first: int, last: int) -> None:
        model = self.model()
        mine = isinstance(model, ThreadModel) and any(
            model.mine(row) for row in range(first, last + 1)
        )
        if self._at_end or mine:
            # After the new rows are laid out (their heights are not known yet).
            QTimer.singleShot(0, self, self.scrollToBottom)

    def _note_before_reset(self) -> None:
        self._note_the_end()
        model = self.model()
        if not isinstance(model, ThreadModel):
            return
        rows = [model.message(row) for row in range(model.rowCount())]
        current = (
            model.message(self.currentIndex().row()) if self.currentIndex().isValid() else None
        )
        self._before = ({m.id for m in rows if m is not None}, current.id if current else None)

    def _after_reset(self) -> None:
        known, current_id = self._before
        self._before = (set(), None)
        model = self.model()
        if not known or not isinstance(model, ThreadModel):
            return  # another conversation: the panel puts the view where it belongs
        new_rows = []
        for row in range(model.rowCount()):
            msg = model.message(row)
            if msg is None:
                continue
            if msg.id == current_id:
                self.setCurrentIndex(model.index(row, 0))
            elif msg.id not in known:
                new_rows.append(row)
        if new_rows and (self._at_end or any(model.mine(row) for row in new_rows)):
            QTimer.singleShot(0, self, self.scrollToBottom)

    def go_to_last(self) -> None:
        model = self.model()
        if model.rowCount():
            last = model.index(model.rowCount() - 1, 0)
            self.setCurrentIndex(last)
            self.scrollTo(last)
