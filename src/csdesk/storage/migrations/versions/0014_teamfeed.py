"""sync_changes.audience widened to 64 (a team's rows: ``team:<realm>:<team id>``),
sync_revocations (who lost a feed row) and macro_keys (a user's favourite macro keys), issue 14
(docs/macros.md).

PostgreSQL widens the varchar in place (no rewrite); SQLite, which does not enforce the
length, has the declared type changed by a batch copy of the table so the schema matches the
models.

Team items fed before this revision sit in their realm's feed (``realm = <realm>``, audience
NULL), where every desk of the realm reads them and the snapshot endpoint serves them to anyone.
The upgrade moves each live one to where the new code writes it (``feed.log.item_for``:
realm ``personal``, audience ``team:<realm>:<team id>``) under a fresh seq, and records that
the realm's readers lost it (``sync_revocations``, ``realm:<realm>``, as ``feed.audience``
does for a scope change), so desks that hold it get a tombstone with their next pull and the
team's members and the leads get the row again. A tombstone stays where it is: it carries no
data, and every desk that held the item needs it.

The downgrade puts team rows back into their realm's feed (where the old code wrote them,
again under fresh seqs so the realm's desks receive them as the old code would have sent
them), so the audience column fits its old 36 characters, and drops the feed rows of the
dropped ``macro_keys`` table (the old code knows no such entity).

Revision ID: 0014_teamfeed
Revises: 0013_notephrases
Create Date: 2026-12-07 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from csdesk.storage.types import UTCDateTime

revision = "0014_teamfeed"
down_revision = "0014_orderpages"
branch_labels = None
depends_on = None


def _audience(old: int, new: int) -> None:
    with op.batch_alter_table("sync_changes") as batch:
        batch.alter_column("audience", type_=sa.String(new), existing_type=sa.String(old))


#: The entities with team rows and their tables (``wire.FEED_TEAM``), as of this revision.
_TEAM_TABLES = {"canned_response": "canned_responses", "macro": "macros"}
#: ``wire.PERSONAL_FEED``, ``wire.REALM_LOSS`` and ``wire.team_audience``'s prefix.
_PERSONAL_FEED = "personal"
_REALM_LOSS = "realm:"
_TEAM = "team:"

_changes = sa.table(
    "sync_changes",
    sa.column("seq", sa.BigInteger),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("realm", sa.String),
    sa.column("deleted", sa.Boolean),
    sa.column("payload", sa.Text),
    sa.column("audience", sa.String),
)
_counter = sa.table("sync_counter", sa.column("id", sa.Integer), sa.column("value", sa.BigInteger))
_revocations = sa.table(
    "sync_revocations",
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("lost", sa.String),
    sa.column("seq", sa.BigInteger),
)


def _refeed(conn: sa.Connection, moves: Sequence[tuple[int, str | None, str | None]]) -> list[int]:
    """Give each (seq, realm, audience) row its new realm and audience under a fresh seq, in
    the order of the old seqs, taken from ``sync_counter`` as ``feed.log.append`` does; the
    new seqs, in the same order."""
    if not moves:
        return []
    top = conn.execute(sa.select(_counter.c.value).where(_counter.c.id == 1)).scalar()
    highest = conn.execute(sa.select(sa.func.max(_changes.c.seq))).scalar()
    start = max(int(top or 0), int(highest or 0))
    fresh = [start + n + 1 for n in range(len(moves))]
    for (old, realm, audience), new in zip(sorted(moves), fresh, strict=True):
        conn.execute(
            _changes.update()
            .where(_changes.c.seq == old)
            .values(seq=new, realm=realm, audience=audience)
        )
    if top is None:
        conn.execute(_counter.insert().values(id=1, value=fresh[-1]))
    else:
        conn.execute(_counter.update().where(_counter.c.id == 1).values(value=fresh[-1]))
    return fresh


def _team_rows_out_of_the_realm_feed(conn: sa.Connection) -> None:
    """Move the live team rows the old code fed to the realm to their team's audience."""
    moves: list[tuple[int, str | None, str | None]] = []
    lost: list[dict[str, Any]] = []
    for entity, name in _TEAM_TABLES.items():
        model = sa.table(
            name,
            sa.column("id", sa.String),
            sa.column("realm", sa.String),
            sa.column("scope", sa.String),
            sa.column("team_id", sa.String),
        )
        found = conn.execute(
            sa.select(
                _changes.c.seq,
                _changes.c.entity_id,
                _changes.c.realm,
                _changes.c.payload,
                model.c.id,
                model.c.realm,
                model.c.scope,
                model.c.team_id,
            )
            .select_from(_changes.outerjoin(model, model.c.id == _changes.c.entity_id))
            .where(
                _changes.c.entity == entity,
                _changes.c.deleted.is_(False),
                _changes.c.audience.is_(None),
                _changes.c.realm.is_not(None),
                _changes.c.realm != _PERSONAL_FEED,
            )
        )
        for seq, ident, fed_to, payload, known, realm, scope, team in found:
            if known is None:  # no table row (removed by hand): what the feed row says
                data = orjson.loads(payload) if payload else {}
                realm, scope, team = fed_to, data.get("scope"), data.get("team_id")
            if scope != "team" or not team:
                continue
            moves.append((seq, _PERSONAL_FEED, f"{_TEAM}{realm or fed_to}:{team}"))
            lost.append({"entity": entity, "entity_id": ident, "lost": _REALM_LOSS + fed_to})
    fresh = dict(zip(sorted(m[0] for m in moves), _refeed(conn, moves), strict=True))
    if lost:
        old = [m[0] for m in moves]
        rows = [dict(r, seq=fresh[seq]) for r, seq in zip(lost, old, strict=True)]
        conn.execute(_revocations.insert(), rows)


def _team_rows_back_to_the_realm_feed(conn: sa.Connection) -> None:
    """Team rows back where the old code fed them: their realm's feed, audience NULL."""
    found = conn.execute(
        sa.select(_changes.c.seq, _changes.c.audience).where(_changes.c.audience.like(_TEAM + "%"))
    )
    moves = [(seq, audience[len(_TEAM) :].rsplit(":", 1)[0], None) for seq, audience in found]
    _refeed(conn, moves)
    conn.execute(_changes.delete().where(_changes.c.entity == "macro_keys"))


def upgrade() -> None:
    _audience(36, 64)
    op.create_table(
        "sync_revocations",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("lost", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_sync_revocations_seq", "sync_revocations", ["seq"])
    op.create_table(
        "macro_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("realm", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
    )
    op.create_index("ix_macro_keys_realm", "macro_keys", ["realm"])
    op.create_index("ix_macro_keys_owner_id", "macro_keys", ["owner_id"])
    _team_rows_out_of_the_realm_feed(op.get_bind())


def downgrade() -> None:
    _team_rows_back_to_the_realm_feed(op.get_bind())
    op.drop_table("macro_keys")
    op.drop_table("sync_revocations")
    _audience(64, 36)
