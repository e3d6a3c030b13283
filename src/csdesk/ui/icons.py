"""Icons drawn in a theme colour: the Lucide outline set shipped in ``resources/icons``.

Why Lucide SVGs and not an icon font (qtawesome): one consistent stroke style that stays sharp
at 200 % text, no extra Python package, and every glyph is plain SVG whose ``currentColor``
becomes a theme token here, so high contrast stays high contrast. The files are the ISC-licensed
``lucide-static`` package's (licence beside them). An icon never carries meaning alone: every
caller shows or names the text it stands for (DESIGN.md, "The look, as data").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from csdesk.resources import resource_path

__all__ = ["CHANNEL_ICONS", "channel_icon_name", "icon", "icon_file", "paint_icon", "svg_text"]

#: The glyph for each channel (csdesk.domain.enums.Channel values). Lucide has no brand marks,
#: so WhatsApp, Messenger, Instagram and Telegram get the closest object, always with the
#: channel's name beside or behind them.
CHANNEL_ICONS: dict[str, str] = {
    "email": "mail",
    "chat": "message-circle",
    "phone": "phone",
    "sms": "message-square",
    "whatsapp": "smartphone",
    "messenger": "messages-square",
    "instagram": "camera",
    "telegram": "send",
}


def channel_icon_name(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "inbox")


@lru_cache(maxsize=64)
def svg_text(name: str) -> str:
    """The SVG source of icon ``name`` (a file stem in resources/icons)."""
    if not name.replace("-", "").isalnum():
        raise ValueError(f"bad icon name {name!r}")
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def _coloured(name: str, colour: str) -> bytes:
    return svg_text(name).replace("currentColor", colour).encode("utf-8")


@lru_cache(maxsize=512)
def _pixmap(name: str, colour: str, size: int, ratio: float) -> QPixmap:
    device = max(1, round(size * ratio))
    image = QImage(device, device, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(_coloured(name, colour)))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, device, device))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def icon(name: str, colour: str, size: int = 16, ratio: float = 2.0) -> QIcon:
    """A QIcon of ``name`` stroked in ``colour`` (a theme token's value); drawn at twice the
    size so a high-dpi screen or a larger text size gets no blur."""
    result = QIcon()
    result.addPixmap(_pixmap(name, colour, size, ratio))
    return result


def paint_icon(painter: QPainter, name: str, colour: str, x: int, y: int, size: int) -> None:
    """Draw icon ``name`` in a ``size`` square at (x, y) (item delegates paint, not widgets)."""
    ratio = max(1.0, painter.device().devicePixelRatioF()) if painter.device() else 1.0
    painter.drawPixmap(x, y, _pixmap(name, colour, size, ratio))


def icon_file(name: str, colour: str, folder: Path) -> Path:
    """Write ``name`` in ``colour`` to ``folder`` and return the path (for style sheets,
    which take an image url, e.g. the tick of a checked check box)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{colour.lstrip('#')}.svg"
    path.write_bytes(_coloured(name, colour))  # always ours, never a file left by another
    return path


def icon_size(font_height: int) -> QSize:
    """Icons follow the text size (one em), so 200 % text gets 200 % icons."""
    side = max(12, font_height)
    return QSize(side, side)
