"""``message.send`` for a whole push at once: Core statements and values in hand.

The ORM handler (``mutations.send``) loads the conversation, adds a ``Message`` object,
flushes and lets the feed collector snapshot both objects: most of a pushed reply's CPU. The
common reply (no template, no files) needs none of that. ``SendBatch`` checks it exactly as
``mutations.send`` does (same order, same reasons), keeps the conversation rows of the push
in memory, and writes the push's messages, audit entries and conversation updates with one
statement per table; the feed items are built from the values written, one per message and
one per conversation per push.

The push may mix these with other mutations (ORM handlers): before one of those runs the
batch writes what it holds and forgets its rows, so each side always sees the other's writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from csdesk.domain.enums import DeliveryStatus, Direction
from csdesk.protocol import Entity, MutationType, RejectCode
from csdesk.server.channels.wa_window import free_text_refusal_at
from csdesk.server.crm import hooks as crm_hooks
from csdesk.server.deps import realm_of
from csdesk.server.feed.log import FeedItem, Touched
from csdesk.server.sync.mutations import Reject, SendArgs, preview_of
from csdesk.storage import models as m
from csdesk.storage.bulk import Bulk, dicts_by_id
from csdesk.storage.types import utcnow
from csdesk.storage.wire import row_to_wire


def _table(model: type[m.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_CONV = _table(m.Conversation)
_MSG = _table(m.Message)
_AUDIT = _table(m.AuditEntry)
_INSERT_MESSAGES = Bulk(insert(_MSG))
_AUDIT_KEYS = ("at", "actor_user_id", "action", "entity", "entity_id", "before", "after")
_INSERT_AUDIT = Bulk(insert(_AUDIT), _AUDIT_KEYS)
#: The columns a reply changes on its conversation (bound as ``b_<name>``).
_CONV_CHANGES = (
    "message_count",
    "last_message_at",
    "preview",
    "waiting_since",
    "first_response_at",
    "updated_at",
)
# The statements of ``load``, built once: building ``select(…).where(….in_(ids))`` anew cost
# more than running it (~75 µs of a 1-reply push's ~1.7 ms of CPU each, issue 10).
_READ_CONVERSATIONS = (
    select(_CONV).where(_CONV.c.id.in_(bindparam("ids", expanding=True))).order_by(_CONV.c.id)
)
_LOCK_CONVERSATIONS = _READ_CONVERSATIONS.with_for_update()
_TAKEN_MESSAGES = select(_MSG.c.id).where(_MSG.c.id.in_(bindparam("ids", expanding=True)))
_UPDATE_CONVERSATIONS = Bulk(
    update(_CONV)
    .where(_CONV.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _CONV_CHANGES})
)


def eligible(parsed: BaseModel) -> bool:
    """A reply this module writes: plain text (templates and files take the ORM handler)."""
    return (
        isinstance(parsed, SendArgs)
        and parsed.template is None
        and not parsed.attachments
        and not parsed.mentions  # a note's mentions take the ORM handler (docs/mentions.md)
    )


class SendBatch:
    """The plain replies of one push, in the push's transaction."""

    def __init__(self, session: Session, user: m.User) -> None:
        self.session = session
        self.user = user
        self.realm = realm_of(user)
        self._lock = session.get_bind().dialect.name == "postgresql"
        self._convs: dict[str, dict[str, Any] | None] = {}  # None: no such conversation
        self._taken: dict[str, bool] = {}  # message id -> exists (in the table or written here)
        self._messages: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []
        self._dirty: dict[str, dict[str, Any]] = {}
        self._touched: Touched = {}

    # --- reading ---------------------------------------------------------------------------

    def load(self, conversation_ids: Iterable[str], message_ids: Iterable[str]) -> None:
        """Read the conversations (on PostgreSQL: lock them, in id order, so two pushes never
        wait on each other in a cycle) and which message ids are taken, one query each."""
        cids = sorted(set(conversation_ids) - self._convs.keys())
        if cids:
            stmt = _LOCK_CONVERSATIONS if self._lock else _READ_CONVERSATIONS
            found = dicts_by_id(self.session.connection().execute(stmt, {"ids": cids}))
            for cid in cids:
                self._convs[cid] = found.get(cid)
        mids = set(message_ids) - self._taken.keys()
        if mids:
            taken = set(self.session.connection().scalars(_TAKEN_MESSAGES, {"ids": list(mids)}))
            for mid in mids:
                self._taken[mid] = mid in taken

    def forget(self, touched: Touched) -> None:
        """Another handler is about to run: write what is held (its feed items into
        ``touched``) and drop the rows read, which it may change; the session's ORM objects
        are expired if this batch wrote any."""
        wrote = bool(self._messages)
        self.flush_into(touched)
        self._convs.clear()
        self._taken.clear()
        if wrote:
            self.session.expire_all()

    def merged_away(self, a: SendArgs) -> bool:
        """The reply's conversation was merged into another one: the ORM handler follows the
        merge (docs/merge-split.md), this batch does not."""
        self.load([a.conversation_id], [a.message_id])
        conv = self._convs[a.conversation_id]
        return conv is not None and conv.get("merged_into_id") is not None

    # --- one reply -------------------------------------------------------------------------

    def send(self, a: SendArgs) -> None:
        """Check and hold one reply; ``Reject`` as ``mutations.send`` would."""
        self.load([a.conversation_id], [a.message_id])
        conv = self._convs[a.conversation_id]
        if conv is None or conv["realm"] != self.realm:
            raise Reject(RejectCode.NOT_FOUND, "This conversation does not exist.")
        if conv["deleted_at"] is not None:
            raise Reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
        if self._taken[a.message_id]:
            raise Reject(RejectCode.CONFLICT, "A message with this id already exists.")
        now = utcnow()
        if not a.is_note and (
            why := free_text_refusal_at(conv["channel"], conv["last_inbound_at"], now)
        ):
            raise Reject.saying(RejectCode.WINDOW_CLOSED, why)
        row = self._message_row(conv, a, now)
        self._messages.append(row)
        self._taken[a.message_id] = True
        self._audits.append(
            {
                "at": now,
                "actor_user_id": self.user.id,
                "action": MutationType.MESSAGE_SEND.value,
                "entity": "message",
                "entity_id": a.message_id,
                "before": None,
                "after": {"conversation_id": conv["id"], "is_note": a.is_note},
            }
        )
        conv["message_count"] += 1
        conv["last_message_at"] = now
        conv["updated_at"] = now
        if not a.is_note:
            conv["preview"] = preview_of(a.body_text)
            conv["waiting_since"] = None
            if conv["first_response_at"] is None:
                conv["first_response_at"] = now
        self._dirty[conv["id"]] = conv
        self._touched[(m.Message, a.message_id)] = FeedItem(
            Entity.MESSAGE, a.message_id, row["realm"], False, row_to_wire(Entity.MESSAGE, row)
        )

    def _message_row(self, conv: dict[str, Any], a: SendArgs, now: datetime) -> dict[str, Any]:
        return {
            "id": a.message_id,
            "realm": conv["realm"],
            "created_at": now,
            "updated_at": now,
            "conversation_id": conv["id"],
            "channel": conv["channel"],
            "direction": Direction.OUT.value,
            "is_note": a.is_note,
            "author_user_id": self.user.id,
            "author_name": self.user.display_name,
            "subject": a.subject,
            "body_text": a.body_text,
            "body_html": None,
            "attachments": [],
            "delivery_status": (DeliveryStatus.SENT if a.is_note else DeliveryStatus.QUEUED).value,
            "failure_reason": None,
            "provider_message_id": None,
            "sent_at": None,
            "template": None,
            "recipient": None,
            "is_auto": False,
            "auto_kind": None,
            "sender_warning": None,
            "source_ref": None,
            "fingerprint": None,
            "language": None,  # detected on inbound messages only
            "translations": [],
            "merged_from_id": None,  # merging conversations (docs/merge-split.md)
            "body_phrases": None,  # a server note's phrases (issue 13); a reply has none
        }

    # --- writing ---------------------------------------------------------------------------

    def flush_into(self, touched: Touched) -> None:
        """Write the held replies, one statement per table; add their feed items."""
        if not self._messages:
            return
        conn = self.session.connection()
        _INSERT_MESSAGES.run(conn, self._messages)
        _INSERT_AUDIT.run(conn, self._audits)
        _UPDATE_CONVERSATIONS.run(
            conn,
            [
                {"b_id": cid, **{f"b_{name}": conv[name] for name in _CONV_CHANGES}}
                for cid, conv in self._dirty.items()
            ],
        )
        for cid, conv in self._dirty.items():
            self._touched[(m.Conversation, cid)] = FeedItem(
                Entity.CONVERSATION,
                cid,
                conv["realm"],
                False,
                row_to_wire(Entity.CONVERSATION, conv),
            )
        # Their customers' last contact moves (the ORM path is seen by ``crm.hooks`` itself):
        # a reply moves nothing else, so only that figure is written.
        contacts: dict[str, datetime] = {}
        for msg in self._messages:
            if msg["is_note"]:
                continue
            cust = self._dirty[msg["conversation_id"]]["customer_id"]
            if cust and (cust not in contacts or contacts[cust] < msg["created_at"]):
                contacts[str(cust)] = msg["created_at"]
        for item in crm_hooks.contact(self.session, contacts):
            self._touched[(m.CustomerStats, item.entity_id)] = item
        touched.update(self._touched)
        self._messages, self._audits, self._dirty, self._touched = [], [], {}, {}
