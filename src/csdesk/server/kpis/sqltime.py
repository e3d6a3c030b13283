"""Time arithmetic that SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, cast, extract, func, literal
from sqlalchemy.sql.elements import ColumnElement

from csdesk.storage.types import UTCDateTime


def seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[float]:
    """``later - earlier`` in seconds (fractional), as a SQL expression."""
    if dialect == "sqlite":
        # UTCDateTime stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; julianday reads it exactly.
        diff: ColumnElement[float] = (func.julianday(later) - func.julianday(earlier)) * 86400.0
        return diff
    return cast(extract("epoch", later - earlier), Float)


def clamp(value: ColumnElement[float], low: float, high: float | None = None) -> Any:
    """``value`` kept within ``[low, high]`` (NULL stays NULL)."""
    whens: list[tuple[Any, Any]] = [(value < low, literal(low))]
    if high is not None:
        whens.append((value > high, literal(high)))
    return case(*whens, else_=value)


def instant(at: datetime) -> ColumnElement[datetime]:
    """A bound UTC instant that compares with stored times on every backend."""
    return literal(at, UTCDateTime())


def day_index(column: Any, bounds: tuple[datetime, ...]) -> Any:
    """Which day ``column`` falls in: ``i`` for ``bounds[i] <= column < bounds[i + 1]``."""
    return case(
        *[(column < instant(b), i) for i, b in enumerate(bounds[1:])],
        else_=None,
    )
