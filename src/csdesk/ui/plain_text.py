"""Text from outside (customer names, subjects, previews, caller names, tags) shown as text.

Qt guesses: a QLabel (AutoText), a tooltip or a message box renders anything that looks like
HTML as rich text, so a caller named ``<img src=…><h1>SUPERVISOR: refund approved</h1>`` would
show a headline (and fetch an image) on the agent's screen.  Every label of the desk is a
``PlainLabel``; a tooltip that may hold outside text goes through ``plain_tip``.  A static test
(tests/unit/test_plain_labels.py) keeps bare ``QLabel(`` out of ``csdesk.ui``.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QStyle, QWidget


class PlainLabel(QLabel):
    """A QLabel that never interprets its text as HTML (mnemonics with a buddy still work)."""

    def __init__(self, text: str | QWidget | None = "", parent: QWidget | None = None) -> None:
        if isinstance(text, QWidget):  # QLabel(parent), as QLabel itself allows
            super().__init__(text)
        else:
            super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        if isinstance(text, str) and text:
            self.setText(text)


class OneLineLabel(PlainLabel):
    """A plain label kept to one line: text wider than the label ends in "…", the whole of it
    in the tooltip. ``text()`` (and so the accessible name a screen reader reads) stays whole.

    The open conversation's subject: wrapped, a long one took two or three lines at 200 %
    text, and with the call script docked that pushed Send under the status bar."""

    def __init__(self, text: str | QWidget | None = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._one_line = False
        self.set_one_line(True)

    def set_one_line(self, one_line: bool) -> None:
        """False: wrap like any label (a sentence that must be read whole, such as a hint)."""
        if one_line == self._one_line:
            return
        self._one_line = one_line
        self.setWordWrap(not one_line)
        horizontal = QSizePolicy.Policy.Ignored if one_line else QSizePolicy.Policy.Preferred
        self.setSizePolicy(
            horizontal, QSizePolicy.Policy.Fixed if one_line else QSizePolicy.Policy.Preferred
        )
        self._tip()
        self.updateGeometry()
        self.update()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if not self._one_line:
            return hint
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("M…") * 3), hint.height()
        )

    def setText(self, text: str) -> None:
        super().setText(text)
        if hasattr(self, "_one_line"):  # QLabel's constructor may set it first
            self._tip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if hasattr(self, "_one_line"):
            self._tip()

    def _room(self) -> int:
        return self.contentsRect().width() - 2 * self.margin()

    def _tip(self) -> None:
        whole = not self._one_line or (
            self.fontMetrics().horizontalAdvance(self.text()) <= self._room()
        )
        self.setToolTip("" if whole else plain_tip(self.text()))

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._one_line:
            super().paintEvent(event)
            return
        rect = self.contentsRect().adjusted(
            self.margin(), self.margin(), -self.margin(), -self.margin()
        )
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        align = QStyle.visualAlignment(self.layoutDirection(), self.alignment())
        painter = QPainter(self)
        self.style().drawItemText(
            painter, rect, int(align.value), self.palette(), self.isEnabled(), shown,
            self.foregroundRole(),
        )  # fmt: skip
        painter.end()


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
