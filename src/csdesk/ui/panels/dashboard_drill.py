"""The conversations behind a figure: a list, a chooser of which list, "Show more", export.

Opened from the dashboard (Enter or double-click on a figure). The list comes from the
server (``/kpis/conversations``: ids, within the caller's scope) and is named from the desk's
copy; Enter on a conversation asks the main window to open it. Nothing here waits on the
network: the dashboard's ``Tasks`` fetch, and the answers arrive on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app import kpi_words as words
from csdesk.app.kpis import DrillItem, DrillPage, KpiDesk, KpiQuery, Target
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.tasks import Tasks


class DrillDialog(QDialog):
    """Signals: ``open_conversation(str)`` (Enter on a listed conversation), ``loaded()``
    (a page arrived), ``export_requested(object)`` (the list as a ``TableData``-like pair
    of header and rows, to be saved by the dashboard)."""

    open_conversation = Signal(str)
    loaded = Signal()
    export_requested = Signal(object)

    def __init__(
        self,
        kpis: KpiDesk,
        tasks: Tasks,
        query: KpiQuery,
        metrics: Sequence[str],
        target: Target,
        who: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("kpi_drill_dialog")
        self.kpis, self.tasks, self.query, self.target, self.who = kpis, tasks, query, target, who
        self.items: list[DrillItem] = []
        self.page: DrillPage | None = None
        self._asked = 0
        self.setWindowTitle(_("Conversations behind a figure"))
        self.heading = PlainLabel("", self)
        self.heading.setWordWrap(True)
        self.metric_box = QComboBox(self)
        self.metric_box.setObjectName("drill_metric")
        for metric in metrics:
            self.metric_box.addItem(words.metric_label(metric), metric)
        name(self.metric_box, _("Which conversations"))
        metric_label = PlainLabel(_("&Show:"), self)
        metric_label.setBuddy(self.metric_box)
        self.list = QListWidget(self)
        self.list.setObjectName("drill_list")
        name(
            self.list,
            _("Conversations"),
            _("Enter opens the conversation in the main window"),
        )
        self.status = PlainLabel("", self)
        self.status.setWordWrap(True)
        self.more = QPushButton(_("Show &more"), self)
        self.more.setObjectName("drill_more")
        name(self.more, _("Show more conversations"))
        self.export = QPushButton(_("E&xport CSV…"), self)
        self.export.setObjectName("drill_export")
        name(self.export, _("Export this list as CSV"))
        close = QPushButton(_("Close"), self)
        close.setObjectName("drill_close")
        name(close, _("Close"))
        row = QHBoxLayout()
        row.addWidget(metric_label)
        row.addWidget(self.metric_box, 1)
        buttons = QHBoxLayout()
        for button in (self.more, self.export):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        resize_within_screen(self, 640, 480)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.list.itemActivated.connect(self._activated)
        self.more.clicked.connect(lambda: self._fetch(self._next_page()))
        self.export.clicked.connect(lambda: self.export_requested.emit(self.table()))
        close.clicked.connect(self.reject)
        self.reload()
        self.list.setFocus()

    def chosen_metric(self) -> str:
        return str(self.metric_box.currentData())

    def reload(self) -> None:
        self.items.clear()
        self.list.clear()
        self.page = None
        self.heading.setText(
            _("{what} — {who}").format(what=words.metric_label(self.chosen_metric()), who=self.who)
        )
        self._fetch(1)

    def _next_page(self) -> int:
        return (self.page.page + 1) if self.page is not None else 1

    def _fetch(self, number: int) -> None:
        self._asked += 1
        asked, metric, query, target = self._asked, self.chosen_metric(), self.query, self.target
        self.more.setEnabled(False)
        self.status.setText(_("Loading…"))
        kpis = self.kpis

        def work() -> DrillPage:
            return kpis.conversations(query, metric, target, number)

        self.tasks.run(
            work, self._if_current(asked, self._show), self._if_current(asked, self._failed)
        )

    def _if_current(self, asked: int, then: Callable[..., None]) -> Callable[..., None]:
        return lambda value: then(value) if asked == self._asked else None

    def _show(self, page: DrillPage) -> None:
        self.page = page
        first_new = len(self.items)
        for item in page.items:
            self.items.append(item)
            customer, subject, channel, status = words.drill_texts(item)
            text = " · ".join(p for p in (customer, subject, channel, status) if p)
            entry = QListWidgetItem(text)
            entry.setData(Qt.ItemDataRole.AccessibleTextRole, words.drill_sentence(item))
            entry.setData(Qt.ItemDataRole.UserRole, item.id)
            self.list.addItem(entry)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        elif first_new < self.list.count() and first_new:
            self.list.setCurrentRow(first_new)  # "Show more" lands on the first new one
        text = ngettext(
            "{shown} of {n} conversation", "{shown} of {n} conversations", page.total
        ).format(shown=len(self.items), n=page.total)
        if not page.total:
            text = _("No conversations behind this figure.")
        self.status.setText(text)
        self.more.setEnabled(page.more)
        announce(self, text)
        self.loaded.emit()

    def _failed(self, exc: Exception) -> None:
        text = _("The list could not be loaded: {error}").format(error=exc)
        self.status.setText(text)
        self.more.setEnabled(self.page is not None and self.page.more)
        announce(self, text, assertive=True)
        self.loaded.emit()

    def _activated(self, entry: QListWidgetItem) -> None:
        row = self.list.row(entry)
        if not 0 <= row < len(self.items):
            return
        item = self.items[row]
        if item.row is None:
            text = _("This conversation is not in this desk's copy yet; try again after sync.")
            self.status.setText(text)
            announce(self, text)
            return
        self.open_conversation.emit(item.id)

    def table(self) -> tuple[list[str], list[list[str]]]:
        header = [_("Customer"), _("Subject"), _("Channel"), _("Status"), _("Conversation id")]
        return header, [[*words.drill_texts(i), i.id] for i in self.items]
