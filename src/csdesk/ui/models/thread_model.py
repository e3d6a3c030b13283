"""The messages of the open conversation, one item each, so a screen reader reads the thread
message by message with author, time and channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from csdesk.app.present import MessageTexts, message_texts
from csdesk.app.sentences import add_sentence
from csdesk.app.thread import MessageView
from csdesk.storage.types import utcnow
from csdesk.ui.plain_text import plain_tip

Index = QModelIndex | QPersistentModelIndex
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
TEXTS_ROLE = Qt.ItemDataRole.UserRole + 2


class ThreadModel(QAbstractListModel):
    def __init__(self, me: str) -> None:
        super().__init__()
        self._me = me
        self._messages: tuple[MessageView, ...] = ()
        self._texts: list[MessageTexts] = []

    def set_messages(self, messages: tuple[MessageView, ...], now: datetime | None = None) -> None:
        now = now or utcnow()
        if (
            self._messages
            and len(messages) >= len(self._messages)
            and all(a.id == b.id for a, b in zip(messages, self._messages, strict=False))
        ):
            # The same messages (one may have changed: a delivery state, a translation) and
            # maybe new ones at the end: changed rows are repainted in place, so the reader's
            # place (the current message) is kept.
            for row, (new_msg, old_msg) in enumerate(zip(messages, self._messages, strict=False)):
                if new_msg != old_msg:
                    self._messages = (*self._messages[:row], new_msg, *self._messages[row + 1 :])
                    self._texts[row] = message_texts(new_msg, self._me, now)
                    index = self.index(row, 0)
                    self.dataChanged.emit(index, index)
            # Only new messages at the end: insert them so the reader's place is kept.
            new = messages[len(self._messages) :]
            if new:
                first = len(self._messages)
                self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
                self._messages = messages
                self._texts += [message_texts(m, self._me, now) for m in new]
                self.endInsertRows()
            return
        self.beginResetModel()
        self._messages = messages
        self._texts = [message_texts(m, self._me, now) for m in messages]
        self.endResetModel()

    def refresh(self, now: datetime | None = None) -> None:
        """Texts that move with the clock ("queued" that turns into "the chat window is
        closed"): recomputed, and only the rows whose text changed are repainted."""
        now = now or utcnow()
        for row, msg in enumerate(self._messages):
            texts = message_texts(msg, self._me, now)
            if texts != self._texts[row]:
                self._texts[row] = texts
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)

    def mine(self, row: int) -> bool:
        """Whether the message at ``row`` is one this agent wrote."""
        msg = self.message(row)
        return msg is not None and msg.author_user_id == self._me

    def message(self, row: int) -> MessageView | None:
        return self._messages[row] if 0 <= row < len(self._messages) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._messages)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._messages):
            return None
        texts = self._texts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            shown = f"{texts.header}\n{texts.body}"
            return f"{shown}\n\n{texts.translation}" if texts.translation else shown
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return add_sentence(texts.sentence, texts.translation)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(add_sentence(texts.sentence, texts.translation))
        if role == MESSAGE_ROLE:
            return self._messages[index.row()]
        if role == TEXTS_ROLE:
            return texts
        return None
