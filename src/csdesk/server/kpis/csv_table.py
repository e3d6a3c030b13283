"""CSV export that a spreadsheet cannot be tricked by.

A text cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
spreadsheets skip before a formula) is prefixed with ``'`` so it is shown, never evaluated:
labels are names people typed. Numbers the server computed are written as numbers.
"""

from __future__ import annotations

from csdesk.domain.csv_safe import cell, render

__all__ = ["cell", "render"]
