"""The messages of a conversation: inbound, outbound and notes told apart by label and colour."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QTextDocument, QTextOption
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from csdesk.app.present import MessageTexts
from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.models.thread_model import TEXTS_ROLE, ThreadModel

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
        doc.setTextWidth(max(50, width - 2 * PAD))
        return doc

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        texts: MessageTexts | None = index.data(TEXTS_ROLE)
        width = option.rect.width() or 400
        if texts is None:
            return QSize(width, QFontMetrics(option.font).height())
        doc = self._doc(texts, option, width)
        return QSize(width, int(doc.size().height()) + 2 * PAD + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        texts: MessageTexts | None = index.data(TEXTS_ROLE)
        if texts is None:
            return
        rect = option.rect.adjusted(2, 2, -2, -2)
        bg, fg = self._colours(texts)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.fillRect(rect, bg)
        if selected or option.state & QStyle.StateFlag.State_HasFocus:
            pen = painter.pen()
            pen.setColor(QColor(self.theme.focus_ring))
            pen.setWidth(2)
            painter.setPen(pen)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
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

    def set_theme(self, theme: Theme) -> None:
        delegate = self.itemDelegate()
        if isinstance(delegate, MessageDelegate):
            delegate.theme = theme
        self.viewport().update()

    def go_to_last(self) -> None:
        model = self.model()
        if model.rowCount():
            last = model.index(model.rowCount() - 1, 0)
            self.setCurrentIndex(last)
            self.scrollTo(last)
