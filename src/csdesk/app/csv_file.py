"""Tables written as CSV files a spreadsheet cannot be tricked by (runs on a worker).

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
with ``'`` so a spreadsheet shows it instead of evaluating it: labels are names people typed
(the server's KPI CSV follows the same rule, ``server/kpis/csv_table.py``, which the desk may
not import). Numbers stay numbers. A file is written beside its target and moved into place,
so a failed export never leaves half a file under the chosen name.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

__all__ = ["cell", "render", "write_bytes", "write_csv"]

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


def write_bytes(path: Path, data: bytes) -> Path:
    """``data`` into ``path``, whole or not at all."""
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def write_csv(path: Path, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Path:
    # UTF-8 with a byte-order mark: spreadsheets then read accents and dashes right.
    return write_bytes(path, render(header, rows).encode("utf-8-sig"))
