"""Shared bench plumbing: databases, a live server, HTTP clients, tables.

The server is the tests' ``ServerProcess`` (``csdesk-server serve`` in a child process), so a
bench measures exactly what the test suite starts. Benches print tables and assert nothing:
their figures go into the README.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/x.py`` puts bench/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from tests.helpers.server import ServerProcess  # noqa: E402
from urllib3.connection import HTTPConnection  # noqa: E402

#: The demo store's password (see csdesk.server.demo.staff).
PASSWORD = "demo-password"
#: Seeds use a fixed clock so two runs measure the same store.
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def parser(description: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="also run on PostgreSQL: an admin URL such as "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test (a scratch database is created "
        "and dropped)",
    )
    return p


@dataclass(frozen=True)
class Backend:
    name: str
    admin_url: str | None  # None: SQLite in a temporary directory


def backends(args: argparse.Namespace) -> list[Backend]:
    out = [Backend("sqlite", None)]
    if args.postgres:
        out.append(Backend("postgresql", args.postgres))
    return out


@contextlib.contextmanager
def fresh_database(backend: Backend) -> Iterator[str]:
    """An empty database URL on ``backend``; removed afterwards."""
    if backend.admin_url is None:
        with tempfile.TemporaryDirectory(prefix="csdesk-bench-") as d:
            yield f"sqlite+pysqlite:///{Path(d) / 'bench.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(backend.admin_url)
    name = f"csdesk_bench_{uuid.uuid4().hex[:10]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(db_url: str, customers: int, **kw: Any) -> str:
    """The demo store (fixed seed and clock) in ``db_url``; returns the summary line."""
    from csdesk.server.demo import seed_demo
    from csdesk.storage.db import make_engine

    engine = make_engine(db_url)
    try:
        return seed_demo(engine, seed=7, customers=customers, now=NOW, **kw)
    finally:
        engine.dispose()


@contextlib.contextmanager
def live_server(db_url: str, log_dir: Path | None = None) -> Iterator[ServerProcess]:
    """The server on ``db_url``; its log is kept only if something went wrong."""
    server = ServerProcess(db_url)  # one log per server: several may share a database
    log = (log_dir or Path(tempfile.gettempdir())) / f"csdesk-bench-{os.getpid()}-{server.port}.log"
    server.log_path = log
    server.start()
    try:
        yield server
    except BaseException:
        print(f"server log: {log}", file=sys.stderr)
        raise
    finally:
        server.stop()
    log.unlink(missing_ok=True)


class _NoDelay(HTTPAdapter):
    """TCP_NODELAY on every connection: without it some request paths waited ~40 ms for
    delayed ACKs (platform notes)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["socket_options"] = [
            *HTTPConnection.default_socket_options,
            (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        ]
        super().init_poolmanager(*args, **kwargs)


def http_session(token: str | None = None) -> requests.Session:
    s = requests.Session()
    s.mount("http://", _NoDelay())
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    return s


def login(base: str, username: str, password: str = PASSWORD) -> str:
    r = http_session().post(
        f"{base}/api/v1/auth/login", json={"username": username, "password": password}, timeout=30
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` from /proc (Linux), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def raise_fd_limit(wanted: int) -> None:
    """Many sockets on both ends of loopback: lift the soft descriptor limit (children
    such as the server inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def pct(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (it goes into the README as is)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([line, rule, *body])


def machine() -> str:
    import platform

    return f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}"
