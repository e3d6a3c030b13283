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

from sqlalchemy import Connection, Result
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes
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
    #: One row's driver parameters (a tuple, or a dict by name): a function compiled for
    #: this statement, which reads each name and calls each processor directly (the general
    #: loop over ``binds`` per value was most of a push's parameter building, issue 10).
    convert: Callable[[Mapping[str, Any]], Any]


_NONE = object()  # no precomputed value


def _processed(proc: Callable[[Any], Any], value: Any) -> Any:
    """``proc(value)`` worked out once, when it is a plain string or None (what JSON and
    date processors give for None and ``[]``); ``_NONE`` otherwise."""
    try:
        out = proc(value)
    except Exception:  # the processor refuses it: leave it to each row, as before
        return _NONE
    return out if out is None or type(out) is str else _NONE


def _converter(
    binds: Sequence[tuple[str, Processor, bool, Any]],
    positional: bool,
    json_names: frozenset[str] = frozenset(),
) -> Callable[[Mapping[str, Any]], Any]:
    """A function from one row to its driver parameters for ``binds``, written out for this
    statement (``v1 = row[k1]; return (c0, p1(v1), row[k2], …)``, or a dict by name): names
    and values reach it as globals, never as source text. A processed column's None (and a
    JSON column's empty list: a reply's attachments and translations) takes the value its
    processor gives for it, worked out once."""
    env: dict[str, Any] = {}
    lines: list[str] = []
    parts: list[str] = []
    for i, (name, proc, constant, value) in enumerate(binds):
        env[f"k{i}"] = name
        if constant:
            env[f"c{i}"] = value
            expr = f"c{i}"
        elif proc is None:
            expr = f"row[k{i}]"
        else:
            env[f"p{i}"] = proc
            lines.append(f"    v{i} = row[k{i}]")
            expr = f"p{i}(v{i})"
            if name in json_names and (empty := _processed(proc, [])) is not _NONE:
                env[f"e{i}"] = empty
                expr = f"e{i} if type(v{i}) is list and not v{i} else {expr}"
            if (none := _processed(proc, None)) is not _NONE:
                env[f"n{i}"] = none
                expr = f"n{i} if v{i} is None else {expr}"
            expr = f"({expr})"
        parts.append(expr if positional else f"k{i}: {expr}")
    if positional:
        body = f"({', '.join(parts)},)" if parts else "()"
    else:
        body = f"{{{', '.join(parts)}}}"
    source = "\n".join(["def convert(row):", *lines, f"    return {body}"])
    exec(compile(source, "<storage.bulk>", "exec"), env)
    fn: Callable[[Mapping[str, Any]], Any] = env["convert"]
    return fn


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
            json_names = frozenset(
                name for name in given if isinstance(params[name].type, sqltypes.JSON)
            )
            convert = _converter(binds, bool(c.positional), json_names)
            done = _Compiled(c.string, tuple(binds), bool(c.positional), convert)
            self._by_dialect[dialect.name] = done
        return done

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row in ``rows`` (one driver executemany)."""
        if not rows:
            return
        c = self._compiled(conn.dialect)
        convert = c.convert
        # Processors see None too (a JSON column stores it as JSON null).
        conn.exec_driver_sql(c.sql, [convert(row) for row in rows])


def dicts_by_id(result: Result[Any]) -> dict[str, dict[str, Any]]:
    """The rows of ``result`` (which selects an ``id`` column) as dicts, by id; the column
    names are read once, not per row as ``dict(row_mapping)`` does (hot paths, issue 10)."""
    keys = list(result.keys())
    at = keys.index("id")
    return {row[at]: dict(zip(keys, row, strict=True)) for row in result}
