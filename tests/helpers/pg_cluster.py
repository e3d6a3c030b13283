"""A throwaway PostgreSQL cluster on a free loopback port, to stop and start under a server.

As PLATFORM-NOTES says: ``initdb`` as user postgres, then ``pg_ctl`` with the socket in the
cluster's own directory; about 1.5 s to start.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.requirements import require
from tests.helpers.server import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    return found[-1] or None


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl
        cmd = [pg_ctl, "-D", str(self.directory), "-w", *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", opts, "-l", str(self.directory / "server.log"), "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster (trust auth, user postgres); stopped and removed afterwards.

    Its directory is straight under the system temp dir: user postgres cannot enter pytest's
    (root-only) temp folders."""
    initdb = _bin("initdb")
    require(initdb is not None and _bin("pg_ctl") is not None, "PostgreSQL server binaries")
    assert initdb
    directory = Path(tempfile.mkdtemp(prefix="csdesk-pg-"))
    cmd = [initdb, "-D", str(directory), "--auth=trust", "-U", "postgres"]
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        directory.chmod(0o700)
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cluster = Cluster(directory, free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
