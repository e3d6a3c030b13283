"""Text from outside (customer names, subjects, previews, caller names, tags) shown as text.

Qt guesses: a QLabel (AutoText), a tooltip or a message box renders anything that looks like
HTML as rich text, so a caller named ``<img src=…><h1>SUPERVISOR: refund approved</h1>`` would
show a headline (and fetch an image) on the agent's screen.  Every label of the desk is a
``PlainLabel``; a tooltip that may hold outside text goes through ``plain_tip``.  A static test
(tests/unit/test_plain_labels.py) keeps bare ``QLabel(`` out of ``csdesk.ui``.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget


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
