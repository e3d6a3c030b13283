"""A real sync server in a subprocess on a free loopback port, and databases for it."""

from __future__ import annotations

import functools
import multiprocessing
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from csdesk.domain.enums import Role

POSTGRES_ENV = "CSDESK_TEST_POSTGRES_URL"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _migrate(url: str) -> None:
    from csdesk.storage.db import make_engine
    from csdesk.storage.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite database at the migrations' head, made once per test process."""
    import atexit
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="csdesk-template-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "head.db"
    _migrate(f"sqlite+pysqlite:///{path}")
    return path


def sqlite_database(path: Path, *, migrated: bool = True) -> str:
    """The URL of a SQLite database at ``path``: a copy of one at the migrations' head (each
    test's migrations cost ~0.3 s of CPU; a copy, milliseconds), or with ``migrated=False``
    a new, empty one."""
    if migrated:
        import shutil

        shutil.copyfile(_sqlite_template(), path)
    return f"sqlite+pysqlite:///{path}"


def _admin_dsn() -> str:
    from sqlalchemy.engine import make_url

    admin = postgres_admin_url()
    assert admin, f"{POSTGRES_ENV} is not set"
    return make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def _postgres_template() -> str:
    """The name of a PostgreSQL database at the migrations' head, made once per test process
    (and dropped when it ends) for ``CREATE DATABASE … TEMPLATE``."""
    import atexit

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"csdesk_tpl_{uuid.uuid4().hex[:12]}"
    dsn = _admin_dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = postgres_admin_url()
    assert admin
    _migrate(make_url(admin).set(database=name).render_as_string(hide_password=False))

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return name


@contextmanager
def postgres_database(*, migrated: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database, empty or (``migrated``) a copy of one at the migrations'
    head; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = postgres_admin_url()
    assert admin, f"{POSTGRES_ENV} is not set"
    url = make_url(admin)
    name = f"csdesk_t_{uuid.uuid4().hex[:12]}"
    dsn = _admin_dsn()
    template = f' TEMPLATE "{_postgres_template()}"' if migrated else ""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class TestUser:
    __test__ = False  # not a test class, despite the name

    username: str
    password: str
    role: Role
    id: str = ""


@functools.cache
def _hashed(password: str) -> str:
    """argon2 is deliberately slow; the same test password needs hashing only once a run."""
    from csdesk.server.auth.passwords import hash_password

    return hash_password(password)


def add_users(db_url: str, users: list[TestUser]) -> None:
    """Create users straight in the database (faster than one CLI process per user)."""
    from csdesk.server.config import ServerConfig
    from csdesk.server.feed.log import ensure_counter
    from csdesk.server.state import ServerState
    from csdesk.storage import models as m
    from csdesk.storage.migrate import upgrade

    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    engine = state.engine
    try:
        upgrade(engine)
        with state.writes() as s:
            ensure_counter(s)
            for u in users:
                user = m.User(
                    id=str(uuid.uuid4()),
                    username=u.username,
                    display_name=u.username,
                    role=u.role.value,
                    password_hash=_hashed(u.password),
                )
                s.add(user)
                u.id = user.id
            s.commit()
    finally:
        engine.dispose()


#: Modules the fork server imports once, so each test server starts in a fraction of the
#: ~1 s a fresh interpreter needs to import FastAPI, SQLAlchemy and csdesk.
_PRELOAD = ["csdesk.server.cli", "csdesk.server.app", "csdesk.server.demo", "uvicorn"]
_CONTEXT: multiprocessing.context.ForkServerContext | None = None


def _context() -> multiprocessing.context.ForkServerContext:
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _CONTEXT = ctx
    return _CONTEXT


def _serve_child(argv: list[str], log_path: str | None, env: dict[str, str]) -> None:
    """Runs in the forked child: the same as ``python -m …`` / ``python -c …`` would, with
    the environment the test has now (the fork server's own is from when it started)."""
    os.environ.clear()
    os.environ.update(env)
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    if argv[1] == "-m":
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    elif argv[1] == "-c":
        sys.argv = ["-c", *argv[3:]]
        exec(compile(argv[2], "<server>", "exec"), {"__name__": "__main__"})
    else:
        raise ValueError(f"cannot start {argv!r}")


class _Child:
    """A forked server process with the parts of ``subprocess.Popen`` the tests use."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._p = process

    @property
    def pid(self) -> int | None:
        return self._p.pid

    @property
    def returncode(self) -> int | None:
        return self._p.exitcode

    def poll(self) -> int | None:
        return self._p.exitcode

    def send_signal(self, sig: int) -> None:
        if self._p.pid is not None and self._p.exitcode is None:
            os.kill(self._p.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        self._p.join(timeout)
        if self._p.exitcode is None:
            raise subprocess.TimeoutExpired("csdesk-server", timeout or 0)
        return self._p.exitcode


def _spawn(argv: list[str], log: object) -> _Child:
    log_path = getattr(log, "name", None)
    if hasattr(log, "close"):
        log.close()  # the child opens the file itself
    process = _context().Process(
        # No language-model warm-up (3 s of CPU per server start) unless a test asks for it.
        target=_serve_child,
        args=(argv, log_path, {"CSDESK_LANGUAGE_WARMUP": "0", **os.environ}),
        daemon=False,
    )
    process.start()
    return _Child(process)


@dataclass
class ServerProcess:
    """``csdesk-server serve`` as a child process, killable and restartable."""

    db_url: str
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: _Child | None = None
    #: More ``serve`` options, e.g. ``["--simulate-customers", "0.3"]``.
    extra_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = _spawn(self.command(), log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}; log {self.log_path}"
                )
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or listening but slow to answer on a loaded machine.
                time.sleep(0.05)
        raise TimeoutError(f"server on port {self.port} did not answer in {timeout}s")

    def command(self) -> list[str]:
        """The server's command line; a subclass may start it another way."""
        return [
            sys.executable,
            "-m",
            "csdesk.server.cli",
            "serve",
            "--db",
            self.db_url,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *self.extra_args,
        ]

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def login(self, user: TestUser) -> str:
        r = requests.post(
            f"{self.url}/api/v1/auth/login",
            json={"username": user.username, "password": user.password},
            timeout=10,
        )
        r.raise_for_status()
        token: str = r.json()["token"]
        return token


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI ``app`` built in this process on a free loopback port, from a thread;
    yields its base URL. For tests that must reach inside the server (hooks, counters);
    everything else uses :class:`ServerProcess`."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
