"""The reply and its translation side by side (Ctrl+Alt+Shift+J): the agent reads both, may
edit the translation, then uses it or keeps their own text. Everything shown is plain text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _
from csdesk.ui.a11y import name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen


class TranslateReplyDialog(QDialog):
    """No signals of its own: ``accepted`` means "Use translation" (``translation_text()``
    holds it, edited or not), ``rejected`` "Keep original"."""

    def __init__(
        self,
        original: str,
        translated: str,
        language: str,
        provider: str,
        parent: QWidget | None = None,
        *,
        changed_meanwhile: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("translate_reply")
        title = _("Translate my reply")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        intro = _(
            "Your reply translated into {language} by {provider}. Read both; you may edit the "
            "translation, then use it or keep your text."
        ).format(language=language, provider=provider)
        if changed_meanwhile:
            intro += " " + _(
                "Your reply changed while it was being translated: using the translation "
                "replaces the newer text too (Ctrl+Z in the reply brings it back)."
            )
        self.intro = PlainLabel(intro, self)
        self.intro.setObjectName("translate_intro")
        self.intro.setWordWrap(True)

        self.original = QPlainTextEdit(self)
        self.original.setObjectName("translate_original")
        self.original.setPlainText(original)
        self.original.setReadOnly(True)
        self.original.setTabChangesFocus(True)
        self.original.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        name(self.original, _("Your reply"), _("What you wrote; it is not changed here"))
        self.translation = QPlainTextEdit(self)
        self.translation.setObjectName("translate_translation")
        self.translation.setPlainText(translated)
        self.translation.setTabChangesFocus(True)
        name(
            self.translation,
            _("Translation into {language}").format(language=language),
            _("You may edit it before using it"),
        )
        left = PlainLabel(_("Your te&xt"), self)
        left.setBuddy(self.original)
        right = PlainLabel(_("T&ranslation ({language})").format(language=language), self)
        right.setBuddy(self.translation)
        grid = QGridLayout()
        grid.addWidget(left, 0, 0)
        grid.addWidget(right, 0, 1)
        grid.addWidget(self.original, 1, 0)
        grid.addWidget(self.translation, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        buttons = QDialogButtonBox(self)
        self.use = QPushButton(_("&Use translation"), self)
        self.use.setObjectName("translate_use")
        name(self.use, _("Use translation"), _("Put the translation in place of your reply"))
        self.keep = QPushButton(_("&Keep original"), self)
        self.keep.setObjectName("translate_keep")
        name(self.keep, _("Keep original"), _("Close and leave your reply as it is"))
        buttons.addButton(self.use, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.use.setDefault(False)
        self.use.setAutoDefault(False)
        self.keep.setAutoDefault(False)
        self.translation.textChanged.connect(self._changed)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(grid, 1)
        layout.addWidget(buttons)
        resize_within_screen(self, 820, 420)
        self.translation.setFocus(Qt.FocusReason.OtherFocusReason)
        self._changed()

    def _changed(self) -> None:
        self.use.setEnabled(bool(self.translation.toPlainText().strip()))

    def translation_text(self) -> str:
        return self.translation.toPlainText()
