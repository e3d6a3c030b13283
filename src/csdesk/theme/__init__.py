"""Colour tokens, themes and WCAG contrast maths; standard library only, so no Qt import."""

from csdesk.theme.contrast import contrast_ratio, relative_luminance
from csdesk.theme.qss import render_qss
from csdesk.theme.themes import THEMES, get_theme
from csdesk.theme.tokens import CONTRAST_PAIRS, Theme, channel_colour

__all__ = [
    "CONTRAST_PAIRS",
    "THEMES",
    "Theme",
    "channel_colour",
    "contrast_ratio",
    "get_theme",
    "relative_luminance",
    "render_qss",
]
