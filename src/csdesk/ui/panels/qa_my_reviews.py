""" "My reviews": the quality reviews of the agent's conversations, one sentence each; opening
one (Enter) shows its score, each criterion's value, the overall comment, and the thread with
the reviewer's comments beside the messages they are about.

All text is plain; the tables also read as sentences (each row's accessible text). Opened with
``open()``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.qa import MessageLine, Review, criterion_sentence
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["MyReviewsDialog"]


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
    return item


class MyReviewsDialog(QDialog):
    """Signals: ``opened(str)`` — the agent opened this review (the desk loads its thread and
    calls ``show_detail``); those of QDialog."""

    opened = Signal(str)

    def __init__(self, reviews: Sequence[Review], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qa_my_reviews")
        self.setWindowTitle(_("My reviews"))
        self.setAccessibleName(_("My reviews: quality reviews of your conversations"))
        self.reviews = list(reviews)
        self.shown: Review | None = None
        self.list = QListWidget(self)
        self.list.setObjectName("qa_review_list")
        # Sentences wrap instead of running off sideways (at 200 % text only the start of
        # each review's sentence showed, its score out of sight).
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        name(self.list, _("Reviews"), _("Enter opens the review's scores and comments"))
        for review in self.reviews:
            sentence = review.sentence()
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.list.addItem(item)
        # Enter opens the review here, and must not also reach the dialog (its default
        # button would close it): the list keeps the key (``eventFilter``).
        self.list.installEventFilter(self)
        self.list.itemDoubleClicked.connect(lambda _item: self.open_current())
        list_label = PlainLabel(_("&Reviews:"), self)
        list_label.setBuddy(self.list)
        empty = PlainLabel(_("No reviews of your conversations yet."), self)
        empty.setVisible(not self.reviews)
        # The review opened: its summary, the criteria and the thread with comments.
        self.summary = PlainLabel("", self)
        self.summary.setObjectName("qa_review_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        # A Tab stop (to read and select it) once a review is open: empty, it was one that
        # a screen reader announced as nothing.
        self.summary.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.summary.hide()
        self.criteria = QListWidget(self)
        self.criteria.setObjectName("qa_review_criteria")
        self.criteria.setWordWrap(True)
        self.criteria.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        name(self.criteria, _("Scores per criterion"))
        criteria_label = PlainLabel(_("&Scores:"), self)
        criteria_label.setBuddy(self.criteria)
        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("qa_review_thread")
        self.table.setHorizontalHeaderLabels([_("Message"), _("Reviewer's comment")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (it went round its cells)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        name(self.table, _("Messages and the reviewer's comments beside them"))
        table_label = PlainLabel(_("&Messages and comments:"), self)
        table_label.setBuddy(self.table)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.summary)
        detail_layout.addWidget(criteria_label)
        detail_layout.addWidget(self.criteria, 1)
        detail_layout.addWidget(table_label)
        detail_layout.addWidget(self.table, 2)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(list_label)
        top_layout.addWidget(empty)
        top_layout.addWidget(self.list)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(detail)
        split.setChildrenCollapsible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        name(close, _("Close"))
        close.setAutoDefault(False)
        close.setDefault(False)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        layout.addWidget(buttons)
        resize_within_screen(self, 980, 900)
        if self.reviews:
            self.list.setCurrentRow(0)
        self.list.setFocus()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_current()
                return True
        return super().eventFilter(obj, event)

    def open_current(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.reviews):
            self.opened.emit(self.reviews[row].id)

    def review(self, review_id: str) -> Review | None:
        return next((r for r in self.reviews if r.id == review_id), None)

    def show_detail(self, review: Review, messages: Sequence[MessageLine]) -> None:
        """Show ``review`` with ``messages`` (its thread from this desk's cache, oldest
        first); comments on messages the cache lacks are listed after the thread."""
        self.shown = review
        parts = [review.sentence()]
        if review.comment:
            parts.append(_("Overall comment: {comment}").format(comment=review.comment))
        self.summary.setText(" ".join(parts))
        self.summary.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.summary.show()
        self.criteria.clear()
        for c in review.rubric.criteria:
            sentence = criterion_sentence(c, review.scores.get(c.key))
            if c.description:
                sentence = f"{sentence} {c.description}"
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.criteria.addItem(item)
        comments: dict[str, list[str]] = {}
        for message_id, text in review.message_comments:
            comments.setdefault(message_id, []).append(text)
        rows: list[tuple[str, str]] = [
            (msg.sentence, "\n".join(comments.pop(msg.id, []))) for msg in messages
        ]
        for texts in comments.values():  # a message this desk has not (yet) got
            rows.append((_("A message not on this desk"), "\n".join(texts)))
        self.table.setRowCount(len(rows))
        for n, (message, comment) in enumerate(rows):
            said = comment or _("No comment")
            first = _item(message)
            # The row as one sentence, for a screen reader moving down the messages.
            first.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                _("{message} Reviewer's comment: {comment}").format(message=message, comment=said),
            )
            self.table.setItem(n, 0, first)
            self.table.setItem(n, 1, _item(said))
        self.table.resizeRowsToContents()
        if rows:
            self.table.setCurrentCell(0, 0)
        announce(self, _("Review opened. {summary}").format(summary=self.summary.text()))
        self.criteria.setFocus()
