"""CSV that a spreadsheet cannot be tricked by, for the server's KPI exports and the desk's.

A text cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
spreadsheets skip before a formula) is prefixed with ``'`` so it is shown, never evaluated:
labels are names people typed. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Final

__all__ = ["cell", "render"]

_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def render(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()
