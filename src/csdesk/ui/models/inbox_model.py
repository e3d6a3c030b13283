"""The inbox list: a Qt model that holds only ordered ids and fetches rows as they are shown.

The ordering query runs on a worker (``Tasks``); ``data()`` loads rows in batches around the
requested one from the local cache (a primary-key read of a few dozen rows), so 100,000
conversations cost a list of ids, not 100,000 rows. A change set refreshes only the rows it
names; an ordering change (new conversation, status change) swaps in a new id list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from csdesk.app.inbox import InboxRow
from csdesk.app.present import RowTexts, inbox_texts
from csdesk.storage.types import utcnow
from csdesk.ui.plain_text import plain_tip

Index = QModelIndex | QPersistentModelIndex
BATCH = 64


class Role(IntEnum):
    ROW = Qt.ItemDataRole.UserRole + 1  # the InboxRow
    TEXTS = Qt.ItemDataRole.UserRole + 2  # its RowTexts
    ID = Qt.ItemDataRole.UserRole + 3


class InboxModel(QAbstractListModel):
    def __init__(
        self,
        fetch_rows: Callable[[Sequence[str]], dict[str, InboxRow]],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__()
        self._fetch = fetch_rows
        self._clock = clock
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._rows: dict[str, InboxRow] = {}
        self._texts: dict[str, RowTexts] = {}

    # --- content -------------------------------------------------------------------------

    def set_ids(self, ids: list[str]) -> None:
        """Show ``ids`` in this order; keeps loaded rows that are still shown."""
        if ids == self._ids:
            return
        self.beginResetModel()
        self._ids = ids
        self._pos = {cid: n for n, cid in enumerate(ids)}
        keep = self._pos.keys()
        self._rows = {k: v for k, v in self._rows.items() if k in keep}
        self._texts = {}
        self.endResetModel()

    def refresh(self, ids: set[str]) -> None:
        """Reload the named rows (a change set touched them)."""
        shown = [self._pos[i] for i in ids if i in self._pos]
        for i in ids:
            self._rows.pop(i, None)
            self._texts.pop(i, None)
        if shown:
            self.dataChanged.emit(self.index(min(shown)), self.index(max(shown)))

    def tick(self) -> None:
        """Waiting times and SLA countdowns move with the clock: redraw, no reload."""
        self._texts.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def ids(self) -> list[str]:
        return self._ids

    def row_of(self, conversation_id: str) -> int | None:
        return self._pos.get(conversation_id)

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    # --- Qt ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        cid = self._ids[index.row()]
        if role == Role.ID:
            return cid
        row = self._row(index.row())
        if row is None:
            return None
        if role == Role.ROW:
            return row
        texts = self._texts.get(cid)
        if texts is None:
            texts = self._texts[cid] = inbox_texts(row, self._clock())
        if role == Role.TEXTS:
            return texts
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{texts.who} — {texts.title}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return texts.sentence
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(texts.sentence)
        return None

    def _row(self, n: int) -> InboxRow | None:
        cid = self._ids[n]
        row = self._rows.get(cid)
        if row is None:
            start = max(0, n - BATCH // 4)
            wanted = [i for i in self._ids[start : start + BATCH] if i not in self._rows]
            self._rows.update(self._fetch(wanted))
            row = self._rows.get(cid)
        return row
