"""Spacing grid, type scale, radii and icon sizes: the look's numbers, as data beside colours.

One 4-px grid multiplied by the user's text size, so 200 % text gets 200 % padding and the
layout keeps its proportions; widgets and the style sheet ask here instead of writing pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TYPE_SCALE", "Metrics", "metrics"]

#: Font size steps relative to the body text (the style sheet's point size times these).
TYPE_SCALE: dict[str, float] = {"small": 0.9, "body": 1.0, "heading": 1.3, "title": 1.5}

GRID = 4


@dataclass(frozen=True, slots=True)
class Metrics:
    grid: int  # one step of the spacing grid, in px
    radius: int  # corners of buttons and fields
    chip_radius: int  # corners of chips (status, SLA, attachments)
    icon: int  # icon side beside body text
    avatar: int  # initials circle in inbox rows and the customer card

    def space(self, steps: int) -> int:
        """``steps`` grid steps in px (padding, margins, gaps)."""
        return self.grid * steps


def metrics(scale: float = 1.0) -> Metrics:
    """The numbers for a text size (1.0 = 100 %)."""
    grid = max(2, round(GRID * scale))
    return Metrics(
        grid=grid,
        radius=max(2, round(4 * scale)),
        chip_radius=max(4, round(9 * scale)),
        icon=max(12, round(16 * scale)),
        avatar=max(24, round(32 * scale)),
    )
