"""A database outage answers 503 with Retry-After (not 500), /healthz says the database is
down (503), the log gets one line per kind of failure per interval (not a traceback per
request), and everything works again once the database is back."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import uvicorn
from fastapi import FastAPI

from csdesk.domain.enums import Role
from csdesk.server.app import create_app
from csdesk.server.config import ServerConfig
from tests.helpers.http import Raw
from tests.helpers.pg_cluster import Cluster, throwaway_cluster
from tests.helpers.server import ServerProcess, TestUser, add_users, free_port
from tests.server.channels.support import wait_until

ANN = TestUser("ann", "ann-password-1", Role.AGENT)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as c:
        yield c


def _log_lines(server: ServerProcess) -> list[str]:
    assert server.log_path is not None
    return server.log_path.read_text(errors="replace").splitlines()


def _assert_unavailable(r: requests.Response) -> None:
    assert r.status_code == 503, (r.status_code, r.text[:500])
    assert r.headers["Retry-After"].isdigit() and int(r.headers["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "database_unavailable"


def test_postgresql_outage_answers_503_logs_little_and_recovers(
    cluster: Cluster, tmp_path: Path
) -> None:
    add_users(cluster.url, [ANN])
    server = ServerProcess(cluster.url, log_path=tmp_path / "server.log").start()
    try:
        ann = Raw.signed_in(server, ANN)
        health = requests.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["database"] == {"status": "ok"}
        assert ann.get("/api/v1/changes").status_code == 200
        before = len(_log_lines(server))

        cluster.stop()
        for _ in range(10):
            _assert_unavailable(ann.get("/api/v1/changes"))
            _assert_unavailable(ann.post("/api/v1/push", json={"mutations": []}))
            _assert_unavailable(
                requests.post(
                    f"{server.url}/api/v1/auth/login",
                    json={"username": "ann", "password": "ann-password-1"},
                    timeout=10,
                )
            )
        down = requests.get(f"{server.url}/healthz", timeout=10)
        assert down.status_code == 503 and "Retry-After" in down.headers
        body = down.json()
        assert body["status"] == "unavailable"
        assert body["database"]["status"] == "unreachable" and body["database"]["error"]

        during = _log_lines(server)[before:]
        assert not [line for line in during if "Traceback" in line], "\n".join(during[:60])
        reports = [line for line in during if "database unavailable" in line]
        # 31 failed requests (and every background worker round): one line per failure class.
        assert 1 <= len(reports) <= 3, "\n".join(during)
        assert len(during) <= 15, "\n".join(during)

        cluster.start()
        wait_until(
            lambda: requests.get(f"{server.url}/healthz", timeout=10).ok or None,
            timeout=30,
            what="/healthz to be ok again",
        )
        assert ann.get("/api/v1/changes").status_code == 200  # the same session, no sign-in
        # Every reading thread's kept connection died with the database; each is replaced on
        # first use, the page's and the user's own rows' (that one answered 503 before).
        assert [ann.get("/api/v1/changes").status_code for _ in range(16)] == [200] * 16
        assert ann.post("/api/v1/push", json={"mutations": []}).status_code == 200
    finally:
        server.stop()
    assert "password" not in "\n".join(_log_lines(server)).lower()


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[tuple[str, FastAPI, Path]]:
    """A server on a SQLite file in ``db/``, run by uvicorn in a thread of this process (so
    the test can reach its connection pool); yields (base URL, app, the db directory)."""
    home = tmp_path / "db"
    home.mkdir()
    url = f"sqlite+pysqlite:///{home / 'server.db'}"
    add_users(url, [ANN])
    app = create_app(ServerConfig(db_url=url, data_dir=tmp_path / "data", listen_notify=False))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started or None, what="the in-process server")
    try:
        yield f"http://127.0.0.1:{port}", app, home
    finally:
        server.should_exit = True
        thread.join(30)


def test_sqlite_file_that_cannot_be_opened_answers_503(
    in_process: tuple[str, FastAPI, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A SQLite file the server can no longer open (its directory moved away; as root a chmod
    would not stop it).  In-process, because open connections keep working on a moved file:
    the test empties the pool, as a restart or a pool recycle would."""
    base, app, home = in_process
    login = {"username": "ann", "password": "ann-password-1"}
    token = requests.post(f"{base}/api/v1/auth/login", json=login, timeout=10).json()["token"]
    ann = Raw(base, token)
    assert requests.get(f"{base}/healthz", timeout=10).json()["database"] == {"status": "ok"}

    shutil.move(home, tmp_path / "elsewhere")
    app.state.csdesk.engine.dispose()
    caplog.clear()
    for _ in range(20):
        _assert_unavailable(ann.get("/api/v1/changes"))
    down = requests.get(f"{base}/healthz", timeout=10)
    assert down.status_code == 503 and "Retry-After" in down.headers
    assert down.json()["database"]["status"] == "unreachable"
    # The driver's words (here a path; on PostgreSQL host, port, user) are for the log only:
    # anyone may ask /healthz.
    said = down.json()["database"]["error"]
    assert said == "OperationalError (see the server log)", said
    reports = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(reports) == 1, [r.getMessage() for r in caplog.records]
    assert "unable to open database file" in reports[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]

    shutil.move(tmp_path / "elsewhere", home)
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    assert ann.get("/api/v1/changes").status_code == 200


def test_sqlite_outage_answers_503_for_a_token_checked_just_before(
    in_process: tuple[str, FastAPI, Path], tmp_path: Path
) -> None:
    """The token cache keeps a checked token a few seconds: a request with a token checked
    just before the file went away still reads the database for its page, and gets 503."""
    base, app, home = in_process
    login = {"username": "ann", "password": "ann-password-1"}
    token = requests.post(f"{base}/api/v1/auth/login", json=login, timeout=10).json()["token"]
    ann = Raw(base, token)
    assert ann.get("/api/v1/changes").status_code == 200  # the token is now kept in memory
    assert ann.get("/api/v1/auth/me").status_code == 200

    shutil.move(home, tmp_path / "elsewhere")
    app.state.csdesk.engine.dispose()
    for limit in range(2, 6):  # pages not read before: nothing to answer from memory
        _assert_unavailable(ann.get("/api/v1/changes", params={"limit": limit}))
    down = requests.get(f"{base}/healthz", timeout=10)
    assert down.status_code == 503

    shutil.move(tmp_path / "elsewhere", home)
    assert ann.get("/api/v1/changes", params={"limit": 7}).status_code == 200
