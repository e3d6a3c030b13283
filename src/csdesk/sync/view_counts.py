"""The inbox's totals, kept by the cache itself as conversations change.

Counting every view by scanning the conversations took 1.3-2.2 s at a million of them, on
every change the desk pulled. Instead SQLite triggers keep ``inbox_counts``: how many live
(not deleted) conversations there are for each status, channel and assignee, a row per
combination, changed in the same statement as the conversation, whoever writes it (a pulled
page, a snapshot, the replay of the agent's own actions). The side bar's totals are then sums
over a few dozen rows (``app.inbox.counts``); while the triggers are not all there (the cache
could not make them) the totals are counted by a scan, as before.

"SLA at risk" moves with the clock, not with the rows, so it is no count kept here: it is a
range of ``ix_cache_conversations_due``, the due time that matters now of live open and
pending conversations, counted as it is asked. Its condition is written with the statuses
spelled out (``AT_RISK_ROWS``): the inbox's other queries bind theirs, so SQLite never takes
this index for them (an index led by status took their "newest first" walks, twice as slow).

``keep`` runs when the cache opens, in a transaction of its own after the opening one
(``LocalCache._keep_derived``): it (re)makes the table and triggers where any is missing or
of another definition and then fills the table from one scan, and the index likewise. Either
failing, or the commit failing (a full disk), is logged and the cache opens without it;
``kept`` trusts only the definitions written here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus
from csdesk.sync.tables import keep_index, sql_words

log = logging.getLogger(__name__)

TABLE: Final = "inbox_counts"
#: Assignee keys: '' for none, '=' and the id for one (a primary key column holds no NULL,
#: and an id of '' must not pass for "unassigned"). NULL status and channel are '': no view
#: shows either.
UNASSIGNED: Final = ""
ASSIGNED: Final = "="
_KEY = (
    "coalesce({r}.status, ''), coalesce({r}.channel, ''),"
    " coalesce('" + ASSIGNED + "' || {r}.assignee_id, '')"
)
_MATCH = (
    "status = coalesce({r}.status, '') AND channel = coalesce({r}.channel, '')"
    " AND assignee = coalesce('" + ASSIGNED + "' || {r}.assignee_id, '')"
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
_ACTIVE = ", ".join(f"'{s.value}'" for s in (ConversationStatus.OPEN, ConversationStatus.PENDING))
#: The rows "SLA at risk" looks at, as the due index is made over them: a query must say it in
#: these words for SQLite to use the index.
AT_RISK_ROWS: Final = f"conversations.deleted_at IS NULL AND conversations.status IN ({_ACTIVE})"

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
TRIGGERS: Final = tuple(name for name in DDL if name != TABLE)
DUE_INDEX: Final = "ix_cache_conversations_due"
DUE_INDEX_DDL: Final = (
    f"CREATE INDEX {DUE_INDEX} ON conversations (({DUE}))"
    f" WHERE deleted_at IS NULL AND status IN ({_ACTIVE})"
)

_FILL = (
    "INSERT INTO inbox_counts (status, channel, assignee, n) SELECT " + _KEY.format(r="c") + ","
    " count(*) FROM conversations AS c WHERE c.deleted_at IS NULL GROUP BY 1, 2, 3"
)


def _stored(s: Session) -> dict[str, str]:
    """The stored definitions of the table, its triggers and the due index (those there)."""
    rows = s.execute(_DEFINITIONS, {"names": [*DDL, DUE_INDEX]}).all()
    return {name: sql for name, sql in rows}


_DEFINITIONS = text("SELECT name, sql FROM sqlite_master WHERE name IN :names").bindparams(
    bindparam("names", expanding=True)
)


def _drop(s: Session) -> None:
    for name in DDL:
        s.execute(text(f"DROP {'TABLE' if name == TABLE else 'TRIGGER'} IF EXISTS {name}"))


def keep(s: Session) -> bool:
    """Make the counts table and its triggers as ``DDL`` says, refilling the table when
    anything was missing or different (True when it did), and the due index. In the
    caller's write transaction, so the table never misses a change made between its fill
    and its triggers. What cannot be made is logged, and left out (never half made)."""
    have = _stored(s)
    keep_index(s, DUE_INDEX, DUE_INDEX_DDL, have)
    if all(sql_words(have.get(name)) == sql_words(ddl) for name, ddl in DDL.items()):
        return False
    try:
        with s.begin_nested():
            _drop(s)
            for ddl in DDL.values():
                s.execute(text(ddl))
            s.execute(text(_FILL))
    except DBAPIError as exc:
        log.warning("inbox totals not kept (counted by a scan instead): %s", exc.orig)
        try:  # none rather than an older set that may no longer be kept
            with s.begin_nested():
                _drop(s)
        except DBAPIError:
            log.warning("older inbox totals left in place")
        return False
    return True


@dataclass(frozen=True, slots=True)
class Kept:
    #: The table and every trigger are there, as ``DDL`` says: the totals are current (else
    #: count by a scan: a set another release made may mean something else).
    totals: bool
    #: The due index is there as ``DUE_INDEX_DDL`` says: "SLA at risk" names it (``INDEXED
    #: BY``, since without statistics SQLite prefers the status index's equality to this
    #: index's range); one of another definition might not serve the count at all.
    due_index: bool


def kept(s: Session) -> Kept:
    """What this cache keeps for the inbox's totals, read from its schema."""
    have = _stored(s)
    totals = all(sql_words(have.get(name)) == sql_words(ddl) for name, ddl in DDL.items())
    return Kept(totals, sql_words(have.get(DUE_INDEX)) == sql_words(DUE_INDEX_DDL))


@contextmanager
def emptying(s: Session) -> Iterator[None]:
    """Around deleting every conversation (``LocalCache.reset``): the triggers are set aside,
    so SQLite empties the table in one step rather than a trigger a row (3x slower, seconds at
    a million), and the totals are zeroed, whatever they held, then the triggers put back."""
    have = {name: sql for name, sql in _stored(s).items() if name in TRIGGERS}
    for name in have:
        s.execute(text(f"DROP TRIGGER {name}"))
    yield
    if TABLE in _stored(s):
        s.execute(text(f"DELETE FROM {TABLE}"))
    for sql in have.values():
        s.execute(text(sql))
