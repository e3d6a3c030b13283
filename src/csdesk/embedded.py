"""The embedded default: a local sync server on SQLite with the demo store, nothing to set up.

It runs as a child process, not a thread: the server's work then never competes with the
workstation's GUI thread for the interpreter lock, and a crash of one does not take the other.
But the server must not outlive the desk (one from a killed desk was still serving an hour
later), so its life is tied to the desk's three ways: it exits when its stdin, a pipe only the
desk holds, reaches end-of-file (every platform; ``csdesk.server.lifeline``); on Linux the
kernel sends it SIGTERM when the desk dies (``PR_SET_PDEATHSIG``); on Windows it is in a job
object that is killed when the desk's handle to it closes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
#: Who can sign in to the demo store (user name, role); kept equal to the server's demo team
#: by tests/unit/test_embedded_users.py (the client does not import the server).
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("demo", "agent"),
    ("alex", "agent"),
    ("priya", "agent"),
    ("mateo", "agent"),
    ("sam", "supervisor"),
    ("admin", "admin"),
    ("trainee", "trainee"),
)


class EmbeddedError(RuntimeError):
    pass


def data_dir() -> Path:
    path = Path(os.environ.get("CSDESK_DATA_DIR") or platformdirs.user_data_dir("csdesk", "csdesk"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedServer:
    url: str
    db_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    #: Windows: the job object that kills the server when the desk's handle closes.
    job: object | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # the lifeline, once the server is gone


#: The switch that makes ``csdesk`` run the server CLI (see csdesk.__main__); not in --help.
SERVER_CLI_SWITCH = "--server-cli"


def server_command(*args: str, frozen: bool | None = None) -> list[str]:
    """The command that runs ``csdesk-server ARGS…`` as a child of this process.

    In a PyInstaller build ``sys.executable`` is the csdesk app itself, which has no ``-m``:
    the app then re-runs itself with the hidden switch. ``frozen`` defaults to ``sys.frozen``
    (set by the bootloader); tests pass it to check the frozen command without a build."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if frozen:
        return [sys.executable, SERVER_CLI_SWITCH, *args]
    return [sys.executable, "-m", "csdesk.server.cli", *args]


def _cli(*args: str) -> list[str]:
    return server_command(*args)


PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """Linux: a ``preexec_fn`` that makes the kernel send the child SIGTERM when we die.

    The kernel ties the signal to the *thread* that forks, not the process: call
    ``Popen`` from a thread that lives as long as the desk (the main thread, or a pool worker
    that is never retired, as in ``ui.tasks``). libc is looked up here, before the fork, so
    the child only makes one foreign call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the desk died between fork and prctl
            os._exit(1)

    return preexec


def kill_with_desk(proc: subprocess.Popen[bytes]) -> object | None:
    """Windows: put ``proc`` in a job object that is killed when its last handle (ours,
    closed by the system when the desk ends however it ends) goes. Elsewhere: ``None``."""
    if sys.platform == "win32":
        from ctypes import wintypes

        class BasicLimits(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class IoCounters(ctypes.Structure):
            _fields_ = [(name, ctypes.c_uint64) for name in ("r", "w", "o", "rb", "wb", "ob")]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [
                ("BasicLimitInformation", BasicLimits),
                ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        job_object_limit_kill_on_job_close = 0x2000
        job_object_extended_limit_information = 9
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            return None
        info = ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = job_object_limit_kill_on_job_close
        kernel32.SetInformationJobObject(
            wintypes.HANDLE(job),
            job_object_extended_limit_information,
            ctypes.byref(info),
            ctypes.sizeof(info),
        )
        handle = int(proc._handle)  # type: ignore[attr-defined]
        if not kernel32.AssignProcessToJobObject(wintypes.HANDLE(job), wintypes.HANDLE(handle)):
            kernel32.CloseHandle(wintypes.HANDLE(job))
            return None
        return job
    return None


def spawn(
    directory: Path | None = None,
    *,
    port: int | None = None,
    simulate_every: float = 8.0,
) -> EmbeddedServer:
    """Start the server child and return at once, without waiting for it to answer.

    One child does everything: it seeds the demo store when the database has no users
    (``--seed-demo-if-empty``) and serves. Called first thing at start-up (csdesk.__main__),
    its imports overlap the window's. A customer simulator writes a new inbound message every
    ``simulate_every`` seconds or so, so the demo inbox is alive."""
    directory = directory or data_dir()
    db_url = f"sqlite+pysqlite:///{directory / 'embedded-server.db'}"
    log_path = directory / "embedded-server.log"
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            _cli(
                "serve",
                "--db",
                db_url,
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--simulate-customers",
                str(simulate_every),
                "--seed-demo-if-empty",
                "--exit-with-stdin",
            ),
            stdin=subprocess.PIPE,  # the lifeline: never written, closed when the desk ends
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )
    return EmbeddedServer(url, db_url, proc, log_path, kill_with_desk(proc))


def wait_ready(server: EmbeddedServer, timeout: float = 60.0) -> EmbeddedServer:
    """Wait until ``server`` answers its health check; :class:`EmbeddedError` if it stops or
    does not answer within ``timeout`` seconds (then it is killed)."""
    from csdesk.sync.api import SyncApi, SyncError

    deadline = time.monotonic() + timeout
    api = SyncApi(server.url, timeout=1)
    try:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise EmbeddedError(f"the local server stopped at start-up; see {server.log_path}")
            try:
                if api.health().get("status") == "ok":
                    return server
            except SyncError:
                time.sleep(0.05)
    finally:
        api.close()
    server.proc.kill()
    raise EmbeddedError(
        f"the local server did not answer within {timeout:.0f} s; see {server.log_path}"
    )


def start(
    directory: Path | None = None,
    *,
    port: int | None = None,
    timeout: float = 60.0,
    simulate_every: float = 8.0,
) -> EmbeddedServer:
    """Start the server (seeding the demo store on first use) and wait until it answers."""
    server = spawn(directory, port=port, simulate_every=simulate_every)
    return wait_ready(server, timeout)
