"""Generated blocks turned into what the database takes, optionally in a second process.

At a million messages the seed is CPU-bound in Python: making the rows, their wire payloads
and their SQLite values costs about as much as the inserts themselves. A worker process does
the former while the seeding process writes, which halves the wall time on a 2-core box.
Small stores are prepared inline (starting a process costs more than it saves). Both paths
run the same code on the same seeded stream, so they produce the same rows.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import JSON, insert
from sqlalchemy.dialects import sqlite as sqlite_dialect

from csdesk.protocol import Entity
from csdesk.server.demo.catalog import load_catalog
from csdesk.server.demo.common import ENTITY_ORDER, Block
from csdesk.server.demo.generate import Plan, generate
from csdesk.server.feed.log import FeedItem
from csdesk.storage.types import UTCDateTime
from csdesk.storage.wire import GLOBAL_ENTITIES, row_to_wire, table_of

#: Rows (all entities) above which a worker process prepares the blocks.
PARALLEL_ROWS = 150_000
_FRAME = struct.Struct("<Q")


@dataclass
class Prepared:
    """One block, ready to write: per entity its rows (SQLite: value tuples in the column
    order of ``sqlite_insert``; otherwise column dicts), the feed items, the counts."""

    rows: list[tuple[Entity, list[Any]]] = field(default_factory=list)
    items: list[FeedItem] = field(default_factory=list)
    counts: Counter[tuple[Entity, str]] = field(default_factory=Counter)

    # Between processes the feed items travel as plain tuples: unpickling a frozen slots
    # dataclass field by field costs more than building it again.
    def __getstate__(self) -> dict[str, Any]:
        items = [(i.entity, i.entity_id, i.realm, i.deleted, i.payload) for i in self.items]
        return {"rows": self.rows, "items": items, "counts": self.counts}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.rows = state["rows"]
        self.items = [FeedItem(*i) for i in state["items"]]
        self.counts = state["counts"]


def estimated_rows(plan: Plan) -> int:
    """About seven rows per customer (identities, orders, lines, shipments) plus threads."""
    return plan.customers * 7 + plan.conversations + plan.messages


def sqlite_datetime(value: datetime | None) -> str | None:
    """An aware datetime as SQLAlchemy stores ``UTCDateTime`` on SQLite (naive UTC text)."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat(" ")
    return text[:26] if value.microsecond else text[:19] + ".000000"


Converter = Callable[[Any], Any] | None


def _converter(type_: Any) -> Converter:
    """How SQLAlchemy stores a value of the column types the models use, on SQLite."""
    if isinstance(type_, UTCDateTime):
        return sqlite_datetime
    if isinstance(type_, JSON):
        return json.dumps  # SQLAlchemy's default JSON serializer
    return None  # strings, integers and booleans go to sqlite3 as they are


@cache
def sqlite_insert(entity: Entity) -> tuple[str, tuple[tuple[str, Converter], ...]]:
    """The compiled INSERT for ``entity`` on SQLite and, per placeholder, column and converter."""
    table = table_of(entity)
    names = [c.name for c in table.columns]
    compiled = insert(table).compile(dialect=sqlite_dialect.dialect(), column_keys=names)
    kinds = {c.name: _converter(c.type) for c in table.columns}
    order = compiled.positiontup or names
    return str(compiled), tuple((name, kinds[name]) for name in order)


@cache
def column_defaults(entity: Entity) -> dict[str, Any]:
    """What a column the generator does not fill holds: its scalar default, else NULL (a
    column added for connectors, say ``external_id``, is empty on csdesk's own records)."""
    out: dict[str, Any] = {}
    for c in table_of(entity).columns:
        default = c.default
        arg = getattr(default, "arg", None) if default is not None else None
        out[c.name] = arg if default is not None and getattr(default, "is_scalar", False) else None
    return out


def prepare(block: Block, sqlite: bool) -> Prepared:
    out = Prepared()
    for entity in ENTITY_ORDER:
        rows = block.rows[entity]
        if not rows:
            continue
        if sqlite:
            _sql, columns = sqlite_insert(entity)
            defaults = column_defaults(entity)
            values: list[Any] = [
                tuple(
                    (lambda v: v if f is None or v is None else f(v))(r.get(c, defaults[c]))
                    for c, f in columns
                )
                for r in rows
            ]
        else:
            values = rows
        out.rows.append((entity, values))
        is_global = entity in GLOBAL_ENTITIES
        for r in rows:
            realm = r["realm"]
            out.counts[(entity, realm)] += 1
            out.items.append(
                FeedItem(
                    entity, r["id"], None if is_global else realm, False, row_to_wire(entity, r)
                )
            )
    return out


def _prepared(
    plan: Plan, root: Path | None, password_hash: str, sqlite: bool
) -> Iterator[Prepared]:
    for block in generate(plan, load_catalog(root), password_hash):
        yield prepare(block, sqlite)


def _worker(out: BinaryIO, plan: Plan, root: Path | None, password_hash: str, sqlite: bool) -> None:
    """Stream length-prefixed pickles of the prepared blocks, then an empty frame."""
    gc.disable()  # see load.seed_demo
    for item in _prepared(plan, root, password_hash, sqlite):
        data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_FRAME.pack(len(data)))
        out.write(data)
    out.write(_FRAME.pack(0))
    out.flush()


def worker_main() -> None:
    """The worker process's main: the job arrives pickled on stdin."""
    job = pickle.load(sys.stdin.buffer)
    _worker(sys.stdout.buffer, *job)


def prepared_blocks(
    plan: Plan, root: Path | None, password_hash: str, *, sqlite: bool, parallel: bool
) -> Iterator[Prepared]:
    """The store's blocks in order, prepared inline or by a worker process.

    The worker is a plain ``python -m`` child talking over a pipe, not ``multiprocessing``:
    spawn would re-run the caller's ``__main__`` (a script without a main guard would seed
    twice), fork would copy open database connections and other threads' locks. The pipe's
    buffer is the backpressure: the worker waits while the writer is behind.
    """
    if not parallel or getattr(sys, "frozen", False):  # a frozen build has no ``python -m``
        yield from _prepared(plan, root, password_hash, sqlite)
        return
    with tempfile.TemporaryFile() as errors:
        # The child must import this very csdesk, however the parent found it.
        src = str(Path(__file__).resolve().parents[3])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "csdesk.server.demo.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            pickle.dump((plan, root, password_hash, sqlite), proc.stdin)
            proc.stdin.close()
            while True:
                head = proc.stdout.read(_FRAME.size)
                size = _FRAME.unpack(head)[0] if len(head) == _FRAME.size else -1
                if size == 0:
                    break
                data = proc.stdout.read(size) if size > 0 else b""
                if size < 0 or len(data) != size:
                    proc.wait(30)
                    errors.seek(0)
                    raise RuntimeError(
                        f"the demo generator process failed (exit {proc.returncode}):\n"
                        + errors.read().decode(errors="replace")
                    )
                yield pickle.loads(data)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)
            proc.stdout.close()
