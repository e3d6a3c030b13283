"""The inbox list: a Qt model that holds only ordered ids and fetches rows as they are shown.

The ordering query runs on a worker (``Tasks``); ``data()`` loads rows in batches around the
requested one from the local cache (a primary-key read of a few dozen rows), so 100,000
conversations cost a list of ids, not 100,000 rows. A change set refreshes only the rows it
names; an ordering change (new conversation, status change) swaps in a new id list.

``rowCount`` is every conversation of the list. The view (``InboxList``, a one-column
table with rows of one fixed height) places a row by arithmetic and asks ``data()`` only
for the rows it paints, so nothing the GUI thread does per step grows with the list: a
list view instead lays out every row it is told about with one Python call each (a
million conversations froze the window for seconds; shown in chunks, End still walked
them all). Positions are kept for the first rows only; ``row_of`` looks further when
asked, starting from a hint (the current row, or a position found on a worker).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from csdesk.app.inbox import InboxRow
from csdesk.app.packed_ids import PackedIds
from csdesk.app.present import RowTexts, inbox_texts
from csdesk.storage.types import utcnow
from csdesk.ui.plain_text import plain_tip

Index = QModelIndex | QPersistentModelIndex
BATCH = 64
#: Rows whose positions are kept in a dict (the rest: a scan, only when asked).
CHUNK = 256


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
        self._ids: Sequence[str] = PackedIds()
        self._pos: dict[str, int] = {}  # positions of the first chunk (the rest: row_of)
        self._rows: dict[str, InboxRow] = {}
        self._texts: dict[str, RowTexts] = {}

    # --- content -------------------------------------------------------------------------

    def set_ids(self, ids: Sequence[str]) -> Sequence[str] | None:
        """Show ``ids`` in this order (``PackedIds``, as the ordering query gives them, or a
        list); keeps loaded rows that are still shown.

        Returns the ids it replaced (for the caller to free: a list of a million strings in
        slices), or None when nothing changed."""
        if ids is self._ids or (len(ids) <= CHUNK and ids == self._ids):
            return None
        self.beginResetModel()
        old, self._ids = self._ids, ids
        self._pos = {cid: n for n, cid in enumerate(ids[:CHUNK])}
        self._rows = {k: v for k, v in self._rows.items() if k in self._pos}
        self._texts = {}
        self.endResetModel()
        return old

    def refresh(self, ids: set[str]) -> None:
        """Reload the named rows (a change set touched them)."""
        shown = [self._pos[i] for i in ids if i in self._pos]
        dropped = [i for i in ids if self._rows.pop(i, None) is not None]
        for i in ids:
            self._texts.pop(i, None)
        if len(shown) < len(dropped):  # some beyond the first chunk: repaint what is visible
            shown = [0, len(self._ids) - 1]
        if shown:
            self.dataChanged.emit(self.index(min(shown)), self.index(max(shown)))

    def tick(self) -> None:
        """Waiting times and SLA countdowns move with the clock: redraw, no reload."""
        self._texts.clear()
        if self._ids:  # the view repaints the rows it shows; nothing per row here
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def ids(self) -> Sequence[str]:
        """Every conversation of the list, in order."""
        return self._ids

    def total(self) -> int:
        return len(self._ids)

    def row_of(self, conversation_id: str, hint: int | None = None) -> int | None:
        """The row of ``conversation_id``; ``hint``: where it probably is, or next to it
        (checked first)."""
        if hint is not None:
            for near in (hint, hint + 1, hint - 1):
                if self.id_at(near) == conversation_id:
                    return near
        row = self._pos.get(conversation_id)
        if row is None and len(self._pos) < len(self._ids):
            try:  # beyond the first chunk: a scan, only when asked (no million-entry dict)
                row = self._ids.index(conversation_id, len(self._pos))
            except ValueError:
                return None
        return row

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def neighbour(self, conversation_id: str, hint: int | None = None) -> str | None:
        """The conversation after ``conversation_id`` (before it, when it is the last): where
        resolve, snooze and assigning away go on to. No copy of the list (a million ids)."""
        row = self.row_of(conversation_id, hint)
        if row is None:
            return None
        return self.id_at(row + 1) if row + 1 < len(self._ids) else self.id_at(row - 1)

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
