"""What the agent chose for the layout, remembered in the settings file: the inbox's sort and
the widths of the side panes and the inbox (dragged splitter handles).

The first sort is "SLA due" (the settings default): an agent starts with whoever is closest to
a broken promise, not with the newest message. Widths are stored per pane in px and handed to
the PaneFitter as preferred widths, which it still shrinks or hides when text is too large.
"""

from __future__ import annotations

from PySide6.QtWidgets import QSplitter

from csdesk import settings as opts
from csdesk.app.inbox import Sort
from csdesk.settings import Settings
from csdesk.ui.pane_fit import PaneFitter

__all__ = [
    "bind_pane_memory",
    "default_sort",
    "parse_widths",
    "remember_sort",
    "remember_widths",
    "saved_widths",
]


def default_sort(settings: Settings | None) -> Sort:
    value = settings.get(opts.INBOX_SORT) if settings is not None else Sort.SLA_DUE.value
    try:
        return Sort(value)
    except ValueError:
        return Sort.SLA_DUE


def remember_sort(settings: Settings | None, sort: Sort) -> None:
    if settings is not None and settings.get(opts.INBOX_SORT) != sort.value:
        settings.set(opts.INBOX_SORT, sort.value)


def parse_widths(text: str) -> dict[str, int]:
    """``"inbox=420,customer=320"`` -> ``{"inbox": 420, "customer": 320}`` (bad parts skipped)."""
    widths: dict[str, int] = {}
    for part in text.split(","):
        name, _eq, width = part.partition("=")
        if name in opts.PANE_NAMES and width.isdigit() and 0 < int(width) <= 4000:
            widths[name] = int(width)
    return widths


def saved_widths(settings: Settings | None) -> dict[str, int]:
    return parse_widths(settings.get(opts.PANE_WIDTHS)) if settings is not None else {}


def remember_widths(settings: Settings | None, split: QSplitter, names: tuple[str, ...]) -> None:
    """Store the widths of the named panes (splitter order; "" for a pane not kept) that are
    shown now; a hidden pane keeps its earlier width."""
    if settings is None:
        return
    widths = saved_widths(settings)
    for name, size in zip(names, split.sizes(), strict=False):
        if name in opts.PANE_NAMES and size > 0:
            widths[name] = min(size, 4000)
    text = ",".join(f"{k}={v}" for k, v in sorted(widths.items()))
    if text != settings.get(opts.PANE_WIDTHS):
        settings.set(opts.PANE_WIDTHS, text)


def bind_pane_memory(settings: Settings | None, fitter: PaneFitter) -> None:
    """Start ``fitter`` from the saved widths and save them again whenever the agent drags a
    splitter handle (``splitterMoved`` fires for drags only, not for the fitter's own sizes)."""
    panes = (fitter.views, fitter.inbox, fitter.conversation, fitter.customer)
    names = ("views", "inbox", "", "customer")
    widths = saved_widths(settings)
    fitter.preferred = {id(p): widths[n] for n, p in zip(names, panes, strict=True) if n in widths}

    def moved(_pos: int, _index: int) -> None:
        for name, pane, size in zip(names, panes, fitter.split.sizes(), strict=True):
            if name and size > 0:
                fitter.preferred[id(pane)] = size
        remember_widths(settings, fitter.split, names)

    fitter.split.splitterMoved.connect(moved)
