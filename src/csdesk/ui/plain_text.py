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
from PySide6.QtWidgets import QLabel, QWidget


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
