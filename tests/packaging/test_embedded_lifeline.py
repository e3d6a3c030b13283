"""Issue 9 item 38: the embedded server dies with the desk that started it, however the desk
ends (a killed desk left its server serving for an hour).

Real processes: a desk (``csdesk`` with no --server, offscreen) or a small launcher is killed
with SIGKILL, and the server's pid is watched until it is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from csdesk import embedded
from tests.helpers.requirements import require


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for an init that does not reap counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def _until(cond: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


@pytest.fixture
def reaper() -> Iterator[list[int]]:
    """Pids to SIGKILL at the end, whatever the test saw (no stray servers from a failure)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CSDESK_DATA_DIR": str(tmp_path / "data"),
        "CSDESK_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def test_killed_desk_takes_its_embedded_server_with_it(tmp_path: Path, reaper: list[int]) -> None:
    require(Path("/proc/self/task").is_dir(), "Linux /proc to find the desk's children")
    desk = subprocess.Popen(
        [sys.executable, "-c", "import sys; from csdesk.ui.app import main; sys.exit(main())"],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reaper.append(desk.pid)
    servers: list[int] = []

    def server_started() -> bool:
        assert desk.poll() is None, "the desk ended by itself"
        servers[:] = [p for p in _children(desk.pid) if "serve" in _cmdline(p)]
        return bool(servers)

    _until(server_started, 90, "the desk starts its embedded server")
    server = servers[0]
    reaper.append(server)
    args = _cmdline(server)
    url = f"http://127.0.0.1:{args[args.index('--port') + 1]}"
    _until(lambda: _answers(url), 60, "the embedded server answers")

    os.kill(desk.pid, signal.SIGKILL)
    desk.wait(30)
    _until(lambda: not _alive(server), 30, "the orphaned server exits")
    assert not _answers(url)


def test_server_exits_when_its_lifeline_pipe_closes(tmp_path: Path) -> None:
    """The pipe alone (every platform): the desk is alive but lets go of the pipe."""
    server = embedded.start(tmp_path, simulate_every=3600)
    try:
        assert _answers(server.url)
        assert server.proc.stdin is not None
        server.proc.stdin.close()
        # uvicorn's graceful shutdown ends by re-raising the SIGTERM the lifeline sent itself.
        assert server.proc.wait(30) in (0, -signal.SIGTERM)
        assert not _answers(server.url)
        assert "the desk that started this server is gone" in server.log_path.read_text()
    finally:
        server.stop()


LAUNCHER = """
import subprocess, sys, time
from pathlib import Path
from csdesk import embedded
server = embedded.start(Path(sys.argv[1]), simulate_every=3600)
# Someone else keeps the pipe open, so only the parent-death signal can stop the server.
keeper = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(600)"], pass_fds=[server.proc.stdin.fileno()]
)
print(server.proc.pid, keeper.pid, server.url, flush=True)
time.sleep(600)
"""


def test_parent_death_signal_stops_the_server_on_linux(tmp_path: Path, reaper: list[int]) -> None:
    require(sys.platform.startswith("linux"), "PR_SET_PDEATHSIG is Linux's")
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(tmp_path)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    reaper.append(launcher.pid)
    assert launcher.stdout is not None
    line = launcher.stdout.readline().split()  # blocks until the server answered
    assert len(line) == 3, "the launcher could not start the server"
    server, keeper, url = int(line[0]), int(line[1]), line[2]
    reaper += [server, keeper]
    assert _answers(url)

    os.kill(launcher.pid, signal.SIGKILL)
    launcher.wait(30)
    _until(lambda: not _alive(server), 30, "the server exits on the parent-death signal")
    assert _alive(keeper)  # the pipe was still held: it was the signal
