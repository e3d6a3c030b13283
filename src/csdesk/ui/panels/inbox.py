"""The conversation list: search box, sort order and the lazy list of conversations."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.inbox import Sort
from csdesk.app.present import RowTexts, sort_label
from csdesk.i18n import _, ngettext
from csdesk.theme.tokens import CHANNEL_TOKENS, Theme
from csdesk.ui.elide import PlaceholderTip
from csdesk.ui.icons import channel_icon_name, paint_icon
from csdesk.ui.models.inbox_model import InboxModel, Role
from csdesk.ui.plain_text import PlainLabel

Index = QModelIndex | QPersistentModelIndex


def row_colours(theme: Theme, *, selected: bool) -> tuple[QColor, QColor]:
    """(main, secondary) text colour of an inbox row, from theme tokens: the rows sit on
    ``surface``/``hover_bg`` (or ``selection_bg``), and CONTRAST_PAIRS checks those pairs.

    Not the palette: its PlaceholderText, which the theme never set, gave 3.2:1 in the light
    theme although the theme promises AAA."""
    if selected:
        return QColor(theme.selection_text), QColor(theme.selection_text)
    return QColor(theme.text), QColor(theme.text_muted)


def row_height(font: QFont) -> int:
    """Every inbox row is two lines of ``font`` high (the list places rows by arithmetic)."""
    fm = QFontMetrics(font)
    return fm.height() * 2 + fm.height() // 2 + 8


def initials(name: str) -> str:
    """Up to two letters for an avatar: first and last word ("Thijs van Dijk" -> "TD")."""
    words = [w for w in name.split() if w[:1].isalnum()]
    if not words:
        return "?"
    first, last = words[0][0], words[-1][0] if len(words) > 1 else ""
    return (first + last).upper()


def avatar_ring(theme: Theme, name: str) -> str:
    """A ring colour for ``name``'s avatar, stable per name, from the channel tokens (each is
    checked for 3:1 against the row backgrounds); the initials sit on ``surface_alt``."""
    return theme.colour(CHANNEL_TOKENS[sum(map(ord, name)) % len(CHANNEL_TOKENS)])


class InboxDelegate(QStyledItemDelegate):
    """Two lines per conversation beside an avatar: channel icon and the customer's full name,
    then the preview; on the right the SLA chip (when at risk or breached) or the wait, then
    priority and assignee. Every state is written out (never colour or icon alone)."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(200, row_height(option.font))

    @staticmethod
    def text_lefts(row: QRect, font: QFont) -> tuple[QRect, int]:
        """(the text area right of the avatar, where the name starts after the channel icon)
        for a row's rectangle: the painter's layout, and the test's."""
        line = QFontMetrics(font).height()
        gap = max(4, line // 3)
        rect = row.adjusted(gap * 2, 4, -gap * 2, -4)
        side = min(rect.height(), round(line * 2.1))
        rect.setLeft(rect.left() + side + gap * 2)
        return rect, rect.left() + max(12, line - 2) + gap

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        texts: RowTexts | None = index.data(Role.TEXTS)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if texts is None:
            return
        t = self.theme
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        fg, muted = row_colours(t, selected=selected)
        fm = QFontMetrics(opt.font)
        line = fm.height()
        gap = max(4, line // 3)
        rect: QRect = opt.rect.adjusted(gap * 2, 4, -gap * 2, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Avatar: initials in a ring, vertically centred.
        side = min(rect.height(), round(line * 2.1))
        avatar = QRect(rect.left(), rect.top() + (rect.height() - side) // 2, side, side)
        painter.setPen(QPen(QColor(avatar_ring(t, texts.who)), max(2, side // 14)))
        painter.setBrush(QColor(t.surface_alt))
        painter.drawEllipse(avatar.adjusted(1, 1, -1, -1))
        small = QFont(opt.font)
        small.setPointSizeF(max(6.0, opt.font.pointSizeF() * 0.85))
        small.setBold(True)
        painter.setFont(small)
        painter.setPen(QColor(t.text))
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, initials(texts.who))
        rect.setLeft(avatar.right() + gap * 2)

        bold = QFont(opt.font)
        bold.setBold(texts.unread)
        bfm = QFontMetrics(bold)
        # Right of line 1: the SLA chip when at risk or breached (the wait is on line 2).
        top1 = QRect(rect.left(), rect.top(), rect.width(), line)
        painter.setFont(opt.font)
        rw = 0
        if texts.sla_warning:
            kind = "error" if texts.sla_breached else "warning"
            # The name comes first: when the full chip would clip it, the short word does.
            name_room = QFontMetrics(bold).horizontalAdvance(f"{texts.unread_mark}{texts.who}")
            room = rect.width() - name_room - max(12, line - 2) - gap * 6  # elide slack
            chip_text = texts.sla_chip
            if fm.horizontalAdvance(chip_text) > room and texts.sla_chip_short:
                chip_text = texts.sla_chip_short
            chip_text = fm.elidedText(
                chip_text, Qt.TextElideMode.ElideRight, rect.width() // 2 - gap * 2
            )
            cw = fm.horizontalAdvance(chip_text) + gap * 2
            chip = QRect(rect.right() - cw, top1.top(), cw, line)
            painter.setPen(QColor(t.colour(kind + "_fg")))
            painter.setBrush(QColor(t.colour(kind + "_bg")))
            painter.drawRoundedRect(chip, line / 2, line / 2)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)
            rw = cw + gap
        # Left of line 1: channel icon, unread mark, the customer's full name.
        ic = max(12, line - 2)
        channel_token = f"channel_{texts.channel_value}"
        if channel_token in CHANNEL_TOKENS:
            colour = t.selection_text if selected else t.colour(channel_token)
            paint_icon(
                painter,
                channel_icon_name(texts.channel_value),
                colour,
                rect.left(),
                top1.top() + (line - ic) // 2,
                ic,
            )
        name_left = rect.left() + ic + gap
        painter.setFont(bold)
        painter.setPen(fg)
        painter.drawText(
            QRect(name_left, top1.top(), rect.right() - rw - gap - name_left, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            bfm.elidedText(
                f"{texts.unread_mark}{texts.who}",
                Qt.TextElideMode.ElideRight,
                rect.right() - rw - gap - name_left,
            ),
        )
        # Line 2: the preview; priority and assignee on the right.
        painter.setFont(opt.font)
        top2 = rect.top() + line + gap // 2
        half = rect.width() // 2
        right2 = fm.elidedText(
            " · ".join(x for x in (texts.wait_short, texts.priority_badge + texts.assignee) if x),
            Qt.TextElideMode.ElideRight,
            half,
        )
        rw2 = min(half, fm.horizontalAdvance(right2) + gap)
        painter.setPen(fg if texts.priority_badge else muted)
        painter.drawText(
            QRect(rect.right() - rw2, top2, rw2, line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            right2,
        )
        painter.setPen(muted)
        painter.drawText(
            QRect(rect.left(), top2, rect.width() - rw2 - gap, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(texts.title, Qt.TextElideMode.ElideRight, rect.width() - rw2 - gap),
        )
        painter.restore()


class InboxList(QTableView):
    """The conversation list: one column, rows of one height, no headers.

    A table, not a list view: a list view lays out every row it is told about (one Python
    call per row: seconds at a million conversations), while a table with a fixed row
    height places any row by arithmetic, so End, PageDown and a reload cost the same at a
    million conversations as at ten. Every conversation is a row of the model from the
    start; the keyboard moves by row arithmetic (Home, End, PageUp/PageDown, arrows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the list, as from any list
        self.setCornerButtonEnabled(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        across = self.horizontalHeader()
        across.hide()
        across.setStretchLastSection(True)
        down = self.verticalHeader()
        down.hide()
        down.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measured per row
        self._fit_rows()
        #: Where an open conversation that left the list stood (nothing highlighted): the
        #: arrows, like J and K, go on from there (see ``InboxPanel.park``).
        self.parked: int | None = None
        #: Whether a conversation is open (set by the window): Qt's "current on focus" then
        #: opens nothing, even when the open one is not in the list or not yet highlighted.
        self.holds_open: Callable[[], bool] = lambda: False
        self._focusing = False

    def inbox(self) -> InboxModel:
        model = self.model()
        assert isinstance(model, InboxModel)
        return model

    def _fit_rows(self) -> None:
        height = row_height(self.font())
        down = self.verticalHeader()
        down.setMinimumSectionSize(min(height, down.minimumSectionSize()))
        down.setDefaultSectionSize(height)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # text scaling: the rows grow with it
            self._fit_rows()
        super().changeEvent(event)

    def page_rows(self) -> int:
        height = self.verticalHeader().defaultSectionSize()
        return max(1, self.viewport().height() // height - 1) if height > 0 else 10

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        move = QAbstractItemView.CursorAction
        if self._focusing and (self.parked is not None or self.holds_open()):
            return QModelIndex()  # Qt's "current on focus": nothing else opens by itself
        total = self.inbox().total()
        row = self.currentIndex().row()
        ends = (move.MoveHome, move.MoveEnd)
        if row < 0 and self.parked is not None and cursorAction not in ends:
            # Down lands on the row that took the departed conversation's place, Up on the
            # one above it (as J and K do), not on the first conversation of the list.
            down = (move.MoveDown, move.MoveNext, move.MovePageDown)
            row = self.parked - 1 if cursorAction in down else self.parked
        targets = {
            move.MoveHome: 0,
            move.MoveEnd: total - 1,
            move.MoveDown: row + 1,
            move.MoveNext: row + 1,
            move.MoveUp: row - 1,
            move.MovePrevious: row - 1,
            move.MovePageDown: row + self.page_rows(),
            move.MovePageUp: row - self.page_rows(),
        }
        if cursorAction not in targets or not total:
            return super().moveCursor(cursorAction, modifiers)
        at_top = row < 0 and self.parked is None and cursorAction not in ends
        target = 0 if at_top else max(0, min(total - 1, targets[cursorAction]))
        return self.inbox().index(target)

    def keyboardSearch(self, search: str) -> None:
        """No type-ahead: Qt's reads the rows one by one until one starts with the letters
        typed (every row, a million at worst, when none does). The search box finds
        conversations (Ctrl+F), on the worker."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Qt makes the first row current when a list without one gets the focus, which
        opens that conversation. While a conversation is open (parked: it left the list;
        or opened from elsewhere, not in the list) nothing opens by itself: the agent's J, K
        or arrows go on from the parked place, or from the top."""
        self._focusing = True
        try:
            super().focusInEvent(event)
        finally:
            self._focusing = False


#: The search box keeps this many average characters of its hint beside the sort order.
SEARCH_CHARS = 24


class InboxPanel(QWidget):
    """Signals: ``query_changed(str)``, ``sort_changed(str)``, ``opened(str)`` (a conversation
    id the agent moved to), ``activated(str)`` (Enter: go to the conversation),
    ``scope_toggled()`` (search everywhere / only in the view)."""

    query_changed = Signal(str)
    sort_changed = Signal(str)
    opened = Signal(str)
    activated = Signal(str)
    scope_toggled = Signal()

    def __init__(self, model: InboxModel, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(_("Search messages, customers, emails, phones, orders"))
        self.search.setAccessibleName(_("Search conversations"))
        self.search.setAccessibleDescription(_("Results appear as you type; Escape clears"))
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox(self)
        self.sort.setObjectName("sort")
        self.sort.setAccessibleName(_("Sort conversations by"))
        for s in Sort:
            self.sort.addItem(sort_label(s), s.value)
        sort_label_widget = PlainLabel(_("S&ort:"), self)  # Alt+S is Send
        sort_label_widget.setBuddy(self.sort)
        self.list = InboxList(self)
        self.list.setObjectName("inbox")
        self.list.setAccessibleName(_("Conversations"))
        self.list.setModel(model)
        self.describe()
        model.modelReset.connect(self.describe)
        self.delegate = InboxDelegate(theme, self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._parked: int | None = None
        # Where a search looks, said while searching, and a button to widen or narrow it.
        self.scope = PlainLabel(self)
        self.scope.setObjectName("search_scope")
        self.scope.setWordWrap(True)
        self.scope.hide()
        self.scope_button = QPushButton(self)
        self.scope_button.setObjectName("search_scope_toggle")
        self.scope_button.setAccessibleName(_("Change where the search looks"))
        self.scope_button.hide()
        self.scope_button.clicked.connect(self.scope_toggled.emit)
        self.empty = PlainLabel(self)
        self.empty.setObjectName("empty_inbox")
        self.empty.setWordWrap(True)
        self.empty.hide()

        # The search box beside the sort order while it keeps room for its hint; narrower
        # (German: "Sortieren:" and "SLA fällig" left it "Nac…"), the sort goes below it. A
        # hint cut even so ends in "…" and the tooltip says it whole.
        self.sort_label = sort_label_widget
        self.top = QGridLayout()
        self.top.setColumnStretch(0, 1)
        self._stacked: bool | None = None
        self._arrange_top()
        PlaceholderTip(self.search)
        layout = QVBoxLayout(self)
        self.layout_ = layout  # the first-run hint goes on top (ui.first_run_hint)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.top)
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.scope, 1)
        scope_row.addWidget(self.scope_button)
        layout.addLayout(scope_row)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.query_changed.emit(self.search.text()))
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.list.setFocus)
        self.search.installEventFilter(self)  # Down: into the results, at the first
        #: Whether a search's results are still being read (the window's query lane).
        self.results_pending: Callable[[], bool] = lambda: False
        self.first_result_owed = False
        self.sort.currentIndexChanged.connect(
            lambda _i: self.sort_changed.emit(self.sort.currentData())
        )
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.list.activated.connect(lambda idx: self.activated.emit(idx.data(Role.ID)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search box goes to the results and opens the first, as it does in
        every chooser with a search field (the list alone, focused with nothing current
        while a conversation is open, waits for a second Down)."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            if self._debounce.isActive():  # typed a moment ago: search now, not in 150 ms
                self._debounce.stop()
                self.query_changed.emit(self.search.text())
            self.list.setFocus(Qt.FocusReason.TabFocusReason)
            if self.results_pending():
                # The list still shows what was there before the search: the first result
                # opens when it is in (``open_first_result``), not this list's first row.
                self.first_result_owed = True
            elif self.model.total() and not self.list.currentIndex().isValid():
                self.list.setCurrentIndex(self.model.index(0))
            return True
        return super().eventFilter(watched, event)

    def open_first_result(self) -> None:
        """The results a Down in the search box waited for are in: the first opens."""
        if self.first_result_owed:
            self.first_result_owed = False
            if self.model.total():
                self.list.setCurrentIndex(self.model.index(0))

    def search_room(self) -> int:
        """The width the search box wants beside the sort: its hint whole, at most
        SEARCH_CHARS average characters (and a clear button)."""
        metrics = self.search.fontMetrics()
        hint = metrics.horizontalAdvance(self.search.placeholderText())
        return min(hint, SEARCH_CHARS * metrics.averageCharWidth()) + 2 * metrics.height()

    def _arrange_top(self) -> None:
        spacing = max(0, self.top.horizontalSpacing()) * 2
        beside = self.sort_label.sizeHint().width() + self.sort.sizeHint().width() + spacing
        stacked = self.width() < self.search_room() + beside
        if stacked == self._stacked:
            return
        self._stacked = stacked
        for w in (self.search, self.sort_label, self.sort):
            self.top.removeWidget(w)
        if stacked:
            self.top.addWidget(self.search, 0, 0, 1, 3)
            self.top.addWidget(self.sort_label, 1, 1)
            self.top.addWidget(self.sort, 1, 2)
        else:
            self.top.addWidget(self.search, 0, 0)
            self.top.addWidget(self.sort_label, 0, 1)
            self.top.addWidget(self.sort, 0, 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_top()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._arrange_top()

    def describe(self) -> None:
        """The list's description says how many conversations it holds."""
        n = self.model.total()
        self.list.setAccessibleDescription(
            ngettext("{n} conversation.", "{n} conversations.", n).format(n=n)
            + " "
            + _("J and K move, Enter opens the conversation")
        )

    def _current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self._parked = self.list.parked = None
            self.opened.emit(current.data(Role.ID))

    def park(self, row: int) -> None:
        """Highlight nothing, but let J and K go on from ``row`` (the place of an open
        conversation that left the list)."""
        self.list.selectionModel().clear()
        self._parked = self.list.parked = row

    def set_theme(self, theme: Theme) -> None:
        self.delegate.theme = theme
        self.list.viewport().update()

    def current_id(self) -> str | None:
        idx = self.list.currentIndex()
        return str(idx.data(Role.ID)) if idx.isValid() else None

    def select_id(self, conversation_id: str | None, hint: int | None = None) -> bool:
        """Make ``conversation_id`` current; ``hint``: the row it is probably at (a scan of
        a million ids is skipped when it is right)."""
        if not conversation_id:
            return False
        row = self.model.row_of(
            conversation_id, self.list.currentIndex().row() if hint is None else hint
        )
        if row is None:
            return False
        self.list.setCurrentIndex(self.model.index(row))
        return True

    def step(self, step: int) -> None:
        count = self.model.total()
        if not count:
            return
        row = self.list.currentIndex().row()
        if row < 0 and self._parked is not None:  # J lands on the row that took its place
            row = self._parked - 1 if step > 0 else self._parked
        row = 0 if row < 0 and step > 0 else max(0, min(count - 1, row + step))
        self.list.setCurrentIndex(self.model.index(row))
        self.list.scrollTo(self.model.index(row))

    def show_scope(self, text: str | None, button: str = "") -> None:
        """``text``: where the search looks (None: not searching); ``button``: the other way."""
        self.scope.setText(text or "")
        self.scope.setVisible(bool(text))
        self.scope_button.setText(button)
        self.scope_button.setAccessibleName(button or _("Change where the search looks"))
        self.scope_button.setVisible(bool(text))

    def show_empty(self, message: str | None) -> None:
        self.empty.setText(message or "")
        self.empty.setVisible(bool(message))
