"""Many rows through one statement, straight to the driver.

SQLAlchemy's executemany builds, for every row, a parameter dict over every bound name and
runs each value through its type's processor inside its own bookkeeping: for a pushed reply
(five rows in four tables) that was most of the CPU the server spent. ``Bulk`` compiles its
statement once per dialect, keeps the statement's own bind processors (so the driver gets
exactly the values SQLAlchemy would send) and hands the driver the converted rows with one
``exec_driver_sql``. For hot paths only; a row must give a value for every bound name (a
column default the statement would have filled in is refused when it is compiled).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    #: Bound names in the order the statement takes them: (name, processor, constant?, the
    #: constant's processed value) — a value written into the statement (``.values(x=1)``)
    #: is the same for every row.
    binds: tuple[tuple[str, Processor, bool, Any], ...]
    positional: bool


class Bulk:
    """``stmt`` (an INSERT, or an UPDATE/upsert with ``bindparam`` values) run with many rows.

    ``keys``: the names each row gives (an INSERT of some of a table's columns); by default
    the statement's own bound names."""

    def __init__(self, stmt: UpdateBase, keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.keys = None if keys is None else list(keys)
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        done = self._by_dialect.get(dialect.name)
        if done is None:
            c: Any = self.stmt.compile(dialect=dialect, column_keys=self.keys, for_executemany=True)
            if c.insert_prefetch or c.update_prefetch or c.effective_returning:
                raise ValueError(f"{self.stmt} fills in values or returns rows: not for Bulk")
            params: dict[str, Any] = {name: bp for bp, name in c.bind_names.items()}
            names: list[str] = list(c.positiontup) if c.positional else list(params)
            processors: dict[str, Processor] = c._bind_processors
            binds = []
            for name in names:
                bp, proc = params[name], processors.get(name)
                if bp.required:
                    binds.append((name, proc, False, None))
                else:
                    binds.append((name, None, True, bp.value if proc is None else proc(bp.value)))
            given = {name for name, _, constant, _ in binds if not constant}
            if self.keys is not None and given != set(self.keys):
                raise ValueError(f"{self.stmt} binds {sorted(given)}, rows give {self.keys}")
            done = _Compiled(c.string, tuple(binds), bool(c.positional))
            self._by_dialect[dialect.name] = done
        return done

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row in ``rows`` (one driver executemany)."""
        if not rows:
            return
        c = self._compiled(conn.dialect)
        binds = c.binds
        # Processors see None too (a JSON column stores it as JSON null).
        if c.positional:
            params: list[Any] = [
                tuple(
                    value if constant else row[n] if p is None else p(row[n])
                    for n, p, constant, value in binds
                )
                for row in rows
            ]
        else:
            params = [
                {
                    n: value if constant else row[n] if p is None else p(row[n])
                    for n, p, constant, value in binds
                }
                for row in rows
            ]
        conn.exec_driver_sql(c.sql, params)
