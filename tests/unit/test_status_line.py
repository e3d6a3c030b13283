"""The status bar's line shares a short line fairly (ui/status_line.py): what fits is shown
whole, and when it does not, the narrowest items keep their width up to an equal share and the
widest give way (Qt's box layout took the same number of pixels from each, cutting the short
"My status" button mid-word while a long notice kept most of its width)."""

from __future__ import annotations

from csdesk.ui.status_line import fair_widths


def test_everything_fits_and_is_given_what_it_asks() -> None:
    assert fair_widths([370, 200, 140], [40, 40, 40], 800) == [370, 200, 140]


def test_the_widest_give_way_first() -> None:
    # The sync state, a long notice, unread mentions and My status at 200 % text.
    assert fair_widths([763, 1660, 291, 407], [150, 150, 150, 147], 1600) == [451, 451, 291, 407]
    assert fair_widths([763, 1660, 291, 407], [150, 150, 150, 147], 1400) == [370, 370, 291, 369]


def test_nothing_goes_below_its_minimum() -> None:
    assert fair_widths([500, 500], [300, 100], 300) == [300, 100]
