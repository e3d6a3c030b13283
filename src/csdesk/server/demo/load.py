"""Writing the generated store: Core bulk inserts plus the change feed, in one transaction.

One transaction because a half-seeded store is worse than none: an interrupted seed leaves
the database as it was, and the idempotency check ("is user ``demo`` there?") can trust what
it sees. Rows go in with executemany in chunks (the ORM's ``add_all`` is ~10x slower, see the
platform notes) and every row gets its feed entry in the same transaction, so a client's first
pull receives the whole store.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm
from csdesk.protocol import Entity
from csdesk.server.demo.catalog import load_catalog
from csdesk.server.demo.generate import Plan, make_plan
from csdesk.server.demo.pipeline import (
    PARALLEL_ROWS,
    Prepared,
    estimated_rows,
    prepared_blocks,
    sqlite_insert,
)
from csdesk.server.demo.policy import TEAM_NAMES
from csdesk.server.demo.staff import DEMO_PASSWORD, DEMO_USERS, MARKER_USER
from csdesk.server.feed import log as feed
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.storage.wire import table_of

CHUNK = 5000
#: SQLite page cache while seeding, in KiB (``PRAGMA cache_size`` takes it negated): random
#: UUID keys touch pages all over the indexes, and with the default 2 MB cache each page is
#: spilled to the WAL and rewritten many times within the one transaction.
_SQLITE_CACHE_KIB = 512 * 1024


def seed_demo(
    engine: Engine,
    *,
    seed: int = 7,
    customers: int = 50,
    conversations: int | None = None,
    messages: int | None = None,
    now: datetime | None = None,
    catalog_root: Path | None = None,
    parallel: bool | None = None,
) -> str:
    """Fill ``engine``'s database with the demo store; return a one-line summary.

    Same ``seed`` and ``now`` give identical rows, ids included (password hashes aside: argon2
    salts them). Seeding a database that already has the demo users does nothing. Raises
    ValueError if some demo user or team name is taken by other data. ``parallel`` prepares
    rows in a worker process (default: for large stores only).
    """
    from csdesk.server.auth.passwords import hash_password
    from csdesk.storage.migrate import upgrade

    anchor = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    plan = make_plan(seed, anchor, customers, conversations, messages)
    load_catalog(catalog_root)  # fail on bad data files before touching the database
    upgrade(engine)
    started = time.perf_counter()
    with Session(engine) as s:
        feed.ensure_counter(s)
        s.commit()
        if s.scalar(select(m.User.id).where(m.User.username == MARKER_USER)) is not None:
            return f"the demo store is already there (user {MARKER_USER!r} exists): nothing seeded"
        _refuse_clashes(s)
        password_hash = hash_password(DEMO_PASSWORD)
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            s.execute(text(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}"))
        counts: Counter[tuple[Entity, str]] = Counter()
        changes = 0
        if parallel is None:
            parallel = estimated_rows(plan) > PARALLEL_ROWS
        collecting = gc.isenabled()
        # Millions of short-lived dicts without cycles: the cyclic collector would walk them
        # over and over for nothing (a third of the generation time); refcounting frees them.
        gc.disable()
        try:
            for block in prepared_blocks(
                plan, catalog_root, password_hash, sqlite=sqlite, parallel=parallel
            ):
                _write(s, sqlite, block)
                counts.update(block.counts)
                changes += len(block.items)
            changes += _seed_scripts(s, anchor)
            changes += _seed_figures(s, anchor)
            changes += _seed_training(s, anchor, seed)
            changes += _seed_qa(s, anchor)
            changes += _seed_floor(s, anchor)
            changes += _seed_routing(s, anchor)
            changes += _seed_sla(s, anchor)
            changes += _seed_kb(s, anchor)  # knowledge base (issue 14)
            changes += _seed_macros(s, anchor)  # macros and shared canned responses
            changes += _seed_mentions(s, anchor)  # mentions of the demo agent (docs/mentions.md)
            # Scheduled send and reminders (docs/scheduled-send.md): one of each for "demo".
            from csdesk.server.demo import scheduled as demo_scheduled

            changes += demo_scheduled.seed(s, anchor)
            # --- side conversations (docs/side-conversations.md): one with a supplier's reply ---
            from csdesk.server.demo import side as demo_side

            changes += demo_side.seed(s, anchor)
            s.commit()
        finally:
            if collecting:
                gc.enable()
            if sqlite:
                s.rollback()
                s.execute(text("PRAGMA cache_size=-2000"))  # SQLite's default again
                s.commit()
    return _summary(plan, counts, changes, time.perf_counter() - started)


def _seed_figures(s: Session, at: datetime) -> int:
    """Every demo customer's figures (``server.crm.stats``), as the server keeps them."""
    from csdesk.server.config import shop_currency_from_env
    from csdesk.server.crm.stats import refresh_all

    rows = refresh_all(s, shop_currency_from_env(), at=at)
    feed.append(s, [feed.item_for(row) for row in rows])
    return len(rows)


def _seed_qa(s: Session, at: datetime) -> int:
    """The default review rubric and a few reviews by the demo supervisor (docs/qa.md)."""
    from csdesk.server.demo import qa

    return qa.seed(s, at)


def _seed_floor(s: Session, at: datetime) -> int:
    """The demo staff's statuses now and their recent history (``demo.floor``)."""
    from csdesk.server.demo.floor import seed_floor

    return seed_floor(s, at)


def _seed_routing(s: Session, at: datetime) -> int:
    """A few routing rules and the demo staff's languages (``demo.routing``)."""
    from csdesk.server.demo.routing import seed_routing

    return seed_routing(s, at)


def _seed_sla(s: Session, at: datetime) -> int:
    """The SLA policy, the demo teams' business hours and the escalation team (docs/sla.md)."""
    from csdesk.server.demo import sla

    return sla.seed(s, at)


def _seed_macros(s: Session, at: datetime) -> int:
    """Macros and shared and personal canned responses (docs/macros.md, ``demo.macros``)."""
    from csdesk.server.demo.macros import seed_macros

    return seed_macros(s, at)


def _seed_mentions(s: Session, at: datetime) -> int:
    """Mentions of the demo agent in existing notes (docs/mentions.md, ``demo.mentions``)."""
    from csdesk.server.demo.mentions import seed_mentions

    return seed_mentions(s, at)


def _seed_scripts(s: Session, at: datetime) -> int:
    """The shipped call scripts, in both realms (trainees practise calls too)."""
    from csdesk.server import scripts

    realms = [Realm.PRODUCTION.value, Realm.TRAINING.value]
    rows = scripts.store_all(s, scripts.builtin(), realms, at)
    feed.append(s, [feed.item_for(row) for row in rows])
    return len(rows)


def _seed_training(s: Session, at: datetime, seed: int) -> int:
    """The training review: scenarios, the demo trainee's sessions, a comment, an assignment."""
    from csdesk.server.demo.training_review import seed_training

    return seed_training(s, at, seed)


def _refuse_clashes(s: Session) -> None:
    users = s.scalars(
        select(m.User.username).where(m.User.username.in_([u.username for u in DEMO_USERS]))
    ).all()
    teams = s.scalars(select(m.Team.name).where(m.Team.name.in_(TEAM_NAMES))).all()
    if users or teams:
        taken = ", ".join([*(f"user {u!r}" for u in users), *(f"team {t!r}" for t in teams)])
        raise ValueError(f"cannot seed the demo store here: {taken} already exist(s)")


def _write(s: Session, sqlite: bool, block: Prepared) -> None:
    """Insert one block's rows parents-first, in chunks, then its feed entries.

    SQLite takes the compiled Core INSERT through ``exec_driver_sql`` with values already in
    stored form (see ``pipeline``): SQLAlchemy's per-value type processing was a third of
    the insert time at a million messages. Other backends take Core ``insert()``.
    """
    conn = s.connection()
    for entity, rows in block.rows:
        sql = sqlite_insert(entity)[0] if sqlite else None
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            if sql is not None:
                conn.exec_driver_sql(sql, chunk)
            else:
                conn.execute(table_of(entity).insert(), chunk)
    feed.append(s, block.items)


def _summary(plan: Plan, counts: Counter[tuple[Entity, str]], changes: int, seconds: float) -> str:
    prod, train = Realm.PRODUCTION.value, Realm.TRAINING.value

    def n(entity: Entity, realm: str = prod) -> int:
        return counts[(entity, realm)]

    return (
        f"{n(Entity.CUSTOMER)} customers ({n(Entity.IDENTITY)} identities), "
        f"{n(Entity.ORDER)} orders ({n(Entity.ORDER_LINE)} lines, {n(Entity.SHIPMENT)} "
        f"shipments, {n(Entity.RETURN)} returns), {n(Entity.CONVERSATION)} conversations, "
        f"{n(Entity.MESSAGE)} messages, {n(Entity.USER)} users, {n(Entity.TEAM)} teams, "
        f"{n(Entity.CANNED_RESPONSE)} canned responses; training realm: "
        f"{n(Entity.CUSTOMER, train)} customers, {n(Entity.CONVERSATION, train)} conversations, "
        f"{n(Entity.MESSAGE, train)} messages; {changes} feed changes; seed {plan.seed}, "
        f"{seconds:.1f} s; sign in as 'demo' / '{DEMO_PASSWORD}'"
    )


def _seed_kb(s: Session, at: datetime) -> int:
    """The knowledge base's articles in several languages (docs/knowledge-base.md)."""
    from csdesk.server.demo import kb

    return kb.seed(s, at)
