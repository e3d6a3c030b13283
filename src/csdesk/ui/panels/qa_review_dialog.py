"""Review one conversation against the rubric: a value (or "Not applicable") per criterion,
comments on chosen messages of the thread, an overall comment, and the weighted score as it
stands (computed by ``domain.qa``, the server's own formula).

Every control is reached by Tab and by its Alt mnemonic; each criterion's control is a combo
box named after the criterion, described by its description and weight. Editing a review,
Alt+D deletes it (after a confirmation naming the agent and the conversation). The score is
announced (politely) when it changes. All text is plain. Opened with ``open()``; read
``scores()``, ``message_comments()`` and ``comment()`` once it is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.qa import MessageLine, Review, Rubric, score_text, value_text
from csdesk.domain import qa
from csdesk.i18n import _
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.plain_text import confirm as ask_first
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["QaReviewDialog"]


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class QaReviewDialog(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``); ``delete_requested(str)``
    — the supervisor confirmed deleting the review being edited, with this reason (maybe
    empty); the dialog then closes."""

    delete_requested = Signal(str)

    def __init__(
        self,
        rubric: Rubric,
        messages: Sequence[MessageLine],
        existing: Review | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("qa_review_dialog")
        self.setWindowTitle(_("Review conversation"))
        self.setAccessibleName(_("Review this conversation against the rubric"))
        self.rubric = rubric
        self.existing = existing
        self.confirm: QDialog | None = None  # the delete confirmation, while it is open
        self.messages = list(messages)
        self._by_id = {msg.id: msg for msg in self.messages}
        self._comments: list[tuple[str, str]] = []
        head = PlainLabel(
            _("Rubric: {name}, version {version}.").format(
                name=rubric.name, version=rubric.version
            ),
            self,
        )
        head.setWordWrap(True)
        # One combo box per criterion, in a scrolling form; a long name wraps, and when the
        # label and its box no longer fit side by side the box goes under the label.
        form_host = QWidget(self)
        form = QFormLayout(form_host)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        em = self.fontMetrics().averageCharWidth()
        line = self.fontMetrics().height()
        self.controls: dict[str, QComboBox] = {}
        for c in rubric.criteria:
            box = QComboBox(form_host)
            box.setObjectName(f"qa_score_{c.key}")
            box.setMinimumWidth(22 * em)  # "Not applicable" and "4 of 4 points" whole
            box.addItem(value_text(c, None), None)
            for value in c.choices():
                box.addItem(value_text(c, value), value)
            described = (
                _("{description} Weight {weight}.")
                .format(description=c.description, weight=c.weight)
                .strip()
            )
            name(box, c.name, described)
            label = PlainLabel(_("{name} (weight {weight})").format(name=c.name, weight=c.weight))
            label.setWordWrap(True)  # but only a long name: a short one stays on one line
            label.setMinimumWidth(
                min(label.fontMetrics().horizontalAdvance(label.text()) + em, 36 * em)
            )
            label.setBuddy(box)
            text = PlainLabel(c.description, form_host)
            text.setWordWrap(True)
            column = QVBoxLayout()
            column.addWidget(box)
            if c.description:
                column.addWidget(text)
            form.addRow(label, column)
            box.currentIndexChanged.connect(self._rescore)
            self.controls[c.key] = box
        self.score_label = PlainLabel("", self)
        self.score_label.setWordWrap(True)
        self.score_label.setObjectName("qa_live_score")
        # The thread, to choose a message to comment on.
        self.thread_list = QListWidget(self)
        self.thread_list.setObjectName("qa_thread")
        # Sentences wrap rather than run off sideways (one line cut at the edge before).
        self.thread_list.setWordWrap(True)
        self.thread_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        name(self.thread_list, _("Messages"), _("Choose a message, then write a comment on it"))
        for msg in self.messages:
            item = QListWidgetItem(msg.sentence)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, msg.sentence)
            self.thread_list.addItem(item)
        if self.messages:
            self.thread_list.setCurrentRow(0)
        thread_label = PlainLabel(_("&Messages:"), self)
        thread_label.setBuddy(self.thread_list)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("qa_message_comment")
        self.note.setTabChangesFocus(True)
        name(self.note, _("Comment on the selected message"))
        note_label = PlainLabel(_("C&omment on the selected message:"), self)
        note_label.setBuddy(self.note)
        self.add_button = QPushButton(_("&Add comment"), self)
        name(self.add_button, _("Add comment"), _("Adds the comment to the selected message"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_comment)
        self.comment_list = QListWidget(self)
        self.comment_list.setObjectName("qa_comment_list")
        name(self.comment_list, _("Comments on messages"))
        comments_label = PlainLabel(_("Comments o&n messages:"), self)
        comments_label.setBuddy(self.comment_list)
        self.remove_button = QPushButton(_("&Remove comment"), self)
        name(self.remove_button, _("Remove comment"), _("Removes the selected comment"))
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_comment)
        self.overall = QPlainTextEdit(self)
        self.overall.setObjectName("qa_overall_comment")
        self.overall.setTabChangesFocus(True)
        name(self.overall, _("Overall comment"))
        overall_label = PlainLabel(_("Overall &comment:"), self)
        overall_label.setBuddy(self.overall)
        self.problem = PlainLabel("", self)
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(self)
        self.save_button = QPushButton(_("&Save review"), self)
        name(self.save_button, _("Save review"), _("Saves the review; it is sent when online"))
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"))
        self.save_button.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)
        # Deleting the review being edited (docs/qa.md): Alt+D, then a confirmation.
        self.delete_button: QPushButton | None = None
        if existing is not None:
            self.delete_button = QPushButton(_("&Delete review…"), self)
            self.delete_button.setObjectName("qa_delete_review")
            name(
                self.delete_button,
                _("Delete review"),
                _("Asks first; the agent no longer sees it and it leaves the QA score"),
            )
            self.delete_button.setAutoDefault(False)
            buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
            self.delete_button.clicked.connect(self.ask_delete)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)
        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove_button)
        # The thread and the comment on a message beside the comments and the overall
        # comment: five lists and boxes stacked were 1,112 px high at 200 % text (a
        # scroll bar's minimum each), taller than a 1600×1000 screen. Tab order is unchanged.
        left = QVBoxLayout()
        left.addWidget(thread_label)
        left.addWidget(self.thread_list, 2)
        left.addWidget(note_label)
        left.addWidget(self.note, 1)
        left.addLayout(add_row)
        right = QVBoxLayout()
        right.addWidget(comments_label)
        right.addWidget(self.comment_list, 1)
        right.addLayout(remove_row)
        right.addWidget(overall_label)
        right.addWidget(self.overall, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        # Lists and boxes keep a few lines each at any text size (squeezed to a sliver before).
        for view, lines in (
            (self.thread_list, 4),
            (self.note, 3),
            (self.comment_list, 3),
            (self.overall, 3),
        ):
            view.setMinimumHeight(lines * line + 2 * line // 3)
        scroll = QScrollArea(self)
        scroll.setObjectName("qa_criteria_scroll")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(form_host)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setMinimumHeight(4 * line)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.score_label)
        layout.addLayout(columns, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        if existing is not None:
            self._load(existing)
        self._rescore(announcing=False)
        self._unchanged = self._state()  # what Escape may drop without asking
        self._deleting = False
        # The comfortable size grows with the text (960×760 at 100 %), within the screen.
        resize_within_screen(self, max(960, 80 * em), max(760, 40 * line))
        first = next(iter(self.controls.values()), None)
        (first or self.overall).setFocus()

    def _load(self, review: Review) -> None:
        for key, value in review.scores.items():
            box = self.controls.get(key)
            if box is not None:
                index = box.findData(value) if value is not None else 0
                box.setCurrentIndex(max(index, 0))
        for message_id, text in review.message_comments:
            self._append(message_id, text)
        self.overall.setPlainText(review.comment)

    # --- the score ---------------------------------------------------------------------------

    def scores(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for key, box in self.controls.items():
            data = box.currentData()
            out[key] = None if data is None else int(data)
        return out

    def score(self) -> float | None:
        return qa.weighted_score(self.rubric.criteria, self.scores())

    def _rescore(self, *_args: object, announcing: bool = True) -> None:
        text = score_text(self.score())
        self.score_label.setText(text)
        if announcing:
            announce(self, text)

    # --- comments on messages ------------------------------------------------------------------

    def _append(self, message_id: str, text: str) -> None:
        msg = self._by_id.get(message_id)
        about = _short(msg.sentence) if msg is not None else _("a message")
        sentence = _("On {message}: {comment}").format(message=about, comment=text)
        item = QListWidgetItem(sentence)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
        self.comment_list.addItem(item)
        self._comments.append((message_id, text))

    def add_comment(self) -> None:
        row = self.thread_list.currentRow()
        text = self.note.toPlainText().strip()
        if not 0 <= row < len(self.messages):
            self._tell(_("Choose a message first."))
            return
        if not text:
            self._tell(_("Write the comment first."))
            self.note.setFocus()
            return
        if len(text) > qa.MAX_COMMENT:
            self._tell(_("A comment is at most {n} characters.").format(n=qa.MAX_COMMENT))
            return
        self._append(self.messages[row].id, text)
        self.note.clear()
        self.comment_list.setCurrentRow(self.comment_list.count() - 1)
        announce(self, _("Comment added."))
        self.thread_list.setFocus()

    def remove_comment(self) -> None:
        row = self.comment_list.currentRow()
        if not 0 <= row < len(self._comments):
            self._tell(_("Choose a comment to remove."))
            return
        self.comment_list.takeItem(row)
        del self._comments[row]
        announce(self, _("Comment removed."))

    def message_comments(self) -> list[tuple[str, str]]:
        return list(self._comments)

    def comment(self) -> str:
        return self.overall.toPlainText().strip()

    # --- deleting (docs/qa.md) -------------------------------------------------------------------

    def ask_delete(self) -> None:
        """Ask, naming the agent and the conversation; on yes, ``delete_requested`` and close."""
        from csdesk.ui.panels.qa_delete_confirm import QaDeleteConfirm

        review = self.existing
        if review is None or self.confirm is not None:
            return
        confirm = QaDeleteConfirm(review, self)
        confirm.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.confirm = confirm

        def finished(_result: int) -> None:
            self.confirm = None
            if self.delete_button is not None:
                self.delete_button.setFocus()

        def confirmed() -> None:
            reason = confirm.reason()
            self.confirm = None
            self.delete_requested.emit(reason)
            self._deleting = True  # asked already: closes without the question below
            self.reject()

        confirm.finished.connect(finished)
        confirm.accepted.connect(confirmed)
        confirm.open()

    # --- leaving without saving -----------------------------------------------------------------

    def _state(self) -> tuple[object, ...]:
        return (
            tuple(box.currentIndex() for box in self.controls.values()),
            tuple(self._comments),
            self.overall.toPlainText(),
            self.note.toPlainText(),
        )

    def reject(self) -> None:
        """Escape or Cancel: scores and comments given are not thrown away without asking
        (they were, with the first Escape: outside review)."""
        if not self._deleting and self._state() != self._unchanged:
            question = _("The scores and comments you gave are not saved. Discard them?")
            if not ask_first(self, _("Discard this review?"), question):
                return
        super().reject()

    # --- saving --------------------------------------------------------------------------------

    def _tell(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        announce(self, text, assertive=True)

    def _save(self) -> None:
        if len(self.comment()) > qa.MAX_COMMENT:
            self._tell(_("The overall comment is at most {n} characters.").format(n=qa.MAX_COMMENT))
            self.overall.setFocus()
            return
        pending = self.note.toPlainText().strip()
        if pending:
            self._tell(_("Add or clear the comment on the selected message first."))
            self.note.setFocus()
            return
        self.accept()
