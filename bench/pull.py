"""Pull throughput: caught up (nothing new) and a page of 500 at a random cursor.

Two servers run on copies of one seeded store: this tree's and, as the same-run baseline, the
server from ``--baseline-src`` (e.g. /work/main/src, the code before a change). Each
repetition runs, interleaved, ``GET /healthz``, a caught-up pull (``after=<head>``, no wait)
and pulls of 500 changes after a random cursor, on each server, ``--seconds`` each with
``--concurrency`` keep-alive raw-socket clients. Besides requests per second the table shows
the server's CPU per request (from /proc). Goals (issue 10): caught up >= 40 % of /healthz's
rate on the same server; a page of 500 >= 4x the baseline server's rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from _common import (
    NOW,
    Backend,
    backends,
    fresh_database,
    login,
    machine,
    median,
    parser,
    seed,
    table,
)
from _load import HERE_SRC, Server, cpu_seconds, load_average, rate, request_bytes, serve

PAGE = 500


def analyze(backend: Backend, url: str) -> None:
    """Planner statistics, as autovacuum would gather within a minute or so of the seeding.

    Without them PostgreSQL guesses a seq range holds a few rows and reads all of it to sort
    (2-5 ms a page instead of 0.2 ms), and when autovacuum gets to it is luck: the copy made
    with TEMPLATE starts with no change counts, so it may never be analysed in the run. Taken
    before the copy, which keeps them, so both servers read with the same statistics.
    """
    if backend.admin_url is None:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")


@contextlib.contextmanager
def copy_of(backend: Backend, url: str) -> Iterator[str]:
    """A second database with the same contents as ``url``."""
    if backend.admin_url is None:
        path = Path(url.removeprefix("sqlite+pysqlite:///"))
        twin = path.with_name(f"twin-{uuid.uuid4().hex[:6]}.db")
        shutil.copyfile(path, twin)
        yield f"sqlite+pysqlite:///{twin}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(backend.admin_url).set(drivername="postgresql")
    source = make_url(url).database
    name = f"csdesk_bench_{uuid.uuid4().hex[:10]}"
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def seeded_by(src: Path, backend: Backend, customers: int) -> Iterator[str]:
    """The demo store seeded by the code in ``src`` (same seed and clock as ``seed``), for a
    baseline tree whose migrations stop before this tree's: it cannot open a copy of a store
    this tree migrated."""
    with fresh_database(backend) as url:
        code = (
            "import sys; from datetime import datetime; "
            "from csdesk.server.demo import seed_demo; from csdesk.storage.db import make_engine; "
            "e = make_engine(sys.argv[1]); "
            "print(seed_demo(e, seed=7, customers=int(sys.argv[2]), "
            "now=datetime.fromisoformat(sys.argv[3]))); e.dispose()"
        )
        subprocess.run(
            [sys.executable, "-c", code, url, str(customers), NOW.isoformat()],
            env={**os.environ, "PYTHONPATH": str(src)},
            check=True,
        )
        analyze(backend, url)
        yield url


def measure(
    server: Server, paths: list[bytes], seconds: float, concurrency: int
) -> tuple[float, float, float]:
    """(requests/s, server CPU ms per request, client CPU ms per request)."""
    cpu0 = cpu_seconds(server.pid)
    done, bad, mine = asyncio.run(rate(server.port, paths, seconds, concurrency))
    cpu = cpu_seconds(server.pid) - cpu0
    if bad:
        raise RuntimeError(f"{bad} of {done} requests to {server.label} failed")
    return done / seconds, 1000 * cpu / max(done, 1), 1000 * mine / max(done, 1)


def kinds(server: Server, rng: random.Random) -> dict[str, list[bytes]]:
    token = login(server.url, "demo")
    import requests

    head = int(
        requests.get(
            f"{server.url}/api/v1/changes",
            params={"after": 0, "limit": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["head"]
    )
    cursors = [rng.randrange(0, max(1, head - PAGE)) for _ in range(2000)]
    return {
        "healthz": [request_bytes("/healthz")],
        "caught up": [request_bytes(f"/api/v1/changes?after={head}", token)],
        f"page of {PAGE}": [
            request_bytes(f"/api/v1/changes?after={c}&limit={PAGE}", token) for c in cursors
        ],
    }


def _knows_head(src: Path) -> bool:
    """Whether the tree in ``src`` has this tree's newest migration (so can open a copy)."""
    versions = Path("csdesk", "storage", "migrations", "versions")
    return {p.name for p in (HERE_SRC / versions).glob("*.py")} <= {
        p.name for p in (src / versions).glob("*.py")
    }


def run(backend: Backend, args: object) -> list[list[object]]:
    reps: int = getattr(args, "reps")  # noqa: B009
    seconds: float = getattr(args, "seconds")  # noqa: B009
    concurrency: int = getattr(args, "concurrency")  # noqa: B009
    baseline_src = getattr(args, "baseline_src")  # noqa: B009
    rng = random.Random(7)
    with fresh_database(backend) as url:
        print(seed(url, getattr(args, "customers")))  # noqa: B009
        analyze(backend, url)
        with contextlib.ExitStack() as stack:
            # The copy first: PostgreSQL copies only a database nobody is connected to.
            twin = None
            if baseline_src and _knows_head(Path(baseline_src)):
                twin = stack.enter_context(copy_of(backend, url))
            elif baseline_src:
                twin = stack.enter_context(
                    seeded_by(Path(baseline_src), backend, getattr(args, "customers"))  # noqa: B009
                )
            env = {"CSDESK_PULL_ROW_CACHE_BYTES": "0"} if getattr(args, "no_row_cache") else None  # noqa: B009
            servers = [stack.enter_context(serve(url, HERE_SRC, "this", env))]
            if twin is not None:
                servers.append(stack.enter_context(serve(twin, Path(baseline_src), "baseline")))
            work = {s.label: kinds(s, rng) for s in servers}
            for s in servers:  # warm up: imports, caches, connection pools
                for paths in work[s.label].values():
                    measure(s, paths, 0.5, concurrency)
            got: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
            for _ in range(reps):
                for kind in work["this"]:
                    for s in servers:
                        got.setdefault((s.label, kind), []).append(
                            measure(s, work[s.label][kind], seconds, concurrency)
                        )

    def rps(label: str, kind: str) -> float:
        return median([r for r, _c, _m in got.get((label, kind), [])])

    def cpu(label: str, kind: str) -> float:
        return median([c for _r, c, _m in got.get((label, kind), [])])

    def client(label: str, kind: str) -> float:
        return median([m for _r, _c, m in got.get((label, kind), [])])

    rows: list[list[object]] = []
    page = f"page of {PAGE}"
    for kind in work["this"]:
        measured = rps("this", kind)
        if kind == "caught up":
            base, goal_ratio, base_name = rps("this", "healthz"), 0.4, "/healthz (this server)"
        elif kind == page and baseline_src:
            base, goal_ratio, base_name = rps("baseline", kind), 4.0, "baseline server"
        else:
            base, goal_ratio, base_name = float("nan"), float("nan"), "-"
        ratio = measured / base if base == base else float("nan")
        rows.append(
            [
                backend.name,
                kind,
                measured,
                cpu("this", kind),
                client("this", kind),
                rps("baseline", kind) if baseline_src else float("nan"),
                cpu("baseline", kind) if baseline_src else float("nan"),
                base_name,
                ratio,
                f">= {goal_ratio:g}x" if goal_ratio == goal_ratio else "-",
                ("yes" if ratio >= goal_ratio else "NO") if goal_ratio == goal_ratio else "-",
            ]
        )
    return rows


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--baseline-src", default=None, help="source tree of the baseline server")
    p.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    p.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    p.add_argument("--concurrency", type=int, default=8, help="keep-alive clients")
    p.add_argument(
        "--no-row-cache",
        action="store_true",
        help="this server without its cache of encoded feed rows (every page read in full)",
    )
    p.add_argument("--customers", type=int, default=200, help="size of the seeded demo store")
    args = p.parse_args()
    before = load_average()
    rows = [row for b in backends(args) for row in run(b, args)]
    cache = "row cache off" if args.no_row_cache else "row cache on"
    print(f"pull ({machine()}; {cache}; {before} before, {load_average()} after)")
    print(
        table(
            [
                "backend",
                "request",
                "req/s",
                "server CPU ms/req",
                "bench client CPU ms/req",
                "baseline src req/s",
                "baseline CPU ms/req",
                "ratio to",
                "ratio",
                "goal",
                "met",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
