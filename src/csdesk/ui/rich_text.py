"""Outside HTML made bounded before Qt's rich-text engine sees it, and parsed off the GUI thread.

Qt's engine (QTextDocument, QTextBrowser, AutoText labels) is exponential in nested tables
(22 levels kept ``setHtml`` busy for over 40 s) and crashed on 3,000 levels.  The server
sanitizes and bounds email HTML, but an older or hostile server must not be able to freeze the
desk, so the desk bounds what it shows itself: tables at most three deep, other nesting and size
limited (``csdesk.domain.html_bounds``, linear), then parsed into a QTextDocument on a worker;
the GUI thread only lays out a document of known-bounded shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QTextDocument

from csdesk.domain.html_bounds import Bounded, bound_html

#: Deeper elements are flattened into their ancestors (text kept).
MAX_DEPTH = 24
#: Tables nested deeper become lines and spaces: Qt's cost grows exponentially with this.
MAX_TABLE_DEPTH = 3
#: About half a second of parsing; the server stores at most 2 MB, a message rarely 200 kB.
MAX_CHARS = 400_000


def bound_for_qt(html: str) -> Bounded:
    """``html`` no deeper, table-nested or larger than Qt can lay out without stalling."""
    return bound_html(
        html, max_depth=MAX_DEPTH, max_table_depth=MAX_TABLE_DEPTH, max_chars=MAX_CHARS
    )


@dataclass
class Prepared:
    """Bounded HTML and the document parsed from it."""

    bounded: Bounded
    document: QTextDocument


def prepare(html: str) -> Prepared:
    """Bound ``html`` and parse it; safe on a worker thread (``ui/tasks.py``): QTextDocument is
    reentrant and Qt 6 renders fonts from any thread."""
    bounded = bound_for_qt(html)
    document = QTextDocument()
    document.setHtml(bounded.html)
    app = QCoreApplication.instance()
    if app is not None:
        document.moveToThread(app.thread())  # it lives on with the view, on the GUI thread
    return Prepared(bounded, document)
