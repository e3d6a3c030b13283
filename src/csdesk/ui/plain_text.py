"""Text from outside (customer names, subjects, previews, caller names, tags) shown as text.

Qt guesses: a QLabel (AutoText), a tooltip or a message box renders anything that looks like
HTML as rich text, so a caller named ``<img src=…><h1>SUPERVISOR: refund approved</h1>`` would
show a headline (and fetch an image) on the agent's screen.  Every label of the desk is a
``PlainLabel``; a tooltip that may hold outside text goes through ``plain_tip``.  A static test
(tests/unit/test_plain_labels.py) keeps bare ``QLabel(`` out of ``csdesk.ui``.
"""

from __future__ import annotations

import math
from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QTextCharFormat,
    QTextLayout,
)
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget


def mnemonic_split(text: str) -> tuple[str, int]:
    """``"&Tags"`` -> ``("Tags", 0)``: the text as shown and where its underlined letter is
    (-1 for none); ``"&&"`` is a literal ampersand."""
    shown: list[str] = []
    at = -1
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "&" and i + 1 < len(text):
            if text[i + 1] != "&" and at < 0:
                at = len(shown)
            i += 1
            ch = text[i]
        shown.append(ch)
        i += 1
    return "".join(shown), at


def drawn_width(font: QFont, text: str) -> float:
    """How wide ``text`` (one line, ``&`` marking the mnemonic) is drawn: the underlined
    letter is laid out as a run of its own, without the kerning and shaping across it that
    the width QLabel measures (the plain text's) has; "&Tags" comes out wider than "Tags"."""
    shown, at = mnemonic_split(text)
    if at < 0:
        return QFontMetricsF(font).horizontalAdvance(shown)
    layout = QTextLayout(shown, font)
    underline = QTextLayout.FormatRange()
    underline.start, underline.length = at, 1
    fmt = QTextCharFormat()
    fmt.setFontUnderline(True)
    underline.format = fmt
    layout.setFormats([underline])
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(1_000_000.0)
    layout.endLayout()
    return max(line.naturalTextWidth(), QFontMetricsF(font).horizontalAdvance(shown))


class PlainLabel(QLabel):
    """A QLabel that never interprets its text as HTML (mnemonics with a buddy still work).

    A label with a buddy draws its mnemonic letter apart from the rest (see ``drawn_width``),
    a few pixels wider than QLabel measures: its size hint takes the drawn width, so a form's
    label column no longer cuts the last letter ("&Tags" showed "Tag")."""

    def __init__(self, text: str | QWidget | None = "", parent: QWidget | None = None) -> None:
        if isinstance(text, QWidget):  # QLabel(parent), as QLabel itself allows
            super().__init__(text)
        else:
            super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        if isinstance(text, str) and text:
            self.setText(text)

    def setBuddy(self, buddy: QWidget) -> None:
        super().setBuddy(buddy)
        self.updateGeometry()

    def _mnemonic_extra(self) -> int:
        """Pixels the drawn mnemonic text is wider than the plain text QLabel measured."""
        text = self.text()
        if self.buddy() is None or "&" not in text or self.wordWrap() or "\n" in text:
            return 0
        shown, _at = mnemonic_split(text)
        plain = QFontMetricsF(self.font()).horizontalAdvance(shown)
        return max(0, math.ceil(drawn_width(self.font(), text) - plain))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width() + self._mnemonic_extra(), hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width() + self._mnemonic_extra(), hint.height())


def plain_tip(text: str) -> str:
    """``text`` as a tooltip that shows it literally (Qt renders HTML-looking tooltips)."""
    if QtGuiNamespace.mightBeRichText(text):  # escaped, and still wrapping at spaces
        return f'<p style="white-space:pre-wrap">{escape(text, quote=False)}</p>'
    return text


def form_row(form: QFormLayout, text: str, field: QWidget) -> PlainLabel:
    """``form.addRow(text, field)`` with a plain label (QFormLayout's own would be AutoText),
    the field as its buddy so the mnemonic works."""
    parent = form.parentWidget()
    label = PlainLabel(text, parent)
    label.setBuddy(field)
    form.addRow(label, field)
    return label


def confirm(parent: QWidget, title: str, question: str) -> bool:
    """Yes/No, No by default, with ``question`` shown literally (``QMessageBox.question`` is
    AutoText: a macro titled ``<img src=…>`` rendered as an image in its delete prompt)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAccessibleName(title)
    box.setAccessibleDescription(question)
    return box.exec() == QMessageBox.StandardButton.Yes
