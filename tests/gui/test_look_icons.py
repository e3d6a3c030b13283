"""The look (issue 13): icons in theme colours, the check box tick, remembered pane widths."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QCheckBox, QSplitter, QWidget
from pytestqt.qtbot import QtBot

from csdesk import settings as opts
from csdesk.domain.enums import Channel
from csdesk.resources import resource_path
from csdesk.settings import Settings
from csdesk.theme.themes import THEMES, get_theme
from csdesk.theme.tokens import Theme
from csdesk.ui.appearance import apply_theme
from csdesk.ui.icons import CHANNEL_ICONS, channel_icon_name, icon
from csdesk.ui.layout_memory import bind_pane_memory, parse_widths, saved_widths
from csdesk.ui.pane_fit import PaneFitter


def _colours(image_icon: object, size: int = 32) -> set[str]:
    from PySide6.QtGui import QIcon

    assert isinstance(image_icon, QIcon)
    image = image_icon.pixmap(QSize(size, size)).toImage()
    return {
        image.pixelColor(x, y).name()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() == 255
    }


def test_every_channel_has_an_icon_file_and_the_licence_ships() -> None:
    for channel in Channel:
        name = channel_icon_name(channel.value)
        assert name == CHANNEL_ICONS[channel.value]
        assert resource_path("icons", f"{name}.svg").read_text().count("currentColor") > 0
    assert "ISC" in resource_path("icons", "LICENSE-lucide.txt").read_text()


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
def test_channel_icons_are_drawn_in_the_themes_channel_colour(qtbot: QtBot, theme: Theme) -> None:
    for channel in Channel:
        colour = theme.colour(f"channel_{channel.value}")
        drawn = _colours(icon(channel_icon_name(channel.value), colour, 32))
        assert drawn == {colour}, (channel, drawn)  # solid strokes: only the token's colour


@pytest.mark.parametrize("name", ["light", "high_contrast_dark"])
def test_a_checked_box_shows_a_tick_in_the_accent_text_colour(qtbot: QtBot, name: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme = get_theme(name)
    apply_theme(app, theme, 1.0)
    try:
        box = QCheckBox("Internal note")
        qtbot.addWidget(box)
        box.setChecked(True)
        box.show()
        image = box.grab().toImage()
        colours = {
            image.pixelColor(x, y).name()
            for x in range(min(40, image.width()))
            for y in range(image.height())
        }
        # The filled box (accent) and, inside it, the tick (accent_text): not colour alone.
        assert theme.accent in colours and theme.accent_text in colours
        box.setChecked(False)
        image = box.grab().toImage()
        unchecked = {
            image.pixelColor(x, y).name()
            for x in range(min(40, image.width()))
            for y in range(image.height())
        }
        assert theme.accent not in unchecked
    finally:
        apply_theme(app, get_theme("light"), 1.0)


def test_pane_widths_parse_and_refuse_nonsense() -> None:
    assert parse_widths("inbox=420,customer=320") == {"inbox": 420, "customer": 320}
    assert parse_widths("inbox=abc,evil=3,customer=0,views=99999") == {}
    assert opts.PANE_WIDTHS.check is not None
    assert opts.PANE_WIDTHS.check("inbox=420") is None
    assert opts.PANE_WIDTHS.check("conversation=5") is not None


def test_dragged_pane_widths_are_kept_and_given_back(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json", {})
    split = QSplitter()
    panes = [QWidget() for _ in range(4)]
    for p in panes:
        split.addWidget(p)
    qtbot.addWidget(split)
    split.resize(1400, 600)
    split.show()
    fitter = PaneFitter(split, *panes)
    bind_pane_memory(settings, fitter)
    qtbot.waitUntil(lambda: split.sizes()[1] > 0, timeout=5_000)
    split.splitterMoved.emit(300, 2)  # what a drag of a handle emits
    kept = saved_widths(settings)
    assert set(kept) == {"views", "inbox", "customer"}
    assert kept["inbox"] == split.sizes()[1]
    # Saved with the settings (on quit), a new window starts from them.
    settings.save()
    again, problem = Settings.load(tmp_path / "settings.json")
    assert problem is None
    split2 = QSplitter()
    panes2 = [QWidget() for _ in range(4)]
    for p in panes2:
        split2.addWidget(p)
    qtbot.addWidget(split2)
    fitter2 = PaneFitter(split2, *panes2)
    bind_pane_memory(again, fitter2)
    assert fitter2.preferred[id(panes2[1])] == kept["inbox"]
