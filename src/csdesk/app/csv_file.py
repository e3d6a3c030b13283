"""Tables written as CSV files a spreadsheet cannot be tricked by (runs on a worker).

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
with ``'`` so a spreadsheet shows it instead of evaluating it: labels are names people typed
(``domain.csv_safe``, shared with the server's KPI CSV). Numbers stay numbers. A file is
written beside its target and moved into place, so a failed export never leaves half a file
under the chosen name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from csdesk.domain.csv_safe import cell, render

__all__ = ["cell", "render", "write_bytes", "write_csv"]


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
