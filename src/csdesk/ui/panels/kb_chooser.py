"""The knowledge-base chooser the composer opens (Ctrl+Alt+B): a search field that starts
with suggestions from the customer's last message, the matching articles (the customer's
language first), the chosen article's plain text, and Insert excerpt / Insert link.

Keyboard: type to search; Down moves from the field to the list; Enter in the list (or
Alt+E) inserts the excerpt, Alt+L the link (public articles only); Escape closes. Everything
shown is plain text: an article's Markdown is never rendered here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.kb import Found
from csdesk.domain.bidi import isolate
from csdesk.i18n import _, ngettext
from csdesk.ui.plain_text import PlainLabel

EXCERPT = "excerpt"
LINK = "link"


class KbChooser(QDialog):
    """Signals: ``search_requested(str)`` — the agent typed; ``insert_requested(str, object)``
    — (``"excerpt"`` or ``"link"``, the chosen ``Found``)."""

    search_requested = Signal(str)
    insert_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kb_chooser")
        self.setWindowTitle(_("Knowledge base"))
        self.setAccessibleName(_("Knowledge base"))
        self.setAccessibleDescription(
            _("Search articles; Enter inserts an excerpt, Alt+L a link to a public article")
        )
        self.search = QLineEdit(self)
        self.search.setObjectName("kb_search")
        self.search.setAccessibleName(_("Search the knowledge base"))
        self.search.setPlaceholderText(_("Type to search; Down moves to the articles"))
        self.search.setMaxLength(200)
        self.search.setClearButtonEnabled(True)
        self.status = PlainLabel(self)
        self.status.setObjectName("kb_status")
        self.results = QListWidget(self)
        self.results.setObjectName("kb_results")
        self.results.setAccessibleName(_("Articles"))
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("kb_preview")
        self.preview.setReadOnly(True)
        self.preview.setTabChangesFocus(True)
        self.preview.setAccessibleName(_("Article text"))
        self.excerpt_button = QPushButton(_("Insert &excerpt"), self)
        self.excerpt_button.setAccessibleName(_("Insert excerpt"))
        self.link_button = QPushButton(_("Insert &link"), self)
        self.link_button.setAccessibleName(_("Insert link"))
        self.link_button.setAccessibleDescription(_("Only public articles have a link"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(_("Close"))
        close.rejected.connect(self.reject)
        for b in (self.excerpt_button, self.link_button, *close.buttons()):
            if isinstance(b, QPushButton):
                b.setAutoDefault(False)  # Return in the search field moves to the list
        buttons = QHBoxLayout()
        buttons.addWidget(self.excerpt_button)
        buttons.addWidget(self.link_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        label = PlainLabel(_("&Search:"), self)
        label.setBuddy(self.search)
        layout.addWidget(label)
        layout.addWidget(self.search)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        row.addWidget(self.results, 2)
        row.addWidget(self.preview, 3)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)
        self.resize(820, 480)
        self._found: list[Found] = []
        self.search.textEdited.connect(self.search_requested.emit)
        self.search.returnPressed.connect(self._first)
        self.search.installEventFilter(self)
        self.results.currentRowChanged.connect(self._show)
        self.results.itemActivated.connect(lambda _i: self._insert(EXCERPT))
        self.excerpt_button.clicked.connect(lambda: self._insert(EXCERPT))
        self.link_button.clicked.connect(lambda: self._insert(LINK))
        self._show(-1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.results.count()
        ):
            self.results.setFocus(Qt.FocusReason.TabFocusReason)
            if self.results.currentRow() < 0:
                self.results.setCurrentRow(0)
            return True
        return super().eventFilter(watched, event)

    def set_results(self, found: list[Found], *, suggested: bool = False) -> None:
        """Show ``found`` (``suggested``: from the customer's message, before any typing)."""
        self._found = list(found)
        self.results.clear()
        for f in found:
            kind = _("public") if f.public else _("internal")
            item = QListWidgetItem(f"{f.title} ({f.lang}, {kind})")
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                _("{title}, {lang}, {kind}: {excerpt}").format(
                    title=isolate(f.title), lang=f.lang, kind=kind, excerpt=f.excerpt[:160]
                ),
            )
            self.results.addItem(item)
        if suggested:
            text = ngettext(
                "{n} article suggested from the customer's message.",
                "{n} articles suggested from the customer's message.",
                len(found),
            ).format(n=len(found))
        else:
            text = ngettext("{n} article found.", "{n} articles found.", len(found)).format(
                n=len(found)
            )
        self.status.setText(text)
        if found:
            self.results.setCurrentRow(0)
        else:
            self._show(-1)

    def status_text(self) -> str:
        return self.status.text()

    def current(self) -> Found | None:
        row = self.results.currentRow()
        return self._found[row] if 0 <= row < len(self._found) else None

    def _show(self, row: int) -> None:
        f = self._found[row] if 0 <= row < len(self._found) else None
        self.preview.setPlainText(f"{f.title}\n\n{f.text}" if f else "")
        self.excerpt_button.setEnabled(f is not None)
        self.link_button.setEnabled(f is not None and f.public)

    def _first(self) -> None:
        if self.results.count():
            self.results.setFocus(Qt.FocusReason.OtherFocusReason)
            if self.results.currentRow() < 0:
                self.results.setCurrentRow(0)

    def _insert(self, how: str) -> None:
        f = self.current()
        if f is None or (how == LINK and not f.public):
            return
        self.insert_requested.emit(how, f)
        self.accept()
