"""Theme and text size, applied to the running application and kept in step with the OS.

One object owns "what the app looks like now", so the settings page, the start-up code and the
operating system's colour-scheme and contrast changes all go through the same path: resolve the
theme, re-render the style sheet, set the font, tell the windows (whose delegates paint with
theme colours) — no restart.
"""

from __future__ import annotations

import getpass
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPalette, QStyleHints
from PySide6.QtWidgets import QApplication

from csdesk import settings as opts
from csdesk.settings import Settings
from csdesk.theme.qss import render_qss
from csdesk.theme.themes import get_theme
from csdesk.theme.tokens import Theme

__all__ = ["Appearance", "apply_theme", "arrow_images", "os_scheme", "resolve_theme", "theme_for"]

BASE_POINT_SIZE = 10.0


def os_scheme(app: QApplication) -> tuple[bool, bool]:
    """(dark, high contrast) as the operating system prefers them now."""
    hints = app.styleHints()  # keep a reference: a temporary is deleted under us
    dark = hints.colorScheme() == Qt.ColorScheme.Dark
    access = hints.accessibility()  # Qt 6.10+; under Xvfb it reports no preference
    return dark, access.contrastPreference() == Qt.ContrastPreference.HighContrast


def theme_for(choice: str, *, dark: bool, high: bool) -> Theme:
    """The agent's theme, or with "system" the one matching the OS scheme and contrast."""
    if choice != "system":
        return get_theme(choice)
    if high:
        return get_theme("high_contrast_dark" if dark else "high_contrast")
    return get_theme("dark" if dark else "light")


def resolve_theme(app: QApplication, choice: str) -> Theme:
    dark, high = os_scheme(app)
    return theme_for(choice, dark=dark, high=high)


def apply_theme(app: QApplication, theme: Theme, scale: float) -> None:
    """Style sheet, link colour (QSS cannot set it: without this, links stay dark blue on the
    dark themes) and font size, in the order that re-polishes once."""
    palette = app.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Link, QColor(theme.link))
        palette.setColor(group, QPalette.ColorRole.LinkVisited, QColor(theme.link))
    app.setPalette(palette)
    font = app.font()
    font.setPointSizeF(BASE_POINT_SIZE * scale)
    # The arrows' buttons are sized from the text as drawn (this font on this screen).
    line = QFontMetrics(font).height()
    app.setStyleSheet(
        render_qss(
            theme, scale, tick_image=tick_image(theme), arrows=arrow_images(theme), line=line
        )
    )
    app.setFont(font)


class Appearance(QObject):
    """Signals: ``theme_changed(Theme)`` after every re-application (settings or OS change)."""

    theme_changed = Signal(object)

    def __init__(
        self, app: QApplication, settings: Settings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.app = app
        self.settings = settings
        #: Where "system" looks; replaceable, since no test display can change the OS scheme.
        self.os_scheme: Callable[[], tuple[bool, bool]] = lambda: os_scheme(app)
        self.theme = resolve_theme(app, settings.get(opts.THEME))
        self._applied: tuple[str, float] | None = None
        self._detached = False
        self._hints: QStyleHints = app.styleHints()  # a reference keeps it alive
        self._hints.colorSchemeChanged.connect(self._os_changed)
        self._access = self._hints.accessibility()
        self._access.contrastPreferenceChanged.connect(self._os_changed)

    def apply(self) -> Theme:
        """Resolve and apply the theme and text size the settings hold now."""
        dark, high = self.os_scheme()
        self.theme = theme_for(self.settings.get(opts.THEME), dark=dark, high=high)
        scale = self.settings.get(opts.FONT_SCALE)
        key = (self.theme.name, scale)
        if key != self._applied:  # re-polishing every widget is not free; skip a no-op
            apply_theme(self.app, self.theme, scale)
            self._applied = key
        self.theme_changed.emit(self.theme)
        return self.theme

    def detach(self) -> None:
        """Stop following the OS (the application outlives this object in tests); idempotent."""
        if self._detached:
            return
        self._detached = True
        self._hints.colorSchemeChanged.disconnect(self._os_changed)
        self._access.contrastPreferenceChanged.disconnect(self._os_changed)

    def _os_changed(self, *_args: object) -> None:
        if self.settings.get(opts.THEME) == "system":
            self.apply()


def _icon_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"csdesk-icons-{getpass.getuser()}"


def tick_image(theme: Theme) -> str | None:
    """The check box tick in the theme's ``accent_text``, as a file the style sheet can name
    (a style sheet takes an image url, not SVG text); None when it cannot be written."""
    from csdesk.ui.icons import icon_file

    try:
        return icon_file("check", theme.accent_text, _icon_folder()).as_posix()
    except (OSError, KeyError):
        return None  # a filled box still says checked; the tick is a second cue


def arrow_images(theme: Theme) -> dict[str, str] | None:
    """Combo and spin box arrows as chevrons in the theme's ``text`` (``text_disabled`` when
    disabled), so they keep the text's contrast in every theme; None (Qt's own arrows) when
    they cannot be written."""
    from csdesk.ui.icons import icon_file

    folder = _icon_folder()
    try:
        return {
            "down": icon_file("chevron-down", theme.text, folder).as_posix(),
            "up": icon_file("chevron-up", theme.text, folder).as_posix(),
            "down_disabled": icon_file("chevron-down", theme.text_disabled, folder).as_posix(),
            "up_disabled": icon_file("chevron-up", theme.text_disabled, folder).as_posix(),
        }
    except (OSError, KeyError):
        return None
