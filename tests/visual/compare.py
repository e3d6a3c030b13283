"""A tolerant pixel comparison of two images, with Qt alone (no numpy, no Pillow).

A pixel differs when any of its colour channels differs by more than ``threshold`` (font
hinting and anti-aliasing move edges by a few levels); the images match when at most
``max_share`` of the pixels differ and the sizes are equal. The per-pixel work runs in C:
QPainter's Difference mode gives |a - b| per channel, a byte translation table thresholds it,
and the three channel planes are OR-ed as big integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QColor, QImage, QPainter

__all__ = ["MAX_SHARE", "THRESHOLD", "Comparison", "compare", "diff_image"]

#: A channel must move by more than this (of 255) for its pixel to count as different: above
#: the few levels blending and hinting differ by between builds, below a theme token's shade
#: (the light accent #0a58c2 and its hover #08479e differ by 36 in blue).
THRESHOLD = 24
#: More than this share of different pixels fails the image (0.1 %: on the 100 % main window
#: about 1000 pixels, a short word; one name drawn bold instead of regular with its SLA chip
#: shortened moved 0.2 % and must fail). Drawing here is exact (0 pixels differ between runs
#: and processes), so the share is headroom for another build of the same Qt and fonts.
MAX_SHARE = 0.001

_FORMAT = QImage.Format.Format_RGBX8888  # R, G, B, X in memory on every platform


@dataclass(frozen=True, slots=True)
class Comparison:
    size_expected: QSize
    size_actual: QSize
    different: int  # pixels over the threshold (0 when the sizes differ)
    total: int

    @property
    def same_size(self) -> bool:
        return self.size_expected == self.size_actual

    @property
    def share(self) -> float:
        return self.different / self.total if self.total else 0.0

    def matches(self, max_share: float = MAX_SHARE) -> bool:
        return self.same_size and self.share <= max_share

    def describe(self) -> str:
        if not self.same_size:
            e, a = self.size_expected, self.size_actual
            return f"size {a.width()}x{a.height()}, expected {e.width()}x{e.height()}"
        return f"{self.different} of {self.total} pixels differ ({self.share:.3%})"


def _packed(image: QImage) -> bytes:
    """The pixels as R, G, B, X bytes, rows without padding (4 bytes a pixel never pads)."""
    converted = image.convertToFormat(_FORMAT)
    return bytes(converted.constBits())[: converted.width() * converted.height() * 4]


def _difference(expected: QImage, actual: QImage) -> QImage:
    """|expected - actual| per channel (both opaque), as an RGBX image."""
    out = expected.convertToFormat(_FORMAT)
    painter = QPainter(out)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Difference)
    painter.drawImage(QPoint(0, 0), actual.convertToFormat(_FORMAT))
    painter.end()
    return out


def _over(threshold: int) -> bytes:
    return bytes(1 if v > threshold else 0 for v in range(256))


def _flags(expected: QImage, actual: QImage, threshold: int) -> bytes:
    """One byte a pixel: 1 where some channel differs by more than ``threshold``."""
    raw = _packed(_difference(expected, actual)).translate(_over(threshold))
    n = len(raw) // 4
    any_channel = (
        int.from_bytes(raw[0::4], "big")
        | int.from_bytes(raw[1::4], "big")
        | int.from_bytes(raw[2::4], "big")
    )
    return any_channel.to_bytes(n, "big")


def compare(expected: QImage, actual: QImage, threshold: int = THRESHOLD) -> Comparison:
    total = expected.width() * expected.height()
    if expected.size() != actual.size():
        return Comparison(expected.size(), actual.size(), 0, total)
    if _packed(expected) == _packed(actual):
        return Comparison(expected.size(), actual.size(), 0, total)
    flags = _flags(expected, actual, threshold)
    return Comparison(expected.size(), actual.size(), total - flags.count(0), total)


def diff_image(expected: QImage, actual: QImage, threshold: int = THRESHOLD) -> QImage:
    """The actual image faded, with the pixels that differ painted magenta (for a person
    looking at a failure); sizes that differ: the area they share."""
    width = min(expected.width(), actual.width())
    height = min(expected.height(), actual.height())
    e, a = expected.copy(0, 0, width, height), actual.copy(0, 0, width, height)
    flags = _flags(e, a, threshold).translate(bytes([0, 255]) + bytes(254))
    mask = QImage(flags, width, height, width, QImage.Format.Format_Alpha8).copy()
    out = QImage(width, height, QImage.Format.Format_ARGB32)
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.setOpacity(0.35)
    painter.drawImage(QPoint(0, 0), a)
    painter.setOpacity(1.0)
    marks = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    marks.fill(QColor("magenta"))
    inner = QPainter(marks)
    inner.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
    inner.drawImage(QPoint(0, 0), mask)
    inner.end()
    painter.drawImage(QPoint(0, 0), marks)
    painter.end()
    return out


def load(path: Path) -> QImage:
    image = QImage(str(path))
    if image.isNull():
        raise FileNotFoundError(f"no readable image at {path}")
    return image
