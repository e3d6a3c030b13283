"""Choose the conversation to merge into, and confirm a split (docs/merge-split.md).

``MergeDialog`` lists the same customer's other conversations as sentences (channel, subject
or first line, status, last activity); under it a read-only preview says what the merge moves
(plain text, reachable by Tab so a screen reader reads it). Enter or Alt+M merges, Esc
cancels. ``UndoMergeDialog`` lists the merges into a conversation (when more than one came
in) so any of them can be undone, each with what the undo does or why it no longer can.
``SplitDialog`` names the message and asks whether the later messages go too. No signals:
``open`` them and read ``chosen()`` / ``with_later()`` when they finish.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.conversation_merge import MergeChoice, UndoState
from csdesk.i18n import _, ngettext
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen


class _ChoiceDialog(QDialog):
    """A list of sentences to choose from (wrapped in their rows, never scrolled sideways),
    under it a read-only text saying what the chosen one does (reachable by Tab, so a screen
    reader reads it), and OK/Cancel; Enter on a row is OK. A few lines of each stay in view
    at any text size and the dialog grows with the text."""

    def __init__(
        self,
        names: tuple[str, str, str],  # the dialog's, the list's and the preview's object names
        title: str,
        rows: list[tuple[str, str]],  # (id, sentence)
        texts: tuple[str, str, str, str],  # heading, list's name, preview label, its name
        ok: tuple[str, str],  # the OK button's text and accessible name
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(names[0])
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        heading_text, list_name, preview_label, preview_name = texts
        heading = PlainLabel(heading_text, self)
        self.list = QListWidget(self)
        self.list.setObjectName(names[1])
        self.list.setAccessibleName(list_name)
        # Each sentence wraps in its row (it ran off the list, behind a sideways scroll bar).
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        heading.setBuddy(self.list)
        heading.setWordWrap(True)
        for ident, sentence in rows:
            item = QListWidgetItem(sentence)
            item.setData(Qt.ItemDataRole.UserRole, ident)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.list.addItem(item)
        label = PlainLabel(preview_label, self)
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName(names[2])
        self.preview.setReadOnly(True)
        self.preview.setTabChangesFocus(True)
        self.preview.setAccessibleName(preview_name)
        label.setBuddy(self.preview)
        label.setWordWrap(True)
        line = self.fontMetrics().height()
        self.list.setMinimumHeight(4 * line)
        self.preview.setMinimumHeight(4 * line)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok[0])
        self.ok.setAccessibleName(ok[1])
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(_("Cancel"))
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _i: self._accept())
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.buttons)

    def _open(self) -> None:
        """The first row chosen, the size from the text, the focus on the list."""
        if self.list.count():
            self.list.setCurrentRow(0)
        self._show()
        em = self.fontMetrics().averageCharWidth()
        line = self.fontMetrics().height()
        resize_within_screen(self, max(680, 72 * em), max(480, 26 * line))
        self.list.setFocus()

    def _chosen_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _show(self, *_args: object) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        raise NotImplementedError


class MergeDialog(_ChoiceDialog):
    def __init__(self, choices: list[MergeChoice], parent: QWidget | None = None) -> None:
        self._choices = {c.id: c for c in choices}
        super().__init__(
            ("merge_dialog", "merge_list", "merge_preview"),
            _("Merge into another conversation"),
            [(c.id, c.sentence) for c in choices],
            (
                _("Con&versations of this customer:"),
                _("Conversations to merge into, the latest activity first"),
                _("What &moves:"),
                _("What the merge moves"),
            ),
            (_("Merge &into it"), _("Merge into the chosen conversation")),
            parent,
        )
        self.merge = self.ok
        self.merge.setObjectName("merge_apply")
        self._open()

    def chosen(self) -> str | None:
        return self._chosen_id()

    def _show(self, *_args: object) -> None:
        cid = self.chosen()
        c = self._choices.get(cid) if cid else None
        if c is None:
            self.preview.setPlainText(_("This customer has no other conversation to merge into."))
            self.merge.setEnabled(False)
            return
        self.preview.setPlainText(c.preview)
        self.merge.setEnabled(True)

    def _accept(self) -> None:
        if self.chosen() is not None:
            self.accept()


class SplitDialog(QDialog):
    def __init__(self, message: str, later: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("split_dialog")
        self.setWindowTitle(_("Split off this message"))
        self.setAccessibleName(_("Split off this message"))
        self.text = PlainLabel(
            _(
                "This message moves into a new conversation of the same customer and "
                "channel: {message}"
            ).format(message=message),
            self,
        )
        self.text.setWordWrap(True)
        self.later = QCheckBox(
            ngettext(
                "Also move the &later message ({n})",
                "Also move the &later messages ({n})",
                later,
            ).format(n=later),
            self,
        )
        self.later.setObjectName("split_later")
        self.later.setAccessibleName(_("Also move the later messages"))
        self.later.setEnabled(later > 0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("&Split off"))
        ok.setObjectName("split_apply")
        ok.setAccessibleName(_("Split the message off into a new conversation"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.later)
        layout.addWidget(buttons)
        em = self.fontMetrics().averageCharWidth()
        resize_within_screen(self, max(520, 56 * em), max(220, 12 * self.fontMetrics().height()))
        ok.setFocus()

    def with_later(self) -> bool:
        return self.later.isChecked()


class UndoMergeDialog(_ChoiceDialog):
    """Which merge into this conversation to undo (the latest first). The text under the list
    says what the chosen undo does, or why it no longer can (then Undo is disabled)."""

    def __init__(self, states: list[UndoState], parent: QWidget | None = None) -> None:
        self._states = {st.source_id: st for st in states}
        super().__init__(
            ("undo_merge_dialog", "undo_merge_list", "undo_merge_preview"),
            _("Undo a merge"),
            [(st.source_id, st.label) for st in states],
            (
                _("Con&versations merged into this one:"),
                _("Merges into this conversation, the latest first"),
                _("What the &undo does:"),
                _("What the undo does"),
            ),
            (_("Undo &this merge"), _("Undo the chosen merge")),
            parent,
        )
        self.undo = self.ok
        self.undo.setObjectName("undo_merge_apply")
        self._open()

    def chosen(self) -> UndoState | None:
        ident = self._chosen_id()
        return self._states.get(ident) if ident is not None else None

    def _show(self, *_args: object) -> None:
        st = self.chosen()
        self.preview.setPlainText(st.sentence if st is not None else "")
        self.undo.setEnabled(st is not None and st.allowed)

    def _accept(self) -> None:
        st = self.chosen()
        if st is not None and st.allowed:
            self.accept()
