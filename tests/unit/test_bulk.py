"""``storage.bulk``: rows through the driver directly store what SQLAlchemy's executemany
stores, and a statement that would need SQLAlchemy to fill a value in is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, delete, insert, select, text

from csdesk.storage import models as m
from csdesk.storage.bulk import Bulk
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import upgrade


def _audit() -> Table:
    table = m.AuditEntry.__table__
    assert isinstance(table, Table)
    return table


def test_bulk_stores_the_values_sqlalchemy_stores(db_url: str) -> None:
    # Both drivers: SQLite takes each row as a tuple, psycopg as a dict by name.
    engine = make_engine(db_url)
    upgrade(engine)
    audit = _audit()
    rows = [
        {
            "at": datetime(2026, 1, 2, 3, 4, 5, n, tzinfo=UTC),
            "actor_user_id": None if n else "u1",
            "action": "message.send",
            "entity": "message",
            "entity_id": f"m{n}",
            # JSON null, an empty list (both worked out once by Bulk) and values.
            "before": (None, [], ["x"], {})[n],
            "after": {"n": n, "note": "Grüße"},
        }
        for n in range(4)
    ]
    keys = tuple(rows[0])
    names = ", ".join(f'"{k}"' for k in keys)
    raw = f"SELECT {names} FROM audit_log ORDER BY entity_id"
    try:
        with engine.begin() as conn:
            conn.execute(insert(audit), rows)
            by_core = conn.execute(text(raw)).all()
            conn.execute(delete(audit))
            Bulk(insert(audit), keys).run(conn, rows)
            by_bulk = conn.execute(text(raw)).all()
            typed = conn.execute(select(audit.c.at, audit.c.after)).all()
        assert by_bulk == by_core  # the stored text itself: dates, JSON, NULL vs JSON null
        assert [tuple(r) for r in typed] == [(r["at"], r["after"]) for r in rows]
        stored = conn_rows(engine, "SELECT before FROM audit_log ORDER BY entity_id")
        assert stored == [r["before"] for r in rows]
    finally:
        engine.dispose()


def conn_rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return [
            json.loads(v) if isinstance(v, str) else v for v in conn.execute(text(sql)).scalars()
        ]


def test_a_statement_needing_a_default_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'b.db'}")
    upgrade(engine)
    try:
        with engine.begin() as conn, pytest.raises(ValueError, match="fills in values"):
            # ``at`` has a Python-side default SQLAlchemy would compute per row.
            Bulk(insert(_audit()), ("action", "entity", "entity_id")).run(
                conn, [{"action": "a", "entity": "e", "entity_id": "1"}]
            )
    finally:
        engine.dispose()
