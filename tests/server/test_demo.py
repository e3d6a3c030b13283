"""The demo store: believable, complete, deterministic, idempotent, and synced in full."""

from __future__ import annotations

import hashlib
import itertools
import re
import string
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    IdentityKind,
    Priority,
    Realm,
    Role,
)
from csdesk.domain.sla import SlaStatus, sla_state
from csdesk.protocol import Entity
from csdesk.server.auth.passwords import verify_password
from csdesk.server.channels.identities import normalize_email, normalize_phone
from csdesk.server.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from csdesk.server.demo.catalog import CANNED_FIELDS, SCENARIO_PARTS, THREAD_FIELDS, load_catalog
from csdesk.server.demo.common import ENTITY_ORDER
from csdesk.server.demo.generate import generate, make_plan
from csdesk.server.demo.people import CHANNEL_KIND
from csdesk.server.demo.pipeline import sqlite_datetime
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.types import UTCDateTime
from csdesk.storage.wire import (
    ENTITY_MODELS,
    FEED_AUDIENCES,
    FEED_PERSONAL,
    FEED_TEAM,
    GLOBAL_ENTITIES,
    PERSONAL_FEED,
    table_of,
)
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users, postgres_database

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
PROD, TRAIN = Realm.PRODUCTION.value, Realm.TRAINING.value


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def another_database(db_url: str, tmp_path: Path, name: str) -> Iterator[str]:
    """A second fresh database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite+pysqlite:///{tmp_path / name}.db"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def seeded(db_url: str) -> Iterator[Engine]:
    with engine_for(db_url) as engine:
        seed_demo(engine, seed=7, now=NOW)
        yield engine


def count(s: Session, model: type[m.Base], realm: str | None = None) -> int:
    stmt = select(func.count()).select_from(model)
    if realm is not None:
        stmt = stmt.where(model.realm == realm)  # type: ignore[attr-defined]
    return int(s.scalar(stmt) or 0)


def digest(engine: Engine) -> str:
    """Every synced row (password hashes aside: argon2 salts them) and every feed row."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for entity in ENTITY_ORDER:
            table = table_of(entity)
            cols = [c for c in table.columns if c.name != "password_hash"]
            for row in conn.execute(select(*cols).order_by(table.c.id)):
                h.update(repr(tuple(row)).encode())
        feed = m.SyncChange.__table__
        for row in conn.execute(select(feed).order_by(feed.c.seq)):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


# --- content -------------------------------------------------------------------------------


def test_default_store_has_every_channel_language_and_state(seeded: Engine) -> None:
    with Session(seeded) as s:
        assert count(s, m.Customer, PROD) == 50
        assert count(s, m.Conversation, PROD) == 200
        assert count(s, m.Message, PROD) == 1000
        assert 50 <= count(s, m.Order, PROD) <= 150
        assert count(s, m.OrderLine, PROD) >= count(s, m.Order, PROD)
        assert count(s, m.Return, PROD) >= 1
        assert count(s, m.CustomerIdentity, PROD) >= 100
        assert 3 <= count(s, m.Customer, TRAIN) <= 20
        assert 5 <= count(s, m.Conversation, TRAIN) <= 40

        convs = s.scalars(select(m.Conversation).where(m.Conversation.realm == PROD)).all()
        assert {c.channel for c in convs} == {ch.value for ch in Channel}
        languages = Counter(c.language for c in convs)
        assert {"en", "de", "fr", "es", "nl"} <= set(languages)
        assert {c.status for c in convs} == {st.value for st in ConversationStatus}
        assert len({c.priority for c in convs}) >= 3
        assert all(c.subject and c.preview for c in convs)
        users = {u.username: u for u in s.scalars(select(m.User))}
        demo = users["demo"]
        assert demo.display_name == "Demo Agent" and demo.role == Role.AGENT.value
        assert {u.role for u in users.values()} == {r.value for r in Role}
        assert any(c.assignee_id == demo.id for c in convs if c.status == "open")
        waiting = [c for c in convs if c.status == "open" and c.assignee_id is None]
        assert waiting and all(c.waiting_since is not None for c in waiting)
        assert {t.name for t in s.scalars(select(m.Team))} >= {"Tier 1", "Returns", "VIP"}
        assert len({c.team_id for c in convs}) == 3

        notes = s.scalars(select(m.Message).where(m.Message.is_note.is_(True))).all()
        assert notes and all(n.author_user_id and n.provider_message_id is None for n in notes)

        canned = s.scalars(select(m.CannedResponse)).all()
        assert {c.language for c in canned} >= {"en", "de", "fr", "es", "nl"}
        assert {c.realm for c in canned} == {PROD, TRAIN}
        bodies = " ".join(c.body for c in canned)
        for field in ("{first_name}", "{order_number}", "{tracking_number}", "{agent_name}"):
            assert field in bodies


def test_every_password_is_the_demo_password(seeded: Engine) -> None:
    with Session(seeded) as s:
        users = s.scalars(select(m.User)).all()
    assert {u.username for u in users} == {u.username for u in DEMO_USERS}
    assert len({u.password_hash for u in users}) == 1  # hashed once, shared
    assert verify_password(users[0].password_hash, DEMO_PASSWORD)
    assert not verify_password(users[0].password_hash, "wrong-password")


def test_conversations_agree_with_their_messages_and_customers(seeded: Engine) -> None:
    with Session(seeded) as s:
        customers = {c.id: c for c in s.scalars(select(m.Customer))}
        kinds: dict[str, set[str]] = {}
        for ident in s.scalars(select(m.CustomerIdentity)):
            kinds.setdefault(ident.customer_id, set()).add(ident.kind)
        numbers: dict[str, set[str]] = {}
        for order in s.scalars(select(m.Order)):
            numbers.setdefault(order.customer_id, set()).add(order.number)
        threads: dict[str, list[m.Message]] = {}
        for msg in s.scalars(select(m.Message).order_by(m.Message.created_at, m.Message.id)):
            threads.setdefault(msg.conversation_id, []).append(msg)
        convs = s.scalars(select(m.Conversation)).all()

    for c in convs:
        msgs = threads[c.id]
        cust = customers[c.customer_id]
        assert cust.realm == c.realm and all(x.realm == c.realm for x in msgs)
        assert CHANNEL_KIND[Channel(c.channel)].value in kinds[cust.id], (c.channel, cust.name)
        assert c.message_count == len(msgs)
        assert c.created_at == msgs[0].created_at
        assert c.last_message_at == msgs[-1].created_at
        assert all(x.channel == c.channel for x in msgs)
        spoken = [x for x in msgs if not x.is_note]
        assert spoken[0].direction == "in"
        assert c.preview == spoken[-1].body_text.strip().splitlines()[0][:300]
        inbound = [x for x in spoken if x.direction == "in"]
        assert c.last_inbound_at == inbound[-1].created_at
        replies = [x for x in spoken if x.direction == "out"]
        assert c.first_response_at == (replies[0].created_at if replies else None)
        unanswered = [x for x in spoken if not replies or x.created_at > replies[-1].created_at]
        expected = unanswered[0].created_at if spoken[-1].direction == "in" else None
        assert c.waiting_since == expected
        if c.status == ConversationStatus.OPEN:
            assert spoken[-1].direction == "in"
        else:
            assert spoken[-1].direction == "out" and c.assignee_id is not None
        assert (c.status == "resolved") == (c.resolved_at is not None)
        assert (c.status == "snoozed") == (c.snoozed_until is not None and c.snoozed_until > NOW)
        assert c.first_response_due_at is not None and c.first_response_due_at > c.created_at
        assert max(x.updated_at for x in msgs) <= NOW
        # Order numbers quoted in the thread are this customer's own orders.
        for number in re.findall(r"\b(?:FH|TRN)-\d+\b", " ".join(x.body_text for x in msgs)):
            assert number in numbers.get(cust.id, set()), (number, cust.name)


def test_shipments_tell_stories_and_slas_run_late(seeded: Engine) -> None:
    with Session(seeded) as s:
        ships = s.scalars(select(m.Shipment).where(m.Shipment.realm == PROD)).all()
        convs = s.scalars(select(m.Conversation).where(m.Conversation.realm == PROD)).all()
        orders = {o.id: o for o in s.scalars(select(m.Order))}
        carriers = {sh.carrier for sh in ships}
    delivered = [sh for sh in ships if sh.status == "delivered"]
    late = [sh for sh in ships if sh.delivered_at is None and sh.eta and sh.eta < NOW]
    moving = [sh for sh in ships if sh.delivered_at is None and sh.eta and sh.eta >= NOW]
    assert delivered and late and moving
    assert all(sh.delivered_at and sh.shipped_at < sh.delivered_at <= NOW for sh in delivered)  # type: ignore[operator]
    assert all(orders[sh.order_id].status == "delivered" for sh in delivered)
    assert len(carriers) >= 4 and all(sh.tracking_number for sh in ships)

    # As the desktop's SLA badge sees them (domain.sla), at the seed's clock.
    states = Counter(
        sla_state(
            NOW,
            status=c.status,
            first_response_due_at=c.first_response_due_at,
            resolution_due_at=c.resolution_due_at,
            first_response_at=c.first_response_at,
            started_at=c.created_at,
        ).status
        for c in convs
    )
    for wanted in (SlaStatus.BREACHED, SlaStatus.AT_RISK, SlaStatus.OK, SlaStatus.PAUSED):
        assert states[wanted] > 0, (wanted, states)
    unanswered = [c for c in convs if c.status == "open" and c.first_response_at is None]
    due = [c.first_response_due_at for c in unanswered if c.first_response_due_at]
    assert any(d < NOW for d in due), "some first responses are overdue"
    assert any(NOW <= d <= NOW + timedelta(hours=2) for d in due), "some are at risk"
    assert {p.value for p in Priority} >= {c.priority for c in convs}


def test_identities_are_canonical_and_unique_at_scale() -> None:
    """Thousands of customers in memory: every identity is in the canonical form inbound
    channels look up, and no unique constraint of the model could be violated."""
    plan = make_plan(3, NOW, 3000, None, 20000)
    seen: dict[str, set[Any]] = {"identity": set(), "order": set(), "provider": set(), "id": set()}
    messages = 0
    for block in generate(plan, load_catalog(), "hash"):
        for entity in ENTITY_ORDER:
            for row in block.rows[entity]:
                assert row["id"] not in seen["id"]
                seen["id"].add(row["id"])
        for ident in block.rows[Entity.IDENTITY]:
            key = (ident["realm"], ident["kind"], ident["value"])
            assert key not in seen["identity"]
            seen["identity"].add(key)
            if ident["kind"] in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
                assert normalize_phone(ident["value"]) == ident["value"]
            if ident["kind"] == IdentityKind.EMAIL:
                assert normalize_email(ident["value"]) == ident["value"]
                assert (
                    ident["value"]
                    .rpartition("@")[2]
                    .endswith(("example.com", "example.net", "example.org"))
                )
        for order in block.rows[Entity.ORDER]:
            assert order["number"] not in seen["order"]
            seen["order"].add(order["number"])
        for msg in block.rows[Entity.MESSAGE]:
            messages += 1
            if msg["provider_message_id"] is not None:
                provider_key = (msg["channel"], msg["provider_message_id"])
                assert provider_key not in seen["provider"]
                seen["provider"].add(provider_key)
    assert messages == 20000 + 44  # production as asked, plus the training realm's


def test_templates_use_only_known_placeholders() -> None:
    catalog = load_catalog()
    filler = {f: f"<{f}>" for f in THREAD_FIELDS}
    assert set(catalog.languages) >= {"en", "de", "fr", "es", "nl"}
    for lang in catalog.languages.values():
        assert set(lang.texts.scenarios) == set(catalog.scenario_names)
        for name, scenario in lang.texts.scenarios.items():
            for part in SCENARIO_PARTS:
                for template in getattr(scenario, part):
                    assert template.format_map(filler).strip()
            if name not in ("discount_code", "product_question"):  # these need no order
                quoted = [*scenario.subjects, *scenario.opening, *scenario.reply]
                assert any("{order_number}" in t for t in quoted), (lang.code, name)
        for item in lang.canned:
            fields = {f for _t, f, _s, _c in string.Formatter().parse(item.body) if f}
            assert fields <= CANNED_FIELDS
        assert any("{first_name}" in c.body for c in lang.canned)


def test_sqlite_times_are_stored_as_sqlalchemy_stores_them() -> None:
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    for value in (
        NOW,
        NOW + timedelta(microseconds=1),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2025, 3, 30, 3, 30, tzinfo=UTC).astimezone(),  # a local offset
    ):
        assert sqlite_datetime(value) == bind(value)
    assert sqlite_datetime(None) is None


# --- sizes, determinism, idempotency -----------------------------------------------------------


def test_sizes_are_honoured_exactly(db_url: str) -> None:
    with engine_for(db_url) as engine:
        summary = seed_demo(engine, seed=5, customers=30, conversations=70, messages=150, now=NOW)
        with Session(engine) as s:
            assert count(s, m.Customer, PROD) == 30
            assert count(s, m.Conversation, PROD) == 70
            assert count(s, m.Message, PROD) == 150
    assert summary.startswith("30 customers") and "70 conversations, 150 messages" in summary
    with pytest.raises(ValueError, match="negative"):
        make_plan(1, NOW, -1, None, None)
    assert make_plan(1, NOW, 10, 40, 25).conversations == 25  # each needs a message
    assert make_plan(1, NOW, 0, 40, 25).messages == 0


def test_same_seed_same_rows_other_seed_other_rows(db_url: str, tmp_path: Path) -> None:
    with engine_for(db_url) as first:
        seed_demo(first, seed=11, customers=25, now=NOW, parallel=False)
        reference = digest(first)
    with another_database(db_url, tmp_path, "again") as url, engine_for(url) as again:
        # The worker-process path (used for big stores) makes exactly the same rows.
        seed_demo(again, seed=11, customers=25, now=NOW, parallel=True)
        assert digest(again) == reference
    with another_database(db_url, tmp_path, "other") as url, engine_for(url) as other:
        seed_demo(other, seed=12, customers=25, now=NOW)
        assert digest(other) != reference


def test_seeding_twice_changes_nothing(seeded: Engine) -> None:
    before = digest(seeded)
    summary = seed_demo(seeded, seed=7, now=NOW)
    assert "already" in summary and "nothing seeded" in summary
    summary = seed_demo(seeded, seed=99, customers=5)  # another seed does not add a store
    assert "nothing seeded" in summary
    assert digest(seeded) == before


def test_clashing_user_names_are_refused_without_a_trace(db_url: str) -> None:
    add_users(db_url, [TestUser("admin", "admin-password", Role.ADMIN)])
    with engine_for(db_url) as engine:
        with pytest.raises(ValueError, match="'admin'"):
            seed_demo(engine, now=NOW)
        with Session(engine) as s:
            assert count(s, m.Customer) == 0 and count(s, m.User) == 1


# --- the change feed -----------------------------------------------------------------------------


def test_feed_holds_every_synced_row_exactly_once(seeded: Engine) -> None:
    with Session(seeded) as s:
        rows = sum(count(s, model) for model in ENTITY_MODELS.values())
        feed = s.execute(
            select(m.SyncChange.entity, m.SyncChange.entity_id, m.SyncChange.realm)
        ).all()
        head = s.scalar(select(m.SyncCounter.value))
        realms = {
            (e.value, r.id): r.realm  # type: ignore[attr-defined]
            for e, model in ENTITY_MODELS.items()
            for r in s.scalars(select(model))
        }
        payload = s.scalar(select(m.SyncChange.payload).where(m.SyncChange.entity == "user"))
        personal = {
            (e.value, r.id)
            for e in FEED_PERSONAL
            for r in s.scalars(select(ENTITY_MODELS[e]))
            if r.scope == "personal"  # type: ignore[attr-defined]
        }
        # A team's (docs/macros.md): its members' and the leads' pulls, never the realm's.
        personal |= {
            (e.value, r.id)
            for e in FEED_TEAM
            for r in s.scalars(select(ENTITY_MODELS[e]))
            if r.scope == "team"  # type: ignore[attr-defined]
        }
    assert len(feed) == rows == len(realms) == head
    assert len({(e, i) for e, i, _r in feed}) == rows
    for entity, ident, realm in feed:
        everywhere = {e.value for e in GLOBAL_ENTITIES}  # users, teams, statuses, scenarios
        expected = None if entity in everywhere else realms[(entity, ident)]
        # Quality reviews go to a narrower audience of their realm (supervisors, docs/qa.md).
        expected = FEED_AUDIENCES.get(Entity(entity), expected)
        if (entity, ident) in personal:  # one user's (docs/macros.md): never the realm's
            expected = PERSONAL_FEED
        assert realm == expected
    assert payload is not None and "password_hash" not in payload and '"username"' in payload


def test_live_server_initial_sync_by_realm(db_url: str, tmp_path: Path) -> None:
    with engine_for(db_url) as engine:
        seed_demo(engine, now=NOW)
        with Session(engine) as s:
            prod = set(s.scalars(select(m.Conversation.id).where(m.Conversation.realm == PROD)))
            train = set(s.scalars(select(m.Conversation.id).where(m.Conversation.realm == TRAIN)))
            prod_msgs = count(s, m.Message, PROD)
    server = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        demo = Raw.signed_in(server, TestUser("demo", DEMO_PASSWORD, Role.AGENT))
        changes, cursor = demo.pull_all()
        me = demo.get("/api/v1/auth/me").json()
        trainee = Raw.signed_in(server, TestUser("trainee", DEMO_PASSWORD, Role.TRAINEE))
        t_changes, _ = trainee.pull_all()
        alex = Raw.signed_in(server, TestUser("alex", DEMO_PASSWORD, Role.AGENT))
        a_changes, _ = alex.pull_all()
    finally:
        server.stop()
    assert me["display_name"] == "Demo Agent" and cursor > 0
    # The demo agent's personal macro and canned response reach their desk and no other
    # (docs/macros.md); everyone's macros reach every desk of the realm.
    mine = {
        c["id"]
        for c in changes
        if c["entity"] in ("macro", "canned_response") and c["data"]["scope"] == "personal"
    }
    assert len(mine) == 2
    assert not mine & {c["id"] for c in a_changes}
    assert not mine & {c["id"] for c in t_changes}
    assert {c["data"]["title"] for c in a_changes if c["entity"] == "macro"} >= {
        "Refund approved",
        "Where is my order",
        "Close as spam",
    }

    def ids(got: list[dict[str, Any]], entity: str) -> set[str]:
        return {c["id"] for c in got if c["entity"] == entity}

    assert ids(changes, "conversation") == prod
    assert len(ids(changes, "message")) == prod_msgs
    assert len(ids(changes, "user")) == len(DEMO_USERS)
    assert all("password_hash" not in (c["data"] or {}) for c in changes)
    assert ids(t_changes, "conversation") == train
    # No customer data: every realm's (staff, teams, routing rules, knowledge base, …).
    global_entities = {e.value for e in GLOBAL_ENTITIES}
    assert all(c["data"]["realm"] == TRAIN for c in t_changes if c["entity"] not in global_entities)


def test_cli_seed_demo_prints_the_summary(tmp_path: Path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'cli.db'}"
    cmd = [sys.executable, "-m", "csdesk.server.cli", "seed-demo", "--db", url, "--customers", "12"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "12 customers" in first.stdout and "48 conversations, 240 messages" in first.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0 and "nothing seeded" in again.stdout
    with engine_for(url) as engine, engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 12 + 6


def test_demo_staff_have_statuses_and_a_history_without_gaps(seeded: Engine) -> None:
    from csdesk.server.demo.floor import NOW as STATUS_NOW

    with Session(seeded) as s:
        users = {u.id: u.username for u in s.scalars(select(m.User))}
        rows = {users[r.id]: r for r in s.scalars(select(m.AgentStatusRow))}
        assert set(rows) == set(STATUS_NOW)
        assert rows["alex"].status == "on_break" and rows["priya"].status == "available"
        assert all(r.online for r in rows.values())
        for uid, username in users.items():
            spans = s.scalars(
                select(m.AgentStatusSpan)
                .where(m.AgentStatusSpan.user_id == uid)
                .order_by(m.AgentStatusSpan.started_at)
            ).all()
            if username not in rows:
                assert not spans
                continue
            assert len({sp.status for sp in spans}) >= 4  # a believable mix
            assert spans[-1].ended_at is None and spans[-1].status == rows[username].status
            assert spans[-1].started_at == rows[username].since
            for a, b in itertools.pairwise(spans):
                assert a.ended_at == b.started_at  # contiguous, never overlapping
