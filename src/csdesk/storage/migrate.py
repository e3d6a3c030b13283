"""Alembic, driven from code: the server upgrades its database at start-up.

Importing alembic (with mako, pygments and every SQL dialect it knows) costs a server start
hundreds of milliseconds, so :func:`upgrade` first checks, with one query, whether the database
is already at the scripts' head, and imports alembic only when there is something to do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
#: pg_advisory_lock key, so several server processes starting together migrate once.
_LOCK_KEY = 0x637364657364  # "csdesk"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@functools.cache
def script_heads() -> frozenset[str]:
    """The head revisions of the migration scripts, read from their text (no alembic)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev is None or down is None:
            return frozenset()  # not a shape this reader knows: let alembic decide
        revisions.update(_QUOTED.findall(rev.group(1)))
        downs.update(_QUOTED.findall(down.group(1)))
    return frozenset(revisions - downs)


def at_head(engine: Engine) -> bool:
    """The database's revisions are exactly the scripts' heads (nothing to upgrade)."""
    heads = script_heads()
    if not heads:
        return False
    try:
        with engine.connect() as conn:
            stored = set(conn.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return stored == heads


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and at_head(engine):
        return

    def run(cfg: Config) -> None:
        from alembic import command

        command.upgrade(cfg, revision)

    _locked(engine, run)


def downgrade(engine: Engine, revision: str) -> None:
    def run(cfg: Config) -> None:
        from alembic import command

        command.downgrade(cfg, revision)

    _locked(engine, run)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _locked(engine: Engine, run: Callable[[Config], None]) -> None:
    cfg = alembic_config(engine)
    if engine.dialect.name != "postgresql":
        run(cfg)
        return
    with engine.connect() as lock_conn:
        lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        try:
            run(cfg)
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            lock_conn.commit()


# --- knowledge base (issue 14): SQLite's FTS5 index is no model ----------------------------

#: The SQLite FTS5 table the knowledge base's migration creates (0011_kb) and its shadow
#: tables (``kb_fts_data``, ``_idx``, ``_content``, ``_docsize``, ``_config``): not models,
#: so autogenerate and the models-vs-migrations check leave them out.
FTS_TABLE_PREFIXES = ("kb_fts",)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic ``include_name``: everything but the FTS5 tables."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE_PREFIXES))
