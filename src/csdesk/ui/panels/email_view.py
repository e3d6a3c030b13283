"""An email as its sender formatted it: the sanitized HTML, remote images blocked until the
agent allows them for this message (they can tell the sender that, and when, it was read)."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _, ngettext

#: The sanitizer moves remote ``src`` to ``data-blocked-src`` (see server/channels).
_BLOCKED = re.compile(r'data-blocked-src="([^"]+)"')


def blocked_images(html: str) -> list[str]:
    return list(dict.fromkeys(_BLOCKED.findall(html)))


def unblock(html: str) -> str:
    return _BLOCKED.sub(r'src="\1"', html)


class EmailView(QDialog):
    def __init__(
        self,
        subject: str,
        html: str,
        load_images: Callable[[list[str], Callable[[dict[str, bytes]], None]], None],
        parent: QWidget | None = None,
        *,
        load_inline: Callable[[Callable[[dict[str, bytes]], None]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("email_view")
        self.setWindowTitle(subject or _("Email"))
        self._html = html
        self._load = load_images
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("email_html")
        self.browser.setAccessibleName(_("Formatted email"))
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(html)
        urls = blocked_images(html)
        self.notice = QLabel(self)
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
        layout.addWidget(self.notice)
        layout.addWidget(self.load)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(760, 640)
        self.browser.setFocus()
        if load_inline is not None:  # the message's own cid: images (app.inline_images)
            load_inline(self.show_inline)

    def show_inline(self, images: dict[str, bytes]) -> None:
        """Show the inline ``cid:`` images the caller fetched on a worker."""
        doc = self.browser.document()
        for url, data in images.items():
            image = QImage.fromData(data)
            if not image.isNull():
                doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
        doc.markContentsDirty(0, doc.characterCount())

    def _fetch(self, urls: list[str]) -> None:
        self.load.setEnabled(False)
        self.notice.setText(_("Loading remote images…"))
        self._load(urls, self.show_images)

    def show_images(self, images: dict[str, bytes]) -> None:
        doc = self.browser.document()
        for url, data in images.items():
            image = QImage.fromData(data)
            if not image.isNull():
                doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
        self.browser.setHtml(unblock(self._html))
        self.notice.setText(
            ngettext("{n} remote image loaded.", "{n} remote images loaded.", len(images)).format(
                n=len(images)
            )
        )
