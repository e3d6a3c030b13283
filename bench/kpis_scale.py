"""KPI tables on PostgreSQL at scale, against a same-run baseline size.

    python bench/kpis_scale.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                               [--conversations 1000000] [--baseline 10000] [--reps 3]

For each size, a scratch database is migrated and filled with set-based SQL (``INSERT …
SELECT generate_series``, a few statements, not N ORM rows): 20 agents in 4 teams, one
customer per 4 conversations, conversations spread over 60 days on every channel with
first responses, resolutions and SLA due times, three messages each (customer, agent reply,
customer), an answered call with wrap-up for phone conversations, a survey answer for one in
five, a reopen for one in thirty. Then, interleaved, ``--reps`` times per size, what
``GET /api/v1/kpis`` runs in-process (the SQL; HTTP adds a constant): the 30-day table by
agent with its total, daily series and first-response distribution (one pass), one agent's
own table, and a drill-down page. The figure that matters is the ratio of the big
size to the baseline, not the milliseconds of this machine. The default run is small;
``--conversations 1000000`` is the issue's size (a few minutes to build).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import NOW, Backend, fresh_database, machine, parser, table

AGENTS = 20
TEAMS = 4
CHANNELS = ["email", "chat", "phone", "sms", "whatsapp", "messenger", "instagram", "telegram"]

_FILL = [
    """INSERT INTO teams (id, realm, created_at, updated_at, name)
    SELECT 'team-' || t, 'production', :now, :now, 'Team ' || t FROM generate_series(1, :teams) t
    """,
    """INSERT INTO users (id, realm, created_at, updated_at, username, display_name, role,
        team_id, active)
    SELECT 'agent-' || a, 'production', :now, :now, 'agent' || a, 'Agent ' || a, 'agent',
        'team-' || (1 + a % :teams), true FROM generate_series(1, :agents) a
    """,
    """INSERT INTO customers (id, realm, created_at, updated_at, name, language, timezone, tags,
        loyalty_tier, loyalty_points, notes)
    SELECT 'cust-' || c, 'production', :now, :now, 'Customer ' || c, 'en', 'UTC', '[]'::json,
        'none', 0, '' FROM generate_series(0, :n / 4) c
    """,
    # created: spread over 60 days; answered after (i % 240) minutes; 70 % resolved after
    # (i % 48) hours; SLA dues 2 h / 48 h; every 97th tagged spam, every 50th in training.
    """INSERT INTO conversations (id, realm, created_at, updated_at, customer_id, channel,
        subject, preview, status, priority, assignee_id, team_id, tags, language,
        last_message_at, message_count, first_response_at, first_response_due_at,
        resolution_due_at, resolved_at)
    SELECT 'conv-' || i,
        CASE WHEN i % 50 = 0 THEN 'training' ELSE 'production' END,
        created, created, 'cust-' || (i / 4), (ARRAY[:channels])[1 + i % 8], 'Subject', '',
        CASE WHEN i % 10 < 7 THEN 'resolved' WHEN i % 10 < 9 THEN 'open' ELSE 'pending' END,
        'normal',
        CASE WHEN i % 13 = 0 THEN NULL ELSE 'agent-' || (1 + i % :agents) END,
        'team-' || (1 + (i % :agents) % :teams),
        CAST(CASE WHEN i % 97 = 0 THEN '["spam"]' ELSE '[]' END AS json), 'en', created, 3,
        CASE WHEN i % 11 = 0 THEN NULL ELSE created + make_interval(mins => i % 240) END,
        created + interval '2 hours', created + interval '48 hours',
        CASE WHEN i % 10 < 7 THEN created + make_interval(hours => 1 + i % 48) END
    FROM (SELECT i, CAST(:now AS timestamptz) - make_interval(secs => (i * 5184000.0) / :n)
          AS created FROM generate_series(0, :n - 1) i) g
    """,
    """INSERT INTO messages (id, realm, created_at, updated_at, conversation_id, channel,
        direction, is_note, author_user_id, author_name, subject, body_text, attachments,
        delivery_status, is_auto)
    SELECT 'msg-' || c.id || '-' || k, c.realm,
        c.created_at + make_interval(mins => k * (1 + length(c.id) % 30)),
        c.created_at, c.id, c.channel,
        CASE WHEN k = 1 THEN 'out' ELSE 'in' END, false,
        CASE WHEN k = 1 THEN c.assignee_id END, '', '', 'text', '[]'::json,
        CASE WHEN k = 1 THEN 'sent' ELSE 'received' END, false
    FROM conversations c CROSS JOIN generate_series(0, 2) k
    """,
    """INSERT INTO calls (id, realm, created_at, updated_at, call_sid, message_id,
        conversation_id, direction, from_number, to_number, provider_status, outcome,
        started_at, answered_at, ended_at, wrapped_up_at, agent_id, script_trail, wrapup_notes)
    SELECT 'call-' || c.id, c.realm, c.created_at, c.created_at, 'CA' || c.id,
        'msg-' || c.id || '-0', c.id, 'in', '', '', 'completed', 'answered', c.created_at,
        c.created_at + interval '20 seconds', c.created_at + interval '6 minutes',
        c.created_at + interval '8 minutes', c.assignee_id, '[]'::json, ''
    FROM conversations c WHERE c.channel = 'phone'
    """,
    """INSERT INTO survey_answers (id, realm, created_at, updated_at, conversation_id,
        customer_id, csat, nps, ces, comment, answered_at)
    SELECT 'survey-' || c.id, c.realm, c.resolved_at, c.resolved_at, c.id, c.customer_id,
        1 + length(c.id) % 5, length(c.id) % 11, 1 + length(c.id) % 7, '',
        c.resolved_at + interval '1 hour'
    FROM conversations c WHERE c.resolved_at IS NOT NULL AND right(c.id, 1) IN ('1', '6')
    """,
    """INSERT INTO conversation_reopens (conversation_id, realm, resolved_at, reopened_at,
        cause, assignee_id)
    SELECT c.id, c.realm, c.created_at + interval '30 minutes', c.created_at + interval '1 hour',
        'customer', c.assignee_id
    FROM conversations c WHERE right(c.id, 2) = '07' AND c.resolved_at IS NOT NULL
    """,
    "ANALYZE",
]


def build(db_url: str, n: int) -> float:
    """Migrate and fill ``db_url`` with ``n`` conversations; seconds it took."""
    from sqlalchemy import text

    from csdesk.storage.db import make_engine
    from csdesk.storage.migrate import upgrade

    engine = make_engine(db_url)
    started = time.perf_counter()
    try:
        upgrade(engine)
        params = {"now": NOW, "n": n, "agents": AGENTS, "teams": TEAMS}
        with engine.begin() as conn:
            for statement in _FILL[:-1]:
                sql = statement.replace(":channels", ", ".join(f"'{c}'" for c in CHANNELS))
                conn.execute(text(sql), params)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(_FILL[-1]))
    finally:
        engine.dispose()
    return time.perf_counter() - started


def measure(db_url: str) -> dict[str, float]:
    """Milliseconds of each piece of one ``GET /api/v1/kpis?period=30d&group=agent``."""
    from sqlalchemy.orm import Session

    from csdesk.server.kpis import drill, tables
    from csdesk.server.kpis.period import resolve
    from csdesk.server.kpis.samples import Ctx
    from csdesk.server.kpis.scope import Scope
    from csdesk.storage.db import make_engine

    engine = make_engine(db_url)
    now = NOW + timedelta(minutes=1)
    ctx = Ctx(resolve("30d", now=now), now, engine.dialect.name)
    admin = tables.Query(Scope("all", "bench"), "agent")
    agent = tables.Query(Scope("own", "agent-3"), "none")
    steps: list[tuple[str, Callable[[Session], Any]]] = [
        ("table by agent, total, series, histogram", lambda s: tables.report(s, ctx, admin)),
        ("one agent's own table", lambda s: tables.table(s, ctx, agent)),
        (
            "drill-down page (fcr)",
            lambda s: drill.conversations(
                s, ctx, admin, "fcr", key=None, day=None, page=1, page_size=50
            ),
        ),
    ]
    out: dict[str, float] = {}
    try:
        with Session(engine) as s:
            for name, step in steps:
                started = time.perf_counter()
                step(s)
                out[name] = (time.perf_counter() - started) * 1000
                s.rollback()
    finally:
        engine.dispose()
    return out


def main() -> None:
    p = parser(__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--baseline", type=int, default=10_000)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    if not args.postgres:
        p.error("this bench runs on PostgreSQL: pass --postgres URL")
    backend = Backend("postgresql", args.postgres)
    sizes = [args.baseline, args.conversations]
    print(machine())
    with fresh_database(backend) as small_url, fresh_database(backend) as big_url:
        urls = dict(zip(sizes, (small_url, big_url), strict=True))
        for n, url in urls.items():
            print(f"built {n:,} conversations in {build(url, n):.1f} s", flush=True)
        runs: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
        for _ in range(args.reps):
            for n, url in urls.items():
                runs[n].append(measure(url))
    steps = list(runs[sizes[0]][0])
    rows = []
    for step in steps:
        small = statistics.median(r[step] for r in runs[sizes[0]])
        big = statistics.median(r[step] for r in runs[sizes[1]])
        rows.append([step, f"{small:.0f}", f"{big:.0f}", f"{big / small:.1f}×"])
    total_small = sum(statistics.median(r[s] for r in runs[sizes[0]]) for s in steps)
    total_big = sum(statistics.median(r[s] for r in runs[sizes[1]]) for s in steps)
    rows.append(["whole request", f"{total_small:.0f}", f"{total_big:.0f}",
                 f"{total_big / total_small:.1f}×"])  # fmt: skip
    print(f"data ×{sizes[1] / sizes[0]:.0f}; medians of {args.reps} interleaved runs (ms)")
    print(table(["step", f"{sizes[0]:,} conv.", f"{sizes[1]:,} conv.", "ratio"], rows))


if __name__ == "__main__":
    main()
