"""media_fetches; conversation_routes.visitor_typing_until; messages.template

Three stop-gaps that overloaded existing columns get columns of their own:

* Inbound provider media downloads had their bookkeeping in the dispatcher's
  ``outbound_attempts`` and found work by reading the whole change feed once per process;
  they get ``media_fetches``, a row per message still to download, written with the message.
  Upgrading moves the inbound rows over and queues every stored message whose provider files
  are still to be downloaded, so nothing received before the upgrade is forgotten.
* A chat visitor's typing notice was a future ``conversation_routes.updated_at``; it gets
  ``visitor_typing_until`` (a live notice is carried over, ``updated_at`` set back to now).
* The WhatsApp template a reply is sent as was read back from its ``message.send`` audit entry;
  it gets the server-only ``messages.template`` (filled from those entries, which stay).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 21:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIME = csdesk.storage.types.UTCDateTime(timezone=True)
#: Channels whose inbound files are provider references (as ``media_fetch`` had them).
_MEDIA_CHANNELS = ("sms", "whatsapp", "messenger", "instagram", "telegram")
_BATCH = 500

_messages = sa.table(
    "messages",
    sa.column("id", sa.String),
    sa.column("realm", sa.String),
    sa.column("channel", sa.String),
    sa.column("direction", sa.String),
    sa.column("attachments", sa.JSON),
    sa.column("template", sa.JSON),
)
_fetches = sa.table(
    "media_fetches",
    sa.column("message_id", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", _TIME),
    sa.column("lease_until", _TIME),
    sa.column("last_error", sa.String),
    sa.column("created_at", _TIME),
    sa.column("updated_at", _TIME),
)
_attempts = sa.table(
    "outbound_attempts",
    sa.column("message_id", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", _TIME),
    sa.column("lease_until", _TIME),
    sa.column("last_error", sa.String),
    sa.column("updated_at", _TIME),
)
_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("after", sa.JSON),
)
_routes = sa.table(
    "conversation_routes",
    sa.column("kind", sa.String),
    sa.column("updated_at", _TIME),
    sa.column("visitor_typing_until", _TIME),
)


def upgrade() -> None:
    op.create_table(
        "media_fetches",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("lease_until", _TIME, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_media_fetches_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_media_fetches")),
    )
    with op.batch_alter_table("media_fetches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_fetches_next_attempt_at"), ["next_attempt_at"], unique=False
        )
    with op.batch_alter_table("conversation_routes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visitor_typing_until", _TIME, nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.JSON(), nullable=True))

    bind = op.get_bind()
    now = datetime.now(UTC)
    _move_media_bookkeeping(bind)
    _queue_pending_media(bind, now)
    _fill_templates(bind)
    bind.execute(
        _routes.update()
        .where(_routes.c.kind == "chat_visitor", _routes.c.updated_at > now)
        .values(visitor_typing_until=_routes.c.updated_at, updated_at=now)
    )


def _inbound_ids() -> sa.Select[Any]:
    return sa.select(_messages.c.id).where(_messages.c.direction == "in")


def _move_media_bookkeeping(bind: sa.Connection) -> None:
    """Retries under way keep their count and time; leases are dropped (no process runs)."""
    a = _attempts.c
    bind.execute(
        _fetches.insert().from_select(
            [
                "message_id",
                "attempts",
                "next_attempt_at",
                "lease_until",
                "last_error",
                "created_at",
                "updated_at",
            ],
            sa.select(
                a.message_id,
                a.attempts,
                a.next_attempt_at,
                sa.null(),
                a.last_error,
                a.updated_at,
                a.updated_at,
            ).where(a.message_id.in_(_inbound_ids())),
        )
    )
    bind.execute(_attempts.delete().where(a.message_id.in_(_inbound_ids())))


def _pending(entry: Any) -> bool:
    """``media_fetch.pending`` as of this revision (a migration must not follow later code)."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("provider_file_id"), str)
        and bool(entry["provider_file_id"])
        and not entry.get("sha256")
        and entry.get("fetch") not in ("stored", "failed")
    )


def _queue_pending_media(bind: sa.Connection, now: datetime) -> None:
    """What the old worker would have found on the feed: inbound production messages with
    provider references not yet downloaded and no bookkeeping row."""
    msg = _messages.c
    rows = bind.execute(
        sa.select(msg.id, msg.attachments).where(
            msg.direction == "in",
            msg.realm == "production",
            msg.channel.in_(_MEDIA_CHANNELS),
            sa.cast(msg.attachments, sa.Text).like("%provider_file_id%"),
            msg.id.not_in(sa.select(_fetches.c.message_id)),
        )
    ).all()
    due = [
        {
            "message_id": ident,
            "attempts": 0,
            "next_attempt_at": now,
            "lease_until": None,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
        }
        for ident, entries in rows
        if isinstance(entries, list) and any(_pending(e) for e in entries)
    ]
    for start in range(0, len(due), _BATCH):
        bind.execute(_fetches.insert(), due[start : start + _BATCH])


def _fill_templates(bind: sa.Connection) -> None:
    """The template of every reply sent as one, from its ``message.send`` audit entry."""
    audit = _audit.c
    rows = bind.execute(
        sa.select(audit.entity_id, audit.after)
        .where(
            audit.entity == "message",
            audit.action == "message.send",
            sa.cast(audit.after, sa.Text).like('%"template"%'),
        )
        .order_by(audit.id)
    ).all()
    for ident, after in rows:
        template = after.get("template") if isinstance(after, dict) else None
        if isinstance(template, dict):
            bind.execute(
                _messages.update()
                .where(_messages.c.id == ident, _messages.c.template.is_(None))
                .values(template=template)
            )


def downgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    # The old code reads a live notice from ``updated_at`` and the template from the audit
    # entry (still written); unfinished downloads go back to ``outbound_attempts``.
    bind.execute(
        _routes.update()
        .where(_routes.c.visitor_typing_until > now)
        .values(updated_at=_routes.c.visitor_typing_until)
    )
    f = _fetches.c
    bind.execute(
        _attempts.insert().from_select(
            [
                "message_id",
                "attempts",
                "next_attempt_at",
                "lease_until",
                "last_error",
                "updated_at",
            ],
            sa.select(
                f.message_id, f.attempts, f.next_attempt_at, sa.null(), f.last_error, f.updated_at
            ).where(f.message_id.not_in(sa.select(_attempts.c.message_id))),
        )
    )

    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch table copy: copying
    # ``messages`` with foreign keys on would cascade-delete its calls and send bookkeeping.
    op.drop_column("messages", "template")
    op.drop_column("conversation_routes", "visitor_typing_until")
    with op.batch_alter_table("media_fetches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_fetches_next_attempt_at"))
    op.drop_table("media_fetches")
