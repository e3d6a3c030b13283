"""The @-completer of the composer (docs/mentions.md): in an internal note, typing ``@`` and
letters lists the matching teammates under the text; Up and Down move (the choice is said),
Enter or Tab inserts ``@Name`` and remembers whom it names, Escape closes the list (and that
``@`` is not offered again: what follows is typed text, Enter a new line, until a new ``@``).
Focus stays in the text the whole time. Only a teammate chosen here is a mention: a name typed
by hand is text (``domain.mentions.kept``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit, QVBoxLayout, QWidget

from csdesk.domain import mentions as rules
from csdesk.i18n import _, ngettext

#: At most this many teammates listed at once (typing more letters narrows the list).
MAX_SHOWN = 8
_CHOOSE = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)
_KEYS = (*_CHOOSE, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Escape)


class MentionCompleter(QObject):
    """Signals: ``chosen(str user_id, str name)`` — a teammate was inserted into the note."""

    chosen = Signal(str, str)

    def __init__(
        self,
        text: QPlainTextEdit,
        is_note: Callable[[], bool],
        say: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.text = text
        self._is_note = is_note
        self._say = say
        self._teammates: list[tuple[str, str]] = []
        self._picks: list[rules.Pick] = []
        self._at = -1  # where the "@" being completed is
        #: Where the "@" whose list Escape closed is (kept in step with edits before it): not
        #: offered again, so a name typed on by hand stays text and Enter stays a new line.
        self._dismissed = -1
        self.list = QListWidget(parent)
        self.list.setObjectName("mention_list")
        self.list.setAccessibleName(_("Teammates to mention"))
        self.list.setAccessibleDescription(
            _("Up and Down choose, Enter or Tab mentions, Escape closes; typing goes on")
        )
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys come through the text
        self.list.setMaximumHeight(self.list.fontMetrics().height() * 7)
        self.list.hide()
        self.list.itemClicked.connect(lambda item: self._choose(item))
        text.installEventFilter(self)
        text.document().contentsChange.connect(self._edited)
        text.textChanged.connect(self.refresh)
        text.cursorPositionChanged.connect(self.refresh)

    @classmethod
    def attach(
        cls,
        composer: QWidget,
        text: QPlainTextEdit,
        is_note: Callable[[], bool],
        say: Callable[[str], None],
    ) -> MentionCompleter:
        """A completer for ``text``, its list placed right under the text in ``composer``."""
        completer = cls(text, is_note, say, composer)
        layout = composer.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(layout.indexOf(text) + 1, completer.list)
        return completer

    # --- state ---------------------------------------------------------------------------

    def set_teammates(self, teammates: Sequence[tuple[str, str]]) -> None:
        """Whom to offer: (user id, display name) pairs."""
        self._teammates = list(teammates)

    def remember(self, user_ids: Sequence[str]) -> list[str]:
        """Take ``user_ids`` as chosen again (a refused note back in the composer): each one
        still offered becomes a pick under its name; the names of those kept."""
        names = dict(self._teammates)
        picks = [rules.Pick(uid, names[uid]) for uid in user_ids if uid in names]
        self._picks.extend(picks)
        return [p.name for p in picks]

    def chosen_in(self, body: str) -> list[str]:
        """The user ids chosen here whose ``@Name`` is still in ``body``."""
        return rules.kept(body, self._picks)

    def is_open(self) -> bool:
        return self.list.isVisible()

    def close(self) -> None:
        self.list.hide()
        self._at = -1

    # --- keys ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.text or not self.list.isVisible():
            return False
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        assert isinstance(event, QKeyEvent)
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier or event.key() not in _KEYS:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # these keys are the list's while it is open
            return True
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            row = (self.list.currentRow() + step) % self.list.count()
            self.list.setCurrentRow(row)
            self._say_current()
        elif key == Qt.Key.Key_Escape:
            self._dismissed = self._at
            self.close()
            self._say(_("Mention list closed"))
        else:
            self._choose(self.list.currentItem())
        return True

    # --- the list ----------------------------------------------------------------------------

    def refresh(self, *_args: object) -> None:
        """Open, narrow or close the list for the text and cursor now."""
        body = self.text.toPlainText()
        # A pick whose "@Name" left the text is forgotten: retyped by hand it is text. (Sent
        # or cleared: a new note starts with nobody chosen.)
        self._picks = rules.present(body, self._picks)
        found = None
        if self._is_note() and self._teammates:
            cursor = self.text.textCursor()
            found = None if cursor.hasSelection() else rules.query_at(body, cursor.position())
        if found and found[0] == self._dismissed:
            found = None  # closed with Escape: until a new "@", what follows is typed text
        hits = rules.matches(found[1], self._teammates)[:MAX_SHOWN] if found else []
        if not found or not hits:
            if self.list.isVisible():
                self.close()
            return
        was_open, same = self.list.isVisible(), self._ids() == [h[0] for h in hits]
        self._at = found[0]
        if not same:
            self.list.clear()
            for uid, name in hits:
                item = QListWidgetItem(name)
                item.setData(Qt.ItemDataRole.UserRole, uid)
                self.list.addItem(item)
            self.list.setCurrentRow(0)
        self.list.show()
        if not was_open or not same:
            n = len(hits)
            self._say(
                ngettext(
                    "{n} teammate to mention: {name}. Enter chooses, Escape closes.",
                    "{n} teammates to mention, first {name}. Up and Down choose, Enter "
                    "mentions, Escape closes.",
                    n,
                ).format(n=n, name=hits[0][1])
            )

    def _edited(self, pos: int, removed: int, added: int) -> None:
        """Keep the dismissed "@" position in step with an edit; forget it once it is gone."""
        if self._dismissed < 0:
            return
        if pos + removed <= self._dismissed:
            self._dismissed += added - removed  # an edit before it
        elif pos <= self._dismissed:
            self._dismissed = -1  # the "@" itself removed or replaced

    def _ids(self) -> list[str]:
        return [
            str(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
        ]

    def _say_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._say(
                _("{name}, {i} of {n}").format(
                    name=item.text(), i=self.list.currentRow() + 1, n=self.list.count()
                )
            )

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None or self._at < 0:
            return
        uid, name = str(item.data(Qt.ItemDataRole.UserRole)), item.text()
        cursor = self.text.textCursor()
        end = cursor.position()
        cursor.setPosition(self._at)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.close()
        pick = rules.Pick(uid, name)
        cursor.insertText(pick.token + " ")
        self._picks.append(pick)  # after: the edit's own refresh must not forget it
        self.text.setTextCursor(cursor)
        self.close()
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)
        self._say(_("{name} mentioned: notified when the note is saved").format(name=name))
        self.chosen.emit(uid, name)
