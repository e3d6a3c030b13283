"""The dashboard's tables: a small read-only model of worded cells, and the table view.

Each cell carries its text, the sentence a screen reader says for it and a tooltip (a
figure's definition); each row may carry the drill-down target behind it. The view lets Tab
leave it (arrows move inside) and emits ``activated`` on Enter and double-click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from csdesk.app.kpis import Target
from csdesk.ui.a11y import name
from csdesk.ui.plain_text import plain_tip

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    sentence: str = ""
    tip: str = ""
    number: bool = False  # aligned right
    strong: bool = False  # bold (the total)


@dataclass(slots=True)
class TableData:
    """What a table shows: header (with tooltips), rows of cells, and each row's target."""

    header: list[str] = field(default_factory=list)
    header_tips: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    targets: list[Target | None] = field(default_factory=list)
    #: The figure name of each column (None: a label column), for the drill-down.
    columns: list[str | None] = field(default_factory=list)
    #: The first column names the rows: shown as the row header, which stays in view
    #: while the figures scroll sideways (the CSV keeps it as its first column).
    row_header: bool = False

    def csv_rows(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.rows]


class WordTable(QAbstractTableModel):
    """A read-only table of worded cells (no signals of its own)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_ = TableData()

    def set_data(self, data: TableData) -> None:
        self.beginResetModel()
        self.data_ = data
        self.endResetModel()

    @property
    def _off(self) -> int:
        return 1 if self.data_.row_header else 0

    def column_of(self, index: Index) -> int:
        """The ``TableData`` column of a model index (the row header is column 0 there)."""
        return index.column() + self._off

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.data_.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else max(len(self.data_.header) - self._off, 0)

    def cell(self, index: Index) -> Cell | None:
        if not index.isValid():
            return None
        row = self.data_.rows[index.row()]
        column = self.column_of(index)
        return row[column] if column < len(row) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return cell.sentence or cell.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(cell.tip) if cell.tip else None
        if role == Qt.ItemDataRole.FontRole and cell.strong:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and cell.number:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return self._row_header(section, role)
        section += self._off
        if section >= len(self.data_.header):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.data_.header[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self.data_.header_tips):
            tip = self.data_.header_tips[section]
            return plain_tip(tip) if tip else None
        return None

    def _row_header(self, section: int, role: int) -> Any:
        if not self.data_.row_header or not 0 <= section < len(self.data_.rows):
            return None
        cell = self.data_.rows[section][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell.text
        if role == Qt.ItemDataRole.FontRole and cell.strong:
            font = QFont()
            font.setBold(True)
            return font
        return None


class WordTableView(QTableView):
    """Signals: those of QTableView (``activated(QModelIndex)`` on Enter and double-click)."""

    def __init__(
        self, object_name: str, accessible: str, description: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        name(self, accessible, description)
        self.words = WordTable(self)
        self.setModel(self.words)
        self.setTabKeyNavigation(False)  # Tab goes on to the next control; arrows move here
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setHighlightSections(False)
        self.verticalHeader().setHighlightSections(False)  # bold is the total's alone

    def show_data(self, data: TableData) -> None:
        current = self.currentIndex()
        self.words.set_data(data)
        self.verticalHeader().setVisible(data.row_header)
        self.resizeColumnsToContents()  # a few dozen rows at most: cheap
        # Rows as high as their names need (at 200 % text the row names were cut at the bottom:
        # the rows kept the style's default height, the header sections' padding did not).
        self.resizeRowsToContents()
        if self.words.rowCount():
            row = min(max(current.row(), 0), self.words.rowCount() - 1)
            col = min(max(current.column(), 0), self.words.columnCount() - 1)
            self.setCurrentIndex(self.words.index(row, col))

    def current_cell(self) -> tuple[int, int] | None:
        index = self.currentIndex()
        return (index.row(), index.column()) if index.isValid() else None

    def data_(self) -> TableData:
        return self.words.data_


def table_of(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    tips: Sequence[str] = (),
    targets: Sequence[Target | None] = (),
    columns: Sequence[str | None] = (),
    row_header: bool = False,
) -> TableData:
    return TableData(
        list(header),
        list(tips),
        [list(r) for r in rows],
        list(targets) or [None] * len(rows),
        list(columns) or [None] * len(header),
        row_header,
    )
