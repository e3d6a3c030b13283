"""An email as its sender formatted it: the sanitized HTML, remote images blocked until the
agent allows them for this message (they can tell the sender that, and when, it was read).

Whatever the server sent is bounded and parsed on a worker (``ui/rich_text.py``) before Qt lays
it out, so nested markup can neither freeze nor crash the desk.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _, ngettext
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.rich_text import Prepared, prepare
from csdesk.ui.tasks import Tasks

#: The sanitizer moves remote ``src`` to ``data-blocked-src`` (see server/channels).
_BLOCKED = re.compile(r'data-blocked-src="([^"]+)"')


def blocked_images(html: str) -> list[str]:
    return list(dict.fromkeys(_BLOCKED.findall(html)))


def unblock(html: str) -> str:
    return _BLOCKED.sub(r'src="\1"', html)


def _add_images(doc: QTextDocument, images: dict[str, bytes]) -> None:
    for url, data in images.items():
        image = QImage.fromData(data)
        if not image.isNull():
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)


class EmailView(QDialog):
    """Signals: ``rendered()`` — a (re)prepared document is on screen."""

    rendered = Signal()

    def __init__(
        self,
        subject: str,
        html: str,
        load_images: Callable[[list[str], Callable[[dict[str, bytes]], None]], None],
        parent: QWidget | None = None,
        *,
        load_inline: Callable[[Callable[[dict[str, bytes]], None]], None] | None = None,
        tasks: Tasks | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("email_view")
        self.setWindowTitle(subject or _("Email"))
        self._html = html
        self._load = load_images
        self._tasks = tasks
        self._inline: dict[str, bytes] = {}
        #: Exactly what was handed to Qt's rich-text engine (bounded), for checks.
        self.html_for_qt = ""
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("email_html")
        self.browser.setAccessibleName(_("Formatted email"))
        self.browser.setOpenExternalLinks(False)
        self.browser.setPlainText(_("Preparing the formatted email…"))
        self.simplified = PlainLabel(self)
        self.simplified.setWordWrap(True)
        self.simplified.hide()
        self._render(html, {})
        urls = blocked_images(html)
        self.notice = PlainLabel(self)
        self.notice.setWordWrap(True)
        self.load = QPushButton(_("&Load remote images"), self)
        self.load.setObjectName("email_load_images")
        self.load.setAccessibleName(_("Load remote images"))
        self.load.setAccessibleDescription(_("The sender may learn that and when you read it"))
        if urls:
            self.notice.setText(
                ngettext(
                    "{n} remote image is blocked to protect your privacy.",
                    "{n} remote images are blocked to protect your privacy.",
                    len(urls),
                ).format(n=len(urls))
            )
        else:
            self.notice.hide()
            self.load.hide()
        self.load.clicked.connect(lambda: self._fetch(urls))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(_("Close"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.simplified)
        layout.addWidget(self.notice)
        layout.addWidget(self.load)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(760, 640)
        self.browser.setFocus()
        if load_inline is not None:  # the message's own cid: images (app.inline_images)
            load_inline(self.show_inline)

    def show_inline(self, images: dict[str, bytes]) -> None:
        """Show the inline ``cid:`` images the caller fetched on a worker (kept, so a document
        parsed later on a worker, or after remote images are loaded, shows them too)."""
        self._inline.update(images)
        doc = self.browser.document()
        _add_images(doc, images)
        doc.markContentsDirty(0, doc.characterCount())

    def _fetch(self, urls: list[str]) -> None:
        self.load.setEnabled(False)
        self.notice.setText(_("Loading remote images…"))
        self._load(urls, self.show_images)

    def _render(self, html: str, images: dict[str, bytes]) -> None:
        """Bound and parse ``html`` on a worker (or here, without ``tasks``), then show it."""
        if self._tasks is None:
            self._show(prepare(html), images)
        else:
            self._tasks.run(lambda: prepare(html), lambda ready: self._show(ready, images))

    def _show(self, ready: Prepared, images: dict[str, bytes]) -> None:
        self.html_for_qt = ready.bounded.html
        doc = ready.document
        _add_images(doc, {**self._inline, **images})
        doc.setParent(self.browser)  # so the browser deletes it when it is replaced
        self.browser.setDocument(doc)
        reasons = []
        if ready.bounded.dropped:
            reasons.append(_("Formatting simplified: this email is nested too deeply to show."))
        if ready.bounded.truncated:
            reasons.append(_("This email is too large to show whole; its end is cut off here."))
        self.simplified.setText(" ".join(reasons))
        self.simplified.setVisible(bool(reasons))
        self.rendered.emit()

    def show_images(self, images: dict[str, bytes]) -> None:
        self._render(unblock(self._html), images)
        self.notice.setText(
            ngettext("{n} remote image loaded.", "{n} remote images loaded.", len(images)).format(
                n=len(images)
            )
        )
