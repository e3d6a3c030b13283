"""The comparer itself: what it lets pass (anti-aliasing noise) and what it catches."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from tests.visual.compare import MAX_SHARE, THRESHOLD, compare, diff_image
from tests.visual.test_visual import check_image


def _picture(width: int = 200, height: int = 100) -> QImage:
    """Something with edges and text, like a screen."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#eef1f4"))
    painter = QPainter(image)
    painter.fillRect(QRect(10, 10, 80, 30), QColor("#0a58c2"))
    painter.setPen(QColor("#1f2328"))
    painter.drawText(QRect(10, 50, 180, 40), 0, "Parcel not delivered")
    painter.end()
    return image


def _paint(image: QImage, rect: QRect, colour: QColor) -> QImage:
    out = image.copy()
    painter = QPainter(out)
    painter.fillRect(rect, colour)
    painter.end()
    return out


def _shift_channels(image: QImage, by: int) -> QImage:
    """Every pixel's red channel lowered by ``by`` levels (down to 0)."""
    out = image.convertToFormat(QImage.Format.Format_RGB32)
    for y in range(out.height()):
        for x in range(out.width()):
            c = out.pixelColor(x, y)
            out.setPixelColor(x, y, QColor(max(0, c.red() - by), c.green(), c.blue()))
    return out


def test_the_same_image_matches(qapp: QApplication) -> None:
    image = _picture()
    result = compare(image, image.copy())
    assert result.matches() and result.different == 0


def test_small_channel_noise_is_tolerated_and_large_is_not(qapp: QApplication) -> None:
    image = _picture()
    assert compare(image, _shift_channels(image, THRESHOLD // 2)).different == 0
    moved = compare(image, _shift_channels(image, THRESHOLD + 1))
    # Each pixel whose red channel could move that far counts (the dark ones cannot).
    movable = sum(
        image.pixelColor(x, y).red() > THRESHOLD
        for y in range(image.height())
        for x in range(image.width())
    )
    assert movable > image.width() * image.height() / 2
    assert moved.different == movable and not moved.matches()


def test_a_changed_colour_fails_beyond_the_share_and_passes_below_it(qapp: QApplication) -> None:
    image = _picture()  # 20 000 pixels: 0.1 % is 20
    red = QColor("#c00000")
    assert compare(image, _paint(image, QRect(120, 10, 6, 3), red)).matches()  # 18 pixels
    result = compare(image, _paint(image, QRect(120, 10, 11, 2), red))  # 22 pixels
    assert result.different == 22 and not result.matches()
    assert "22 of 20000 pixels differ (0.110%)" in result.describe()
    assert MAX_SHARE == 0.001


def test_a_theme_token_change_is_caught(qapp: QApplication) -> None:
    """The accent colour a shade darker (#0a58c2 to #08479e, its hover colour used by
    mistake) over a button fails; a level or two of blending difference does not."""
    image = _picture()
    darker = _paint(image, QRect(10, 10, 80, 30), QColor("#08479e"))
    assert compare(image, darker).different == 80 * 30
    assert not compare(image, darker).matches()
    near = _paint(image, QRect(10, 10, 80, 30), QColor("#0c5ac4"))  # 2 levels off
    assert compare(image, near).matches() and compare(image, near).different == 0


def test_another_size_fails(qapp: QApplication) -> None:
    result = compare(_picture(200, 100), _picture(200, 101))
    assert not result.matches() and "size 200x101, expected 200x100" in result.describe()


def test_a_failure_names_the_actual_and_the_diff_image(qapp: QApplication, tmp_path: Path) -> None:
    reference = tmp_path / "refs" / "thing-light-100.png"
    reference.parent.mkdir()
    image = _picture()
    assert image.save(str(reference))
    assert check_image(image, reference, tmp_path) is None  # the same: passes
    changed = _paint(image, QRect(100, 0, 100, 100), QColor("magenta"))
    message = check_image(changed, reference, tmp_path)
    assert message is not None and "10000 of 20000 pixels differ" in message
    actual, diff = tmp_path / "actual-thing-light-100.png", tmp_path / "diff-thing-light-100.png"
    assert str(actual) in message and str(diff) in message
    assert QImage(str(actual)).size() == image.size()
    marks = diff_image(image, changed)
    assert marks.pixelColor(150, 50) == QColor("magenta")
    assert marks.pixelColor(20, 80) != QColor("magenta")


def test_a_missing_reference_is_a_problem(qapp: QApplication, tmp_path: Path) -> None:
    message = check_image(_picture(), tmp_path / "refs" / "none-light-100.png", tmp_path)
    assert message is not None and "no reference image none-light-100.png" in message
    assert (tmp_path / "none-light-100.png").exists()  # what was drawn, to look at
