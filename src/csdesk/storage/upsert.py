"""``INSERT … ON CONFLICT`` for the database in hand, importing only that database's dialect.

Importing ``sqlalchemy.dialects.postgresql`` costs a SQLite process (the embedded server) tens
of milliseconds of start-up for nothing, so the dialect is chosen and imported per call.
"""

from __future__ import annotations

from typing import Any


def insert_for(dialect: str, table: Any) -> Any:
    """The dialect's ``insert(table)``, which has ``on_conflict_do_update``/``_nothing``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
