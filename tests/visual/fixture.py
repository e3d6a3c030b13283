"""The fixed store the reference images are rendered from: a few explicit rows, every time
written against ``NOW``, applied to a local cache as one pulled page (the desk's own path).

No demo generator and no server: a change to the demo data must not change the pictures, and
every run must find the same rows at the same ages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from csdesk.protocol import Change, Entity, PullPage
from csdesk.storage.wire import row_to_wire, table_of
from csdesk.sync import LocalCache

#: The desk's "now" in every picture (a Monday afternoon, UTC).
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
ME = "u-ann"
TEAM = "t-eu"
OPEN_CONVERSATION = "c-01"
STAFF = {"Ann Agent": ME, "Bob Baker": "u-bob"}


def _row(entity: Entity, ident: str, **values: Any) -> Change:
    """One entity's wire form: the columns' scalar defaults, else None (a list or dict for
    JSON columns), then ``values``; created and updated an hour before NOW unless given."""
    row: dict[str, Any] = {}
    for column in table_of(entity).columns:
        default = column.default
        arg = getattr(default, "arg", None)
        if default is not None and getattr(default, "is_scalar", False):
            row[column.name] = arg
        elif default is not None and callable(arg) and column.name not in {"created_at"}:
            made = _callable_default(arg)
            row[column.name] = made
        else:
            row[column.name] = None
    row.update(id=ident, realm="production", created_at=NOW - timedelta(days=30))
    row["updated_at"] = NOW - timedelta(hours=1)
    row.update(values)
    return Change(
        seq=0, entity=entity.value, id=ident, deleted=False, data=row_to_wire(entity, row)
    )


def _callable_default(arg: Any) -> Any:
    name = getattr(arg, "__name__", "")
    if "list" in name:
        return []
    if "dict" in name:
        return {}
    return NOW - timedelta(hours=1)  # utcnow, wrapped by SQLAlchemy


def _ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def _people() -> list[Change]:
    return [
        _row(Entity.TEAM, TEAM, name="Support Europe"),
        _row(Entity.USER, ME, username="ann", display_name="Ann Agent", role="agent",
             team_id=TEAM, active=True),
        _row(Entity.USER, "u-bob", username="bob", display_name="Bob Baker", role="agent",
             team_id=TEAM, active=True),
        _row(Entity.USER, "u-sue", username="sue", display_name="Sue Supervisor",
             role="supervisor", team_id=TEAM, active=True),
    ]  # fmt: skip


#: (id, name, email, phone, language, tier, points)
CUSTOMERS = [
    ("k-01", "Jane Doe", "jane.doe@example.com", "+447700900123", "en", "gold", 1240),
    ("k-02", "Pierre Martin", "pierre@example.fr", "+33612345678", "fr", "none", 0),
    ("k-03", "Maria Garcia", "maria.garcia@example.es", None, "es", "silver", 310),
    ("k-04", "Tom Becker", None, "+4915112345678", "de", "none", 0),
    ("k-05", "Sofia Rossi", "sofia.rossi@example.it", None, "it", "bronze", 80),
    ("k-06", "Liam O'Brien", "liam@example.ie", "+353851234567", "en", "none", 0),
    ("k-07", "Noor Haddad", None, "+971501234567", "ar", "platinum", 5020),
    ("k-08", "Emma de Vries", "emma@example.nl", None, "nl", "none", 0),
]

#: (id, customer, channel, subject, preview, status, priority, assignee, waited minutes)
CONVERSATIONS = [
    ("c-01", "k-01", "email", "Parcel not delivered", "My order FH-1001 was due on Friday "
     "and the tracking page has not moved since.", "open", "high", ME, 95),
    ("c-02", "k-02", "chat", "Changer l'adresse de livraison", "Bonjour, puis-je encore "
     "changer l'adresse ?", "open", "normal", ME, 12),
    ("c-03", "k-03", "whatsapp", "Return label", "Can you send me a return label for the "
     "blue jacket?", "open", "normal", None, 41),
    ("c-04", "k-04", "sms", "Refund status", "Any news about my refund?", "pending", "low",
     ME, 300),
    ("c-05", "k-05", "messenger", "Wrong size", "The shoes are one size too small.", "open",
     "urgent", "u-bob", 7),
    ("c-06", "k-06", "phone", "Callback about invoice", "Missed call, left a voicemail "
     "about invoice 2026-118.", "open", "normal", None, 180),
    ("c-07", "k-07", "telegram", "Gift wrapping", "Is gift wrapping available for order "
     "FH-1042?", "open", "normal", ME, 60 * 26),
    ("c-08", "k-08", "instagram", "Discount code", "The code WINTER10 says it has expired.",
     "open", "normal", None, 3),
]  # fmt: skip

THREAD = [
    ("m-01", "in", False, "Jane Doe", 95,
     "Hello,\n\nMy order FH-1001 was due on Friday and the tracking page has not moved since "
     "Wednesday. Could you check with the courier, please?\n\nThanks, Jane"),
    ("m-02", "out", False, "Ann Agent", 80,
     "Hi Jane, I'm sorry about the wait. I have asked the courier and will write again as "
     "soon as they answer."),
    ("m-03", "out", True, "Ann Agent", 70,
     "Courier ticket 55-1207 opened; they answer within a working day."),
    ("m-04", "in", False, "Jane Doe", 20,
     "Thank you! It's a birthday present, so I'd be grateful for any news before Thursday."),
]  # fmt: skip


def _conversations() -> list[Change]:
    out: list[Change] = []
    for cid, name, email, phone, lang, tier, points in CUSTOMERS:
        out.append(_row(Entity.CUSTOMER, cid, name=name, email=email, phone=phone,
                        language=lang, loyalty_tier=tier, loyalty_points=points,
                        tags=["vip"] if tier == "platinum" else []))  # fmt: skip
        if email:
            out.append(_row(Entity.IDENTITY, f"i-{cid}-e", customer_id=cid, kind="email",
                            value=email, verified=True))  # fmt: skip
        if phone:
            out.append(_row(Entity.IDENTITY, f"i-{cid}-p", customer_id=cid, kind="phone",
                            value=phone, verified=True))  # fmt: skip
    for n, (cid, kid, channel, subject, preview, status, prio, who, waited) in enumerate(
        CONVERSATIONS
    ):
        last = _ago(minutes=waited)
        out.append(_row(
            Entity.CONVERSATION, cid, customer_id=kid, channel=channel, subject=subject,
            preview=preview, status=status, priority=prio, assignee_id=who, team_id=TEAM,
            tags=["shipping"] if n % 3 == 0 else [], last_message_at=last,
            last_inbound_at=last, waiting_since=last, message_count=1,
            first_response_due_at=last + timedelta(hours=2),
            resolution_due_at=last + timedelta(hours=24),
            language=CUSTOMERS[n][4], created_at=last,
        ))  # fmt: skip
        if cid != OPEN_CONVERSATION:
            out.append(_message(f"m-{cid}", cid, channel, "in", False, CUSTOMERS[n][1],
                                waited, preview))  # fmt: skip
    for mid, direction, note, author, ago, body in THREAD:
        out.append(_message(mid, OPEN_CONVERSATION, "email", direction, note, author, ago, body))
    return out


def _message(
    mid: str, cid: str, channel: str, direction: str, note: bool, author: str, ago: float,
    body: str,
) -> Change:  # fmt: skip
    at = _ago(minutes=ago)
    return _row(
        Entity.MESSAGE, mid, conversation_id=cid, channel=channel, direction=direction,
        is_note=note, author_user_id=STAFF.get(author), author_name=author,
        subject="Parcel not delivered" if channel == "email" else "", body_text=body,
        delivery_status="received" if direction == "in" else "delivered",
        sent_at=at, created_at=at, updated_at=at, language="en",
    )  # fmt: skip


def _orders() -> list[Change]:
    placed = _ago(days=6)
    return [
        _row(Entity.ORDER, "o-01", customer_id="k-01", number="FH-1001", status="shipped",
             total_cents=12998, currency="EUR", placed_at=placed),
        _row(Entity.ORDER_LINE, "ol-01", order_id="o-01", sku="JKT-BLU-M",
             title="Rain jacket, blue, M", quantity=1, unit_price_cents=8999),
        _row(Entity.ORDER_LINE, "ol-02", order_id="o-01", sku="SCF-GRY",
             title="Wool scarf, grey", quantity=1, unit_price_cents=3999),
        _row(Entity.SHIPMENT, "s-01", order_id="o-01", carrier="DHL",
             tracking_number="JD014600003301", status="in_transit", shipped_at=_ago(days=5),
             eta=_ago(days=3)),
        _row(Entity.ORDER, "o-02", customer_id="k-01", number="FH-0877", status="delivered",
             total_cents=4500, currency="EUR", placed_at=_ago(days=90)),
        _row(Entity.ORDER_LINE, "ol-03", order_id="o-02", sku="MUG-WHT",
             title="Mug, white", quantity=3, unit_price_cents=1500),
        _row(Entity.CANNED_RESPONSE, "cr-01", title="Courier asked", shortcut="/track",
             body="I have asked the courier and will write again as soon as they answer.",
             scope="everyone"),
        _row(Entity.CANNED_RESPONSE, "cr-02", title="Return label",
             body="Your return label is attached: print it and drop the parcel at any "
                  "post office.", scope="everyone"),
        _row(Entity.MACRO, "ma-01", title="Where is my order", scope="everyone", use_count=87,
             actions=[{"kind": "reply", "canned": "/track"}, {"kind": "tags", "add": ["wismo"]},
                      {"kind": "status", "status": "pending"}]),
        _row(Entity.MACRO, "ma-02", title="Escalate to a supervisor", scope="everyone",
             use_count=5, actions=[
                 {"kind": "priority", "priority": "urgent"}, {"kind": "assign", "to": "nobody"},
                 {"kind": "note", "text": "Escalated: please take over, see the thread above."}]),
        _row(Entity.MACRO, "ma-03", title="Close as spam", scope="everyone", use_count=13,
             actions=[{"kind": "tags", "add": ["spam"]}, {"kind": "status", "status": "resolved"}]),
    ]  # fmt: skip


def _earlier() -> list[Change]:
    """An older, resolved conversation of Jane's (something to merge into, a timeline)."""
    at = _ago(days=9)
    return [
        _row(Entity.CONVERSATION, "c-09", customer_id="k-01", channel="chat",
             subject="Size of the rain jacket", preview="Does the M fit a 40 chest?",
             status="resolved", priority="normal", assignee_id="u-bob", team_id=TEAM,
             last_message_at=at, last_inbound_at=at, message_count=2, resolved_at=at,
             first_response_at=at, created_at=at, tags=[]),
        _message("m-09a", "c-09", "chat", "in", False, "Jane Doe", 9 * 24 * 60 + 5,
                 "Does the M fit a 40 chest?"),
        _message("m-09b", "c-09", "chat", "out", False, "Bob Baker", 9 * 24 * 60,
                 "Yes: M is for a 38-40 chest."),
    ]  # fmt: skip


RUBRIC = [
    {"key": "greeting", "name": "Greeting", "weight": 10, "scale": "pass_fail",
     "description": "Greets the customer by name."},
    {"key": "understood", "name": "Understood the issue", "weight": 30, "scale": "points",
     "max_points": 4, "description": "Restates the problem before answering."},
    {"key": "solution", "name": "Correct solution", "weight": 40, "scale": "points",
     "max_points": 4},
    {"key": "tone", "name": "Tone", "weight": 20, "scale": "points", "max_points": 4},
]  # fmt: skip


def _lead_tools() -> list[Change]:
    """A review rubric, routing rules and agents' skills (the supervisor's dialogs)."""
    return [
        _row(Entity.QA_RUBRIC, "qr-01", family="qr-01", version=1, name="Support quality",
             criteria=RUBRIC, active=True, created_by_id="u-sue"),
        _row(Entity.ROUTING_RULE, "rr-01", name="German to German speakers", position=1,
             enabled=True, stop=False, conditions={"languages": ["de"]},
             actions={"assign": "round_robin"}),
        _row(Entity.ROUTING_RULE, "rr-02", name="Refunds are high priority", position=2,
             enabled=True, stop=False,
             conditions={"keywords": ["refund", "money back", "chargeback"]},
             actions={"priority": "high", "add_tags": ["refund"]}),
        _row(Entity.ROUTING_RULE, "rr-03", name="Automatic reply after hours", position=3,
             enabled=False, stop=False,
             conditions={"channels": ["email"], "hours": {"start": "18:00", "end": "08:00"}},
             actions={"auto_reply": "Thank you for writing to us. We answer from 08:00."}),
        _row(Entity.AGENT_SKILLS, ME, languages=["en", "fr"], channels=["email", "chat"]),
        _row(Entity.AGENT_SKILLS, "u-bob", languages=["en", "de"], channels=[]),
        # The floor's live board (the supervisor's window): Bob on a break (Ann's own status
        # would show in the main window's status bar as well).
        _row(Entity.AGENT_STATUS, "u-bob", status="on_break", chosen="on_break", online=True,
             since=_ago(minutes=7)),
    ]  # fmt: skip


def changes() -> list[Change]:
    rows = [*_people(), *_conversations(), *_orders(), *_earlier(), *_lead_tools()]
    for seq, change in enumerate(rows, start=1):
        change["seq"] = seq
    return rows


def fill_cache(path: Path) -> LocalCache:
    """A local cache at ``path`` holding the fixture, caught up (cursor == head)."""
    cache = LocalCache(path)
    rows = changes()
    cache.set_user({"id": ME, "username": "ann", "display_name": "Ann Agent", "role": "agent"})
    cache.apply_page(PullPage(changes=rows, cursor=len(rows), head=len(rows), more=False))
    return cache
