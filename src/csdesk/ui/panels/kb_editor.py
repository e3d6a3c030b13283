"""The knowledge-base editor (Ctrl+Alt+Shift+B, supervisors and administrators): the
articles on the left; on the right the chosen article's address (slug), public flag, tags,
and one language at a time (title and Markdown body), with languages added and removed.

Keyboard: every field has a mnemonic (Alt+A articles, Alt+E address, Alt+P public, Alt+G
tags, Alt+L language, Alt+T title, Alt+B body, Alt+S save, Alt+N new article, Alt+D delete
article, Alt+W add language, Alt+R remove language); Tab leaves the body. Nothing is
rendered: the body is edited as Markdown text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.kb import Article
from csdesk.domain import kb
from csdesk.i18n import _
from csdesk.ui.plain_text import PlainLabel


class KbEditor(QDialog):
    """Signals: ``save_requested(dict)`` — article_id (None: new), slug, public, tags,
    variants {lang: (title, body)}; ``delete_requested(str)`` — an article's id."""

    save_requested = Signal(dict)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kb_editor")
        self.setWindowTitle(_("Edit knowledge base"))
        self.setAccessibleName(_("Edit knowledge base"))
        self.articles = QListWidget(self)
        self.articles.setObjectName("kb_articles")
        self.articles.setAccessibleName(_("Articles"))
        self.slug = QLineEdit(self)
        self.slug.setAccessibleName(_("Address (slug)"))
        self.slug.setAccessibleDescription(_("Empty: made from the English title"))
        self.slug.setMaxLength(kb.MAX_SLUG)
        self.public = QCheckBox(_("&Public (customers can read it)"), self)
        self.public.setAccessibleName(_("Public"))
        self.tags = QLineEdit(self)
        self.tags.setAccessibleName(_("Tags"))
        self.tags.setAccessibleDescription(_("Separated by commas"))
        self.language = QComboBox(self)
        self.language.setAccessibleName(_("Language"))
        self.new_language = QLineEdit(self)
        self.new_language.setAccessibleName(_("New language code"))
        self.new_language.setPlaceholderText(_("e.g. de"))
        self.new_language.setMaxLength(16)
        self.add_language = QPushButton(_("Add language (&W)"), self)
        self.add_language.setAccessibleName(_("Add language"))
        self.remove_language = QPushButton(_("&Remove language"), self)
        self.remove_language.setAccessibleName(_("Remove language"))
        self.title = QLineEdit(self)
        self.title.setAccessibleName(_("Title"))
        self.title.setMaxLength(kb.MAX_TITLE)
        self.body = QPlainTextEdit(self)
        self.body.setAccessibleName(_("Body (Markdown)"))
        self.body.setTabChangesFocus(True)
        self.new_button = QPushButton(_("&New article"), self)
        self.new_button.setAccessibleName(_("New article"))
        self.save_button = QPushButton(_("&Save"), self)
        self.save_button.setAccessibleName(_("Save article"))
        self.delete_button = QPushButton(_("&Delete article"), self)
        self.delete_button.setAccessibleName(_("Delete article"))
        self.close_button = QPushButton(_("Close"), self)
        self.close_button.setAccessibleName(_("Close"))
        for b in (self.add_language, self.remove_language, self.new_button,
                  self.save_button, self.delete_button, self.close_button):  # fmt: skip
            b.setAutoDefault(False)  # Return in a field must not press a button
        self.result_label = PlainLabel(self)
        self.result_label.setObjectName("kb_editor_result")
        self.result_label.setWordWrap(True)

        form = QFormLayout()
        langs = QHBoxLayout()
        langs.addWidget(self.new_language)
        langs.addWidget(self.add_language)
        langs.addWidget(self.remove_language)
        rows: list[tuple[str | None, QWidget | QHBoxLayout]] = [
            (_("Addr&ess:"), self.slug),
            (None, self.public),
            (_("Ta&gs:"), self.tags),
            (_("&Language:"), self.language),
            (None, langs),
            (_("&Title:"), self.title),
            (_("&Body:"), self.body),
        ]
        for text, widget in rows:
            if text is None:
                form.addRow(widget)
                continue
            label = PlainLabel(text, self)
            assert isinstance(widget, QWidget)
            label.setBuddy(widget)
            form.addRow(label, widget)
        right = QVBoxLayout()
        right.addLayout(form, 1)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        right.addWidget(self.result_label)
        left = QVBoxLayout()
        alabel = PlainLabel(_("&Articles:"), self)
        alabel.setBuddy(self.articles)
        left.addWidget(alabel)
        left.addWidget(self.articles, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 5)
        self.resize(1000, 620)

        self._articles: list[Article] = []
        self._id: str | None = None
        self._variants: dict[str, tuple[str, str]] = {}
        self._lang: str | None = None
        self.articles.currentRowChanged.connect(self._chosen)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.add_language.clicked.connect(self._add_language)
        self.new_language.returnPressed.connect(self._add_language)
        self.remove_language.clicked.connect(self._remove_language)
        self.new_button.clicked.connect(self.new_article)
        self.save_button.clicked.connect(self._save)
        self.delete_button.clicked.connect(self._delete)
        self.close_button.clicked.connect(self.reject)
        self.new_article()

    # --- the list --------------------------------------------------------------------------

    def set_articles(self, articles: list[Article]) -> None:
        """Show ``articles``, keeping the one being edited chosen (a new one stays new)."""
        keep = self._id
        self._articles = list(articles)
        self.articles.blockSignals(True)
        self.articles.clear()
        row = -1
        for n, a in enumerate(articles):
            kind = _("public") if a.public else _("internal")
            langs = ", ".join(sorted(a.variants))
            item = QListWidgetItem(f"{a.title()} ({kind}; {langs})")
            self.articles.addItem(item)
            if a.id == keep:
                row = n
        self.articles.blockSignals(False)
        if row >= 0:
            self.articles.setCurrentRow(row)
            self._load(self._articles[row])

    def current_id(self) -> str | None:
        return self._id

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self._articles):
            self._load(self._articles[row])

    def _load(self, a: Article) -> None:
        self._id = a.id
        self.slug.setText(a.slug)
        self.public.setChecked(a.public)
        self.tags.setText(", ".join(a.tags))
        self._variants = dict(a.variants)
        self._lang = None
        self._fill_languages("en" if "en" in self._variants else None)
        self.delete_button.setEnabled(True)

    def new_article(self) -> None:
        """An empty article with an English variant, the title field focused."""
        self._id = None
        self.articles.blockSignals(True)
        self.articles.setCurrentRow(-1)
        self.articles.blockSignals(False)
        self.slug.clear()
        self.public.setChecked(False)
        self.tags.clear()
        self._variants = {"en": ("", "")}
        self._lang = None
        self._fill_languages("en")
        self.delete_button.setEnabled(False)
        self.title.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- languages -------------------------------------------------------------------------

    def _stash(self) -> None:
        if self._lang is not None:
            self._variants[self._lang] = (self.title.text(), self.body.toPlainText())

    def _fill_languages(self, choose: str | None) -> None:
        self.language.blockSignals(True)
        self.language.clear()
        for lang in sorted(self._variants):
            self.language.addItem(lang, lang)
        self.language.blockSignals(False)
        index = self.language.findData(choose) if choose else 0
        self.language.setCurrentIndex(max(index, 0))
        self._lang = None
        self._language_chosen(self.language.currentIndex())

    def _language_chosen(self, index: int) -> None:
        self._stash()
        lang = self.language.itemData(index) if index >= 0 else None
        self._lang = str(lang) if lang else None
        title, body = self._variants.get(self._lang or "", ("", ""))
        self.title.setText(title)
        self.body.setPlainText(body)
        self.remove_language.setEnabled(len(self._variants) > 1)

    def _add_language(self) -> None:
        code = self.new_language.text().strip().lower()
        if not kb.is_lang(code):
            self.show_result(_("A language is a code like de, fr or pt-br."))
            return
        self._stash()
        if code not in self._variants:
            self._variants[code] = ("", "")
        self.new_language.clear()
        self._fill_languages(code)
        self.title.setFocus(Qt.FocusReason.OtherFocusReason)
        self.show_result(_("Language {code} added: write its title and text.").format(code=code))

    def _remove_language(self) -> None:
        if self._lang is None or len(self._variants) < 2:
            return
        gone = self._lang
        del self._variants[gone]
        self._lang = None
        self._fill_languages(None)
        self.show_result(_("Language {code} removed; save to keep the change.").format(code=gone))

    # --- save and delete -------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        self._stash()
        return {
            "article_id": self._id,
            "slug": self.slug.text().strip().lower(),
            "public": self.public.isChecked(),
            "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
            "variants": dict(self._variants),
        }

    def _save(self) -> None:
        fields = self.fields()
        empty = [lang for lang, (title, _b) in fields["variants"].items() if not title.strip()]
        if empty:
            self.show_result(
                _("Every language needs a title: {langs}.").format(langs=", ".join(empty))
            )
            return
        self.save_requested.emit(fields)

    def saved(self, article_id: str) -> None:
        self._id = article_id
        self.delete_button.setEnabled(True)

    def _delete(self) -> None:
        if self._id is None:
            return
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self,
            _("Delete article"),
            _("Delete this article in every language? Its public page goes too."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_requested.emit(self._id)
            self.new_article()

    def show_result(self, text: str) -> None:
        self.result_label.setText(text)
