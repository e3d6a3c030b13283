"""The inbox's totals, kept by the cache itself as conversations change.

Counting every view by scanning the conversations took 1.3-2.2 s at a million of them, on
every change the desk pulled. Instead SQLite triggers keep ``inbox_counts``: how many live
(not deleted) conversations there are for each status, channel and assignee, a row per
combination, changed in the same statement as the conversation, whoever writes it (a pulled
page, a snapshot, the replay of the agent's own actions, a reset). The side bar's totals are
then sums over a few dozen rows (``app.inbox.counts``).

"SLA at risk" moves with the clock, not with the rows, so it is no count kept here: it is an
index range, ``ix_cache_conversations_due`` (status, then the due time that matters now, live
conversations only), counted as it is asked.

``keep`` runs when the cache opens: it (re)makes the table, triggers and index where any is
missing or of another definition, and then fills the table from one scan, in the opening
transaction.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from csdesk.sync.tables import sql_words

TABLE: Final = "inbox_counts"
#: The key of a conversation's row: NULLs as '' (a primary key column holds no NULL).
_KEY = "coalesce({r}.status, ''), coalesce({r}.channel, ''), coalesce({r}.assignee_id, '')"
_MATCH = (
    "status = coalesce({r}.status, '') AND channel = coalesce({r}.channel, '')"
    " AND assignee = coalesce({r}.assignee_id, '')"
)
_ADD = (
    "INSERT INTO inbox_counts (status, channel, assignee, n) SELECT " + _KEY + ", 1"
    " WHERE {r}.deleted_at IS NULL"
    " ON CONFLICT (status, channel, assignee) DO UPDATE SET n = n + 1;"
)
_TAKE = "UPDATE inbox_counts SET n = n - 1 WHERE {r}.deleted_at IS NULL AND " + _MATCH + ";"

#: The due time the "SLA at risk" view compares: first response until answered, then
#: resolution. The same expression as ``app.inbox._due``, so SQLite matches the index to it.
DUE = "CASE WHEN first_response_at IS NULL THEN first_response_due_at ELSE resolution_due_at END"

#: The counts table and the triggers that keep it: made and filled together.
DDL: Final[dict[str, str]] = {
    TABLE: (
        "CREATE TABLE inbox_counts (status TEXT NOT NULL, channel TEXT NOT NULL,"
        " assignee TEXT NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (status, channel, assignee)) WITHOUT ROWID"
    ),
    "inbox_counts_insert": (
        "CREATE TRIGGER inbox_counts_insert AFTER INSERT ON conversations"
        " BEGIN " + _ADD.format(r="NEW") + " END"
    ),
    "inbox_counts_delete": (
        "CREATE TRIGGER inbox_counts_delete AFTER DELETE ON conversations"
        " BEGIN " + _TAKE.format(r="OLD") + " END"
    ),
    "inbox_counts_update": (
        "CREATE TRIGGER inbox_counts_update"
        " AFTER UPDATE OF status, channel, assignee_id, deleted_at ON conversations"
        " WHEN OLD.status IS NOT NEW.status OR OLD.channel IS NOT NEW.channel"
        " OR OLD.assignee_id IS NOT NEW.assignee_id"
        " OR (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL)"
        " BEGIN " + _TAKE.format(r="OLD") + " " + _ADD.format(r="NEW") + " END"
    ),
}
DUE_INDEX: Final = "ix_cache_conversations_due"
DUE_INDEX_DDL: Final = (
    f"CREATE INDEX {DUE_INDEX} ON conversations (status, ({DUE})) WHERE deleted_at IS NULL"
)

_FILL = (
    "INSERT INTO inbox_counts (status, channel, assignee, n) SELECT " + _KEY.format(r="c") + ","
    " count(*) FROM conversations AS c WHERE c.deleted_at IS NULL GROUP BY 1, 2, 3"
)


def keep(s: Session) -> bool:
    """Make the counts table and its triggers as ``DDL`` says, refilling the table when
    anything was missing or different (True when it did), and the due index. In the
    caller's write transaction, so the table never misses a change made between its fill
    and its triggers."""
    rows = s.execute(text("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")).all()
    have = {name: sql for name, sql in rows if name in DDL or name == DUE_INDEX}
    if sql_words(have.get(DUE_INDEX)) != sql_words(DUE_INDEX_DDL):
        s.execute(text(f"DROP INDEX IF EXISTS {DUE_INDEX}"))
        s.execute(text(DUE_INDEX_DDL))
    if all(sql_words(have.get(name)) == sql_words(ddl) for name, ddl in DDL.items()):
        return False
    for name in DDL:
        s.execute(text(f"DROP {'TABLE' if name == TABLE else 'TRIGGER'} IF EXISTS {name}"))
    for ddl in DDL.values():
        s.execute(text(ddl))
    s.execute(text(_FILL))
    return True
