"""schemathesis fuzzes every operation of the OpenAPI document: bad input is never a 5xx.

On SQLite and PostgreSQL, with NUL and lone surrogates put into bodies, queries and paths by
``fuzz_bad_text_hooks`` (PostgreSQL refuses NUL in text; no database stores a surrogate).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from csdesk.domain.enums import Role
from tests.helpers.server import ServerProcess, TestUser, add_users

ROOT = Path(__file__).resolve().parents[2]


def test_no_operation_answers_5xx(db_url: str, tmp_path: Path) -> None:
    admin = TestUser("root", "root-password", Role.ADMIN)  # admin reaches every route
    add_users(db_url, [admin])
    server = ServerProcess(db_url, log_path=tmp_path / "s.log").start()
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is a dev dependency"
    try:
        token = server.login(admin)
        run = subprocess.run(
            [
                st,
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "not_a_server_error",
                "-H",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "40",
                "--phases",
                "examples,coverage,fuzzing",
                "--seed",
                "7",
                # logout would end the fuzzer's own session half-way through
                "--exclude-path",
                "/api/v1/auth/logout",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.server.fuzz_bad_text_hooks",
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
        )
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert "passed" in run.stdout and "generated" in run.stdout
    finally:
        server.stop()
    log = (tmp_path / "s.log").read_text()
    assert "Traceback" not in log and "unhandled error" not in log
