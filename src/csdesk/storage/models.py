"""The data model. One metadata for the server database and the client's local cache.

Every synced entity has a client-generatable string id (UUID), a ``realm`` (production or
training, so trainees never see real customers) and timestamps. Columns marked
``info={"wire": False}`` never leave the server (see ``storage.wire``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from csdesk.domain.enums import (
    ConversationStatus,
    DeliveryStatus,
    LoyaltyTier,
    OrderStatus,
    Priority,
    Realm,
    ReturnStatus,
)
from csdesk.storage.types import BigIntPK, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)
SERVER_ONLY: dict[str, Any] = {"wire": False}


def parent(target: str, column: str) -> Any:
    """A many-to-one link used for write ordering (parents are inserted first); never loaded
    implicitly, so a forgotten eager load fails loudly instead of costing a query per row."""
    return relationship(target, foreign_keys=column, lazy="raise")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Synced:
    """Columns every synced entity carries."""

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    realm: Mapped[str] = mapped_column(String(16), default=Realm.PRODUCTION.value, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- people -------------------------------------------------------------------------------


class Team(Synced, Base):
    __tablename__ = "teams"
    name: Mapped[str] = mapped_column(String(120), unique=True)


class User(Synced, Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), info=SERVER_ONLY)
    team: Mapped[Team | None] = parent("Team", "User.team_id")
    #: What a click-to-call rings first: the agent's phone (E.164) or ``client:NAME`` (a Twilio
    #: desk client). Server-only: teammates' own numbers are not everyone's business.
    call_phone: Mapped[str | None] = mapped_column(String(64), info=SERVER_ONLY)


class AuthToken(Base):
    """An opaque bearer token, stored only as its SHA-256."""

    __tablename__ = "auth_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins per (user name, client address) and per client address, shared by every
    server process on one database (keys: ``csdesk.server.auth.throttle``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)  # stale rows are swept
    locked_until: Mapped[datetime | None]


# --- customers ------------------------------------------------------------------------------


#: Rows that point somewhere: the merged ones, a few. Partial, so that ``IS NULL`` (every
#: picker lists the unmerged) is not steered onto an index almost every row is in.
_MERGED = text("merged_into_id IS NOT NULL")


class Customer(Synced, Base):
    __tablename__ = "customers"
    # A customer's record lists the profiles merged into it (at a million customers, a scan
    # of 75-106 ms each time a record opened). Predicate as SQLite's: see SyncChange.
    __table_args__ = (Index("ix_customers_merged_into_id", "merged_into_id", sqlite_where=_MERGED),)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    loyalty_tier: Mapped[str] = mapped_column(String(16), default=LoyaltyTier.NONE.value)
    loyalty_points: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    #: Store credit csdesk granted as goodwill (minor units, the shop's currency).
    store_credit_cents: Mapped[int] = mapped_column(Integer, default=0)
    #: The customer asked not to be written to first (proactive outreach skips them).
    contact_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Who chose ``language``: "agent" (set by hand, never overridden), "detected" (from the
    #: customer's first confidently detected message), None (nobody yet: the default).
    language_source: Mapped[str | None] = mapped_column(String(8))


class CustomerIdentity(Synced, Base):
    """One way to recognise a customer: an email, an E.164 phone, a chat or social handle."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("realm", "kind", "value"),)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    customer: Mapped[Customer] = parent("Customer", "CustomerIdentity.customer_id")


# --- conversations --------------------------------------------------------------------------


class Conversation(Synced, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_status_last", "status", "last_message_at"),
        # What was merged into a conversation (undo lists it).
        Index("ix_conversations_merged_into_id", "merged_into_id", sqlite_where=_MERGED),
    )
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300), default="")
    preview: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.OPEN.value)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL.value)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(16), default="en")
    snoozed_until: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]  # oldest unanswered inbound message
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None]
    customer: Mapped[Customer] = parent("Customer", "Conversation.customer_id")
    assignee: Mapped[User | None] = parent("User", "Conversation.assignee_id")
    team: Mapped[Team | None] = parent("Team", "Conversation.team_id")
    # Merging conversations (issue 14, docs/merge-split.md): a merged conversation points at
    # the one its messages went to (a desk that opens it lands there); when, so the thread
    # can say so and an undo knows what came after.
    merged_into_id: Mapped[str | None] = mapped_column(ID)
    merged_at: Mapped[datetime | None]


class Message(Synced, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(4))
    is_note: Mapped[bool] = mapped_column(Boolean, default=False)
    author_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitized before it is stored
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    delivery_status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED.value)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    #: The approved WhatsApp template an outbound reply is sent as (name, language,
    #: parameters; None: free text). ``body_text`` holds the rendered text the thread shows;
    #: the dispatcher needs the choice itself to send Meta's template payload. Server-only.
    template: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), info=SERVER_ONLY
    )
    #: The address a mail the server wrote itself goes to (a chat transcript, the link that
    #: proves an address first); None: the conversation's route or customer. Server-only.
    recipient: Mapped[str | None] = mapped_column(String(320), index=True, info=SERVER_ONLY)
    #: Sent by a machine (auto-reply, delivery report, bulk): KPI code leaves these out.
    is_auto: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Why it is automatic ("auto_reply", "delivery_report", "bulk"), for the thread's label.
    auto_kind: Mapped[str | None] = mapped_column(String(16))
    #: The receiving server's authentication verdict when it failed ("DMARC failed", ...).
    sender_warning: Mapped[str | None] = mapped_column(String(300))
    #: Where an email came from ("<mailbox>#<uidvalidity>:<uid>"): a re-delivery is known by it.
    source_ref: Mapped[str | None] = mapped_column(String(300), index=True, info=SERVER_ONLY)
    #: Digest of an email's sender, date and content: a reused Message-ID is a new message.
    fingerprint: Mapped[str | None] = mapped_column(String(64), info=SERVER_ONLY)
    #: The language an inbound message was confidently detected in (ISO 639-1), else None.
    language: Mapped[str | None] = mapped_column(String(16))
    #: Machine translations asked for by agents, kept beside the original (docs/languages.md):
    #: [{"target", "source", "text", "provider", "by", "at"}], newest last.
    translations: Mapped[list[Any]] = mapped_column(default=list)
    conversation: Mapped[Conversation] = parent("Conversation", "Message.conversation_id")
    # Merging conversations (issue 14, docs/merge-split.md): the conversation a merged-in
    # message came from (the thread's "from Email conversation of 3 Dec"); None: its own.
    merged_from_id: Mapped[str | None] = mapped_column(ID)
    # --- server notes in the agent's language (issue 13) ---
    #: A note the server wrote (an SLA warning, a split), as [{"template", "params"}], one
    #: line each: the desk shows it in its own language (docs/server-notes.md). None: only
    #: ``body_text``, which keeps the English text for older desks and search.
    body_phrases: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))


# --- commerce -------------------------------------------------------------------------------


class Order(Synced, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ux_orders_store_external_id", "realm", "store", "external_id", unique=True),
    )
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PLACED.value)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The connected store it came from ("shopify", "woocommerce"); None: csdesk's own record
    #: (the demo, a shop without a connector), which order actions change directly.
    store: Mapped[str | None] = mapped_column(String(16))
    #: The store's id for it (Shopify GID, WooCommerce id); unique per store and realm.
    external_id: Mapped[str | None] = mapped_column(String(80))
    #: Where it ships (``store_api.Address`` fields); None: not known here. An address change
    #: before fulfilment sets it.
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # --- issue 11 (h/shopify-pages): an order read in part ---------------------------------
    #: What of the store's order csdesk could not read whole (``"lines"``, ``"shipments"``,
    #: ``"refunds"``, ``"returns"``: past the connector's caps); None: read whole.
    store_incomplete: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # --- end issue 11 ------------------------------------------------------------------------
    customer: Mapped[Customer] = parent("Customer", "Order.customer_id")


class OrderLine(Synced, Base):
    __tablename__ = "order_lines"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    order: Mapped[Order] = parent("Order", "OrderLine.order_id")
    #: The store's id for the line (refunds and returns name lines by it); None: csdesk's own.
    external_id: Mapped[str | None] = mapped_column(String(80), info=SERVER_ONLY)


class Shipment(Synced, Base):
    __tablename__ = "shipments"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default="in_transit")
    eta: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    order: Mapped[Order] = parent("Order", "Shipment.order_id")
    #: The store's fulfillment id (imports update it in place); None: csdesk's own.
    external_id: Mapped[str | None] = mapped_column(String(80), info=SERVER_ONLY)
    #: The carrier's tracking page as the store gives it (https only; None: unknown).
    tracking_url: Mapped[str | None] = mapped_column(String(500))


class Return(Synced, Base):
    __tablename__ = "returns"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReturnStatus.REQUESTED.value)
    reason: Mapped[str] = mapped_column(String(500), default="")
    refund_cents: Mapped[int] = mapped_column(Integer, default=0)
    order: Mapped[Order] = parent("Order", "Return.order_id")
    #: The store's id for the return or refund it mirrors; None: csdesk's own.
    external_id: Mapped[str | None] = mapped_column(String(80), info=SERVER_ONLY)


class OrderAction(Synced, Base):
    """An agent's action on an order (refund, return, exchange, cancel, resend, address change,
    note), with its life: waiting for a supervisor's approval, being sent to the store, done,
    or refused with the reason. The timeline and the order show it; the audit log keeps who.

    ``kind`` and ``status`` values: see ``csdesk.domain.order_actions``. ``args`` holds what
    the agent asked (lines and quantities, amount, reason, address, note text).
    """

    __tablename__ = "order_actions"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(24))
    #: What came back: the store's refusal, "Refund of €12.00 recorded", a decline's reason.
    detail: Mapped[str] = mapped_column(String(500), default="")
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    #: The store's id for what the action created (a refund, a return, a replacement order).
    external_id: Mapped[str | None] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=SERVER_ONLY)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True, info=SERVER_ONLY)
    order: Mapped[Order] = parent("Order", "OrderAction.order_id")


class CannedResponse(Synced, Base):
    __tablename__ = "canned_responses"
    title: Mapped[str] = mapped_column(String(200))
    shortcut: Mapped[str] = mapped_column(String(40), default="")
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))  # None: any channel
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Sharing and use (issue 14, docs/macros.md): ``scope`` personal / team / everyone
    # (``domain.macros.Scope``); a personal row reaches only ``owner_id``'s desk
    # (``wire.FEED_PERSONAL``), a team row is for ``team_id``'s members.
    scope: Mapped[str] = mapped_column(String(16), default="everyone")
    owner_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None]


# --- the customer record (issue 11; written by ``server.crm``) --------------------------------


class CustomerStats(Synced, Base):
    """A customer's figures, one row per customer (``id`` is the customer's id), computed by
    the server (``server.crm.stats``) in the same transaction as every change of their orders,
    returns, refunds and conversations, in the shop's currency (``CSDESK_SHOP_CURRENCY``):
    orders in any other currency are counted in ``other_currency_orders`` and nowhere else."""

    __tablename__ = "customer_stats"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    order_count: Mapped[int] = mapped_column(Integer, default=0)  # not cancelled
    gross_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # their totals
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_value_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # gross - refunds
    average_order_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # gross / count
    returned_orders: Mapped[int] = mapped_column(Integer, default=0)
    return_rate_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points (1/100 %)
    other_currency_orders: Mapped[int] = mapped_column(Integer, default=0)
    last_contact_at: Mapped[datetime | None]  # the latest message that is not a note


class CustomerEvent(Synced, Base):
    """A change of a customer's profile for their timeline: an edit, a merge or its undo, a
    conversation linked to or away from them. Appended by the server from the audit entry of
    the change (``server.crm.events``), never changed; ``data`` holds what the sentence needs
    (fields changed, the other customer's name, counts), so the desk words it in its language."""

    __tablename__ = "customer_events"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    other_customer_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- server bookkeeping ---------------------------------------------------------------------


class AuditEntry(Base):
    """Append-only: who changed what. ``storage.audit`` refuses updates and deletes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SyncChange(Base):
    """The change feed: the latest state of each entity, keyed by a commit-ordered ``seq``."""

    __tablename__ = "sync_changes"
    __table_args__ = (
        UniqueConstraint("entity", "entity_id"),
        # The rows with an audience by seq: whether a page's range holds any (a pull then
        # reads the reader's own rows too, ``server.sync.pull``) is one index probe. The
        # predicate is written once, as SQLite's: naming ``postgresql_where`` here would load
        # SQLAlchemy's PostgreSQL dialect into the desk, which imports these models before
        # its first paint. Migration 0016 gives both databases the same predicate
        # (tests/server/test_migrations.py checks it).
        Index("ix_sync_changes_personal", "seq", sqlite_where=text("audience IS NOT NULL")),
    )
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    realm: Mapped[str | None] = mapped_column(String(16))  # None: visible in every realm
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[str | None] = mapped_column(Text)  # JSON, pre-encoded for fast pulls
    #: One user's row (a personal canned response or macro, docs/macros.md): only that user's
    #: pull brings it (``server.sync.pull.read_personal``); None: the realm's.
    #: A team's row: ``team:<realm>:<team id>`` (its members' and the leads' pulls).
    audience: Mapped[str | None] = mapped_column(String(64), index=True)


class SyncCounter(Base):
    """One row; taking the next ``seq`` row-locks it until commit, so seqs follow commits."""

    __tablename__ = "sync_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class AppliedMutation(Base):
    """Every mutation id the server has seen and its outcome: replays are no-ops."""

    __tablename__ = "applied_mutations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- agent workstation ----------------------------------------------------------------------


class Presence(Base):
    """Which conversation each agent has open, and whether they are typing a reply.

    Ephemeral and not synced (no feed rows): clients heartbeat it and poll it. It is a table
    rather than process memory so that every server process on one PostgreSQL sees every
    agent. One row per user, because an agent works in one conversation at a time.
    """

    __tablename__ = "presence"
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    typing: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime]


# --- channels (server only, never synced) -----------------------------------------------------


class ChannelConfig(Base):
    """One provider connection (twilio, meta, telegram), configured with ``csdesk-server channel``.

    ``settings`` holds what is safe to show (account SID, numbers, base URLs, limits);
    ``secrets`` holds the Fernet token of the provider credentials (see ``channels.vault``), so
    a database dump does not hand out the shop's tokens.
    """

    __tablename__ = "channels"
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversationRoute(Base):
    """Where replies in a conversation go: the customer's handle and the business address they
    wrote to (our number, WhatsApp phone_number_id, page), taken from the latest inbound
    message so a reply leaves from the number the customer texted."""

    __tablename__ = "conversation_routes"
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    address: Mapped[str] = mapped_column(String(320))
    business: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: A live-chat visitor is typing until then (``server.chat.typing_board``); None or past:
    #: not typing. Here because the route is the chat session's one row per conversation.
    visitor_typing_until: Mapped[datetime | None]
    conversation: Mapped[Conversation] = parent("Conversation", "ConversationRoute.conversation_id")


class OutboundAttempt(Base):
    """The dispatcher's bookkeeping for one outbound message: tries so far, when to try next,
    and a lease so that several server processes never send the same message twice."""

    __tablename__ = "outbound_attempts"
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    message: Mapped[Message] = parent("Message", "OutboundAttempt.message_id")


class MediaFetch(Base):
    """An inbound message whose provider media still has to be downloaded
    (``server.channels.media_fetch``): inserted with the message, deleted when every file is
    stored or has failed. Tries so far, when to try next, and a lease so that several server
    processes never download one file twice."""

    __tablename__ = "media_fetches"
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    message: Mapped[Message] = parent("Message", "MediaFetch.message_id")


class Upload(Base):
    """A file an agent uploaded for a reply (``server.attachments.upload``), per uploader,
    realm and content. A reply may name only files its author uploaded in its realm (or
    that a message they can read already carries); unused ones count against the uploader's
    quota and are removed after a grace period (``server.attachments.sweep``)."""

    __tablename__ = "uploads"
    uploader_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    realm: Mapped[str] = mapped_column(String(16), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: The last upload of this content by this uploader (an upload again refreshes it).
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: When a reply first carried it; None: not used yet.
    used_at: Mapped[datetime | None]


class EarlyStatus(Base):
    """A delivery receipt that arrived before the send that it answers was recorded.

    Providers can call back faster than the dispatcher commits the provider's message id; the
    receipt waits here and is applied as soon as the id is stored, instead of being lost.
    """

    __tablename__ = "early_statuses"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_reason: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Call(Synced, Base):
    """A phone call as the provider reports it over its life (ringing, answered, ended).

    The conversation shows the call as a message (``message_id``); this row keeps the facts the
    message text is built from, keyed by the provider's call id (``call_sid``) so repeated
    callbacks update one call. Synced, so the desk of the agent who takes it can pop the
    caller's conversation and script; ``agent_id`` is who took it (the Twilio answer hook or
    ``call.take``), the wrap-up columns are that agent's notes after the call.
    """

    __tablename__ = "calls"
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(4))
    from_number: Mapped[str] = mapped_column(String(64), default="")
    to_number: Mapped[str] = mapped_column(String(64), default="")
    provider_status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    answered_at: Mapped[datetime | None]
    script_id: Mapped[str | None] = mapped_column(String(36))
    script_trail: Mapped[list[Any]] = mapped_column(default=list)
    wrapup_notes: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[str | None] = mapped_column(String(24))
    wrapped_up_at: Mapped[datetime | None]
    #: When the agent promised to call back (disposition "callback scheduled").
    callback_at: Mapped[datetime | None]
    message: Mapped[Message] = parent("Message", "Call.message_id")
    conversation: Mapped[Conversation] = parent("Conversation", "Call.conversation_id")
    agent: Mapped[User | None] = parent("User", "Call.agent_id")


class CallScript(Synced, Base):
    """A call script: a flow for ``domain.steps`` (``definition`` is its JSON form).

    ``key`` is the flow's own id, so importing a file again replaces that script instead of
    adding a second copy; ``topic`` says when to offer it ("order", "return", "callback").
    """

    __tablename__ = "call_scripts"
    __table_args__ = (UniqueConstraint("realm", "key"),)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(32), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


#: The dispatcher's queue scan: outbound messages still waiting for a provider.
Index("ix_messages_delivery_queue", Message.delivery_status, Message.channel)


# --- identities somebody typed ----------------------------------------------------------------


class IdentityClaim(Synced, Base):
    """An identity a chat visitor or form typed for themselves: unproven, so it never matches.

    Agents see it beside the conversation, with the customer who really has that identity as a
    *possible* match (``match_customer_id``) that only an agent can act on (``link_match``).
    The visitor can prove the address with a single-use link mailed to it (``proven_at``); the
    token and the session it belongs to never leave the server.
    """

    __tablename__ = "identity_claims"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(16))  # "chat", "contact_form"
    match_customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    proven_at: Mapped[datetime | None]
    linked_at: Mapped[datetime | None]  # an agent acted on the suggestion
    session_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=SERVER_ONLY)
    token_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=SERVER_ONLY)
    token_expires_at: Mapped[datetime | None] = mapped_column(info=SERVER_ONLY)


# --- connected stores (server only, never synced) ---------------------------------------------


class StoreConnection(Base):
    """A connected shop (``csdesk-server store add``): settings in the clear, secrets as a
    Fernet token (``channels.vault``), and where its import stands, so an interrupted import
    resumes from its cursor and ``store list`` shows the progress."""

    __tablename__ = "store_connections"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str] = mapped_column(Text)
    #: customers, orders, then live (webhooks + reconcile).
    phase: Mapped[str] = mapped_column(String(16), default="customers")
    cursor: Mapped[str | None] = mapped_column(Text)
    customers_done: Mapped[int] = mapped_column(Integer, default=0)
    orders_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Store changes up to this time are here; the reconcile asks for what changed after it.
    synced_through: Mapped[datetime | None]
    next_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StoreCustomerLink(Base):
    """Which csdesk customer a store's customer record is (matched once, then kept)."""

    __tablename__ = "store_customer_links"
    store: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    realm: Mapped[str] = mapped_column(String(16), default=Realm.PRODUCTION.value)


# --- callbacks (issue 11) ---------------------------------------------------------------------


class Callback(Synced, Base):
    """A promised call back: to ``phone`` (the customer's) at ``due_at``.

    Assigned to an agent (``assignee_id``) or to the queue (None). ``status``: ``scheduled``
    until ``due_at``; the server then makes it ``due`` (``fired_at``) and the assignee's desk
    announces it and acknowledges it (``seen_at``, by ``callback.take``). One nobody
    acknowledged within the grace period (the agent is offline) goes to the queue, and
    ``detail`` says why. Placing its call makes it ``done`` (``done_call_id``); ``cancelled``
    by hand. ``call_id`` is the call whose wrap-up promised it, if any.
    """

    __tablename__ = "callbacks"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    call_id: Mapped[str | None] = mapped_column(String(36))
    phone: Mapped[str] = mapped_column(String(64), default="")
    due_at: Mapped[datetime] = mapped_column(index=True)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    note: Mapped[str] = mapped_column(String(1000), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    fired_at: Mapped[datetime | None]
    seen_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_call_id: Mapped[str | None] = mapped_column(String(36))
    # --- survey follow-ups (issue 12) ---
    #: ``callback`` or ``survey_follow_up`` (``domain.callbacks.CallbackKind``): a low survey
    #: score's follow-up for the supervisor is a callback task the desk words as one.
    kind: Mapped[str] = mapped_column(String(24), default="callback", server_default="callback")


# --- proactive outreach ----------------------------------------------------------------------


class Outreach(Synced, Base):
    """One late order the shop should tell its customer about (``server.outreach.detect``):
    the delay in a sentence, the channel to write on and a proposed message in the customer's
    language, which an agent reviews and sends (``outreach.send``), starting an outbound
    conversation assigned to them. One row per order and reason (``reason``, ``status``: see
    ``domain.outreach``); an order written about once is never written about again.
    """

    __tablename__ = "outreach"
    __table_args__ = (UniqueConstraint("realm", "order_id", "reason"),)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    #: The delay as one sentence for the desk ("Order FH-1000003 is 4 days past ...").
    delay: Mapped[str] = mapped_column(String(500))
    #: Where to write (None: nowhere the customer can be written to first).
    channel: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16), default="en")
    subject: Mapped[str] = mapped_column(String(300), default="")
    #: The proposed message, filled from the delay-notice canned response.
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: Why it cannot be sent as proposed (opted out, WhatsApp template needed, a refusal).
    detail: Mapped[str] = mapped_column(String(500), default="")
    sent_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None]
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    #: When the dispatcher may send it (bulk sends are spaced: ``CSDESK_OUTREACH_PER_MINUTE``).
    send_at: Mapped[datetime | None] = mapped_column(info=SERVER_ONLY)


# --- KPIs: what the figures need that nothing else records (docs/kpis.md) ------------------


class SurveyAnswer(Synced, Base):
    """A customer's answer to the satisfaction survey about one conversation: CSAT 1–5,
    optional NPS 0–10 and CES 1–7, and a comment. The survey loop fills it; the KPIs read it
    (``server.kpis``). Each score is None when the customer skipped that question."""

    __tablename__ = "survey_answers"
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    ces: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    conversation: Mapped[Conversation] = parent("Conversation", "SurveyAnswer.conversation_id")


class ConversationReopen(Base):
    """A resolution that was undone: the customer wrote (or called) again into a resolved
    conversation, or an agent set it back to open. ``resolved_at`` is the resolution it undid,
    so the reopen rate counts every resolution, kept or undone (``server.kpis.reopens``).
    Server-only, append-only bookkeeping."""

    __tablename__ = "conversation_reopens"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    realm: Mapped[str] = mapped_column(String(16))
    resolved_at: Mapped[datetime] = mapped_column(index=True)
    reopened_at: Mapped[datetime]
    #: "customer" (a message or call into it), "agent" (a status change), "callback".
    cause: Mapped[str] = mapped_column(String(16))
    #: Who was assigned when it was resolved (the resolution's owner for per-agent figures).
    assignee_id: Mapped[str | None] = mapped_column(String(36))
    by_user_id: Mapped[str | None] = mapped_column(String(36))


#: The KPI scans: conversations by creation and resolution time (periods are time ranges).
Index("ix_conversations_created_at", Conversation.created_at)
Index("ix_conversations_resolved_at", Conversation.resolved_at)
Index("ix_calls_ended_at", Call.ended_at)
#: Messaging handle time reads the replies of a period.
Index("ix_messages_created_at", Message.created_at)


# --- training review (issue 12, docs/training-review.md) ------------------------------------


class TrainingScenario(Synced, Base):
    """A training scenario the server publishes to every desk (``server.training.scenarios``):
    the bundled ones are the defaults, a supervisor publishes new ones. ``key`` is the
    scenario's own id (``where-is-my-order``); ``body`` its JSON, as checked when published.
    Synced to every realm: fictional customers only, never production data."""

    __tablename__ = "training_scenarios"
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    #: "bundled" (shipped with csdesk, updated with it) or "published" (by a supervisor).
    origin: Mapped[str] = mapped_column(String(16), default="bundled")
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class TrainingResult(Base):
    """One finished training session under its trainee's name: the scenario, when, the total,
    the score per rubric point (``training.rubric``), the feedback and the transcript.

    Server-only (not in the change feed: the feed is shared by a whole realm, and a trainee
    sees only their own results); read through ``/api/v1/training`` with role checks."""

    __tablename__ = "training_results"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    scenario_key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime] = mapped_column(index=True)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    points: Mapped[list[Any]] = mapped_column(JSON, default=list)
    feedback: Mapped[list[Any]] = mapped_column(JSON, default=list)
    transcript: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Brought over from a desk's local history file (recorded before results were synced).
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingComment(Base):
    """A supervisor's feedback on one training session; the trainee reads it on their desk."""

    __tablename__ = "training_comments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    result_id: Mapped[str] = mapped_column(
        ForeignKey("training_results.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingAssignment(Base):
    """A scenario a supervisor gave a trainee to practise; done when the trainee finishes a
    session of it after it was given (``result_id``), or cancelled."""

    __tablename__ = "training_assignments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    trainee_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    scenario_key: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(1000), default="")
    assigned_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    result_id: Mapped[str | None] = mapped_column(String(36))
    cancelled_at: Mapped[datetime | None]


# --- surveys (issue 12): the survey sent after a resolution (docs/surveys.md) ---------------


class SurveyRequest(Base):
    """One satisfaction survey sent to a customer after one resolution of a conversation.

    ``(conversation_id, resolved_at)`` is unique: one resolution is surveyed at most once,
    whichever server process or retry gets there first (the loser's insert fails and sends
    nothing). The signed link (``server.surveys.tokens``) names ``id``; the answer is taken
    once by setting ``answered_at`` where it is still null. Server-only bookkeeping: the
    thread shows the survey message, the answer is a ``SurveyAnswer``."""

    __tablename__ = "survey_requests"
    __table_args__ = (
        UniqueConstraint("conversation_id", "resolved_at"),
        Index("ix_survey_requests_customer_sent", "customer_id", "sent_at"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    realm: Mapped[str] = mapped_column(String(16), default=Realm.PRODUCTION.value)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    #: The resolution surveyed (the conversation's ``resolved_at`` when it was sent).
    resolved_at: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: After this the link and a digit reply are no longer taken.
    expires_at: Mapped[datetime]
    #: The customer's language for the page and the message ("en" when unknown).
    language: Mapped[str] = mapped_column(String(16), default="en")
    #: The outbound message that carried the survey.
    message_id: Mapped[str | None] = mapped_column(String(36))
    answered_at: Mapped[datetime | None]
    answer_id: Mapped[str | None] = mapped_column(String(36))


# --- quality review (issue 12, docs/qa.md) ----------------------------------------------------


class QaRubric(Synced, Base):
    """One version of a review rubric: its criteria (``domain.qa``) as JSON. Editing a rubric
    adds a version (same ``family``, ``version`` + 1, ``active``) and retires the one before,
    so a review keeps the criteria it was scored on."""

    __tablename__ = "qa_rubrics"
    __table_args__ = (UniqueConstraint("family", "version"),)
    family: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(120))
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class QaReview(Synced, Base):
    """A supervisor's review of one conversation against one rubric version: a value or N/A
    per criterion (``scores``), comments on messages (``message_comments``: message id and
    text), an overall comment and the weighted score 0–100 (None: every criterion N/A).
    ``agent_id`` is the agent who handled the conversation. Its feed rows go to supervisors
    and administrators only (``domain.qa.LEADS_FEED``); an agent reads their own through
    ``GET /api/v1/qa/reviews``."""

    __tablename__ = "qa_reviews"
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    rubric_id: Mapped[str] = mapped_column(ForeignKey("qa_rubrics.id"))
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_comments: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)
    #: When it was first saved: the KPI period it counts in (an edit does not move it).
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    edited_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # Deleting a review (docs/qa.md): a soft delete; the feed sends a tombstone, readers skip it.
    deleted_at: Mapped[datetime | None]


# --- the live floor: agent status and supervisors' messages (docs/floor.md) ----------------


class AgentStatusRow(Synced, Base):
    """One agent's status now (``domain.agent_status``): ``id`` is the user's id. ``chosen``
    is what the agent picked; ``on_call`` and ``online`` are the server's own facts; ``status``
    is what follows from the three, and ``since`` when it last changed. Synced to every desk
    (it carries no customer data). ``seen_at`` (server-only) is when the agent's desk last
    pulled, written by ``server.floor.presence``, never through the ORM (no feed traffic)."""

    __tablename__ = "agent_statuses"
    status: Mapped[str] = mapped_column(String(16))
    chosen: Mapped[str] = mapped_column(String(16))
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who made the last change (the agent, or None: the server itself).
    set_by_id: Mapped[str | None] = mapped_column(String(36))
    seen_at: Mapped[datetime | None] = mapped_column(info=SERVER_ONLY)


class AgentStatusSpan(Base):
    """A stretch of time one agent spent in one status: append-only history, one open span
    (``ended_at`` None) per agent. Time per status per period sums these (``server.floor
    .history``). Server-only."""

    __tablename__ = "agent_status_spans"
    __table_args__ = (Index("ix_agent_status_spans_user_started", "user_id", "started_at"),)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(index=True)


class FloorMessage(Synced, Base):
    """A supervisor's message to one agent's desk, shown and announced there. ``realm`` is
    the recipient's, so a message to a trainee never reaches production desks and back."""

    __tablename__ = "floor_messages"
    to_user_id: Mapped[str] = mapped_column(String(36), index=True)
    from_user_id: Mapped[str] = mapped_column(String(36))
    from_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # --- server notes in the agent's language (issue 13) ---
    #: A notice the server wrote (an SLA warning, a review, a training comment) as
    #: [{"template", "params"}]: the recipient's desk shows it in its language. Never in the
    #: feed (one user's words, as ``body``): ``GET /api/v1/floor/messages`` answers it.
    body_phrases: Mapped[list[Any] | None] = mapped_column(
        JSON(none_as_null=True), info=SERVER_ONLY
    )


# --- routing rules and agent skills (issue 14, docs/routing.md) ----------------------------


class RoutingRule(Synced, Base):
    """One routing rule (``domain.routing``): evaluated by ``server.routing`` in ``position``
    order when a conversation arrives or wakes up. ``conditions`` and ``actions`` are JSON as
    validated when saved. Synced to every desk (it carries no customer data); supervisors and
    administrators change it through ``routing.rule.*`` mutations."""

    __tablename__ = "routing_rules"
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Later rules are not evaluated once this one matched.
    stop: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_id: Mapped[str | None] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None]


class AgentSkills(Synced, Base):
    """An agent's routing skills (``id`` is the user's id): languages and channels they take
    (empty: any). Set by supervisors; synced to every desk."""

    __tablename__ = "agent_skills"
    languages: Mapped[list[Any]] = mapped_column(default=list)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    set_by_id: Mapped[str | None] = mapped_column(String(36))


class RoutingPointer(Base):
    """A round-robin rule's last choice (server-only): updated under a row lock, so several
    server processes hand out agents in turn."""

    __tablename__ = "routing_pointers"
    rule_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_user_id: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RoutingAutoReply(Base):
    """The one automatic reply a conversation got from a rule (server-only): the primary key
    makes "once per conversation" hold across server processes."""

    __tablename__ = "routing_auto_replies"
    conversation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[str] = mapped_column(String(36))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranslationConnection(Base):
    """A translation provider (``csdesk-server translation add libretranslate|deepl``):
    settings in the clear, secrets (the API key) as a Fernet token like stores and channels."""

    __tablename__ = "translation_connections"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- SLA policy, business hours and escalation (issue 12, docs/sla.md) ----------------------


class SlaPolicyRow(Synced, Base):
    """The shop's SLA policy (one row, id ``default``): targets and escalation options as the
    JSON of ``domain.sla_policy.SlaPolicy``. Synced to every desk so the editor shows it."""

    __tablename__ = "sla_policies"
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by_id: Mapped[str | None] = mapped_column(String(36))


class TeamHours(Synced, Base):
    """A team's business calendar (id = the team's id): weekly hours in the chat-hours spec
    (``domain.opening_hours``), holidays as ISO dates, an IANA time zone."""

    __tablename__ = "team_hours"
    hours: Mapped[str] = mapped_column(String(500), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    holidays: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SlaEscalation(Base):
    """One escalation of one clock of a conversation at one level. The unique key is the
    claim: several server processes scanning at once escalate each level exactly once."""

    __tablename__ = "sla_escalations"
    __table_args__ = (UniqueConstraint("conversation_id", "clock", "level"),)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    clock: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- knowledge base (issue 14, docs/knowledge-base.md) ------------------------------------


class KbArticle(Synced, Base):
    """One knowledge-base article: what is shared by its language variants (``KbVariant``).
    ``public`` articles are also served to customers at ``/kb/<slug>``; internal ones only to
    staff. Synced to every desk (staff text, no customer data); supervisors and administrators
    change it through ``kb.article.*`` mutations. Deleted articles are kept, marked."""

    __tablename__ = "kb_articles"
    slug: Mapped[str] = mapped_column(String(80), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[str | None] = mapped_column(String(36))
    updated_by_id: Mapped[str | None] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None]


class KbVariant(Synced, Base):
    """An article in one language: title and Markdown body. Its id is derived from the
    article's and the language (``domain.kb.variant_id``), so a language removed and added
    again is the same row."""

    __tablename__ = "kb_variants"
    article_id: Mapped[str] = mapped_column(String(36), index=True)
    lang: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    deleted_at: Mapped[datetime | None]


# --- Macros (issue 14, docs/macros.md) -------------------------------------------------------


class Macro(Synced, Base):
    """One action that does several (a reply, tags, status, priority, assignment, snooze, a
    note): ``actions`` is the list ``domain.macros.parse_actions`` reads. Shared like canned
    responses (``scope``, ``owner_id``, ``team_id``); ``use_count`` counted by the server."""

    __tablename__ = "macros"
    title: Mapped[str] = mapped_column(String(200))
    actions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(String(16), default="personal")
    owner_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None]


# --- Mentions (issue 14, docs/mentions.md) ---------------------------------------------------


class Mention(Synced, Base):
    """A teammate (``user_id``) mentioned by ``by_user_id`` in the internal note ``message_id``
    of ``conversation_id``; ``excerpt`` is the note's first line. Written by ``message.send``
    (``server.mentions``), read by its user only (``wire.FEED_PERSONAL``); ``read_at`` set when
    they open it."""

    __tablename__ = "mentions"
    #: Always one user's (``feed.log.item_for`` reads ``scope`` for personal rows).
    scope: ClassVar[str] = "personal"
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    by_user_id: Mapped[str] = mapped_column(String(36))
    by_name: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[str] = mapped_column(String(36))
    excerpt: Mapped[str] = mapped_column(String(200), default="")
    read_at: Mapped[datetime | None]


# --- Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md) ---------------


class ScheduledMessage(Synced, Base):
    """A reply the server holds until ``send_at``, then hands to the outbound path as a
    ``message.send`` by its author would (``server.scheduled.due``). ``status``: scheduled →
    sent (``message_id`` names the message) or failed (``failure_reason``; the message, if
    one was made, shows the failure like any other), or cancelled by hand."""

    __tablename__ = "scheduled_messages"
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    send_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    message_id: Mapped[str | None] = mapped_column(String(36))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]


class Reminder(Synced, Base):
    """A follow-up reminder: ``owner_id``'s desk is told about ``conversation_id`` at
    ``due_at`` (status pending → due), unless ``only_if_no_reply`` and the customer wrote
    after it was set (→ answered). Dismissed by its owner. ``scope`` is always personal: the
    feed brings it to its owner's desk alone (``wire.FEED_PERSONAL``)."""

    __tablename__ = "reminders"
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    only_if_no_reply: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    scope: Mapped[str] = mapped_column(String(16), default="personal")
    fired_at: Mapped[datetime | None]


# --- side conversations (issue 14, docs/side-conversations.md) ---------------------------------


class SideConversation(Synced, Base):
    """A customer conversation (or one ``message_id`` of it, ``scope``) forwarded by email to
    ``to_address`` by ``created_by_id``; the replies are filed here by the inbound path
    (``server.side.inbound``), never in the customer's thread. ``token`` is the reply token in
    the subject; ``last_in_at`` the newest reply, ``reply_count`` how many came back."""

    __tablename__ = "side_conversations"
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(String(36))
    scope: Mapped[str] = mapped_column(String(16), default="thread")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(320), default="")
    token: Mapped[str] = mapped_column(String(16), unique=True)
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    last_in_at: Mapped[datetime | None]


class SideMessage(Synced, Base):
    """One mail of a side conversation: ``out`` (what we sent: ``status`` queued → sent or
    failed) or ``in`` (a reply, ``received``). ``provider_message_id`` is the mail's
    Message-ID, what a reply's In-Reply-To names. ``attempts``/``next_attempt_at``/
    ``lease_until`` are the sender's bookkeeping (server-only)."""

    __tablename__ = "side_messages"
    side_conversation_id: Mapped[str] = mapped_column(
        ForeignKey("side_conversations.id"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    direction: Mapped[str] = mapped_column(String(4))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=SERVER_ONLY)
    next_attempt_at: Mapped[datetime | None] = mapped_column(info=SERVER_ONLY)
    lease_until: Mapped[datetime | None] = mapped_column(info=SERVER_ONLY)
    # --- fix-side: the thread forward's messages (migration 0015_sidefwd) ---
    #: The ids of the messages a thread forward's text carries, oldest first, recorded when
    #: the forward is made: its files come from these alone (a conversation merged in before
    #: a retry adds none). None: not a thread forward, or written before 0015. Server-only.
    forwarded_ids: Mapped[list[Any] | None] = mapped_column(
        JSON(none_as_null=True), info=SERVER_ONLY
    )
    # --- end fix-side ---


# --- team audiences and favourite macro keys (issue 14, docs/macros.md) ----------------------


class SyncRevocation(Base):
    """A feed row some readers held and no longer may (an item's scope narrowed, a user left a
    team): ``lost`` names who lost it (an audience: a user id or ``team:<realm>:<id>``; or
    ``realm:<realm>``, every reader of that realm). A reader it names who cannot see the
    entity's current feed row gets a tombstone for it (``server.sync.pull.read_personal``);
    ``seq`` is the feed seq of the change that took it away."""

    __tablename__ = "sync_revocations"
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lost: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class MacroKeys(Synced, Base):
    """One user's favourite macro keys (Ctrl+Alt+1 … 9): ``keys`` maps a macro id to its key.
    ``id`` is the user's id; the row reaches only their desks (``wire.FEED_PERSONAL``)."""

    __tablename__ = "macro_keys"
    #: Always one user's (``feed.log.item_for`` reads ``scope`` for personal rows).
    scope: ClassVar[str] = "personal"
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    keys: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
