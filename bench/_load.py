"""Load plumbing for the sync benches: many raw-socket HTTP/1.1 clients and servers started
from any source tree.

The clients are bare asyncio streams with one keep-alive connection each (httpx at 500
concurrent requests is itself the bottleneck, platform notes). A server is ``csdesk-server
serve`` in a fresh interpreter whose ``PYTHONPATH`` is the source tree given, so a bench can
measure this tree and, in the same run, another one (``--baseline-src /work/main/src``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

HOST = "127.0.0.1"
#: This checkout's sources.
HERE_SRC = Path(__file__).resolve().parents[1] / "src"


def request_bytes(
    path: str, token: str | None = None, method: str = "GET", body: bytes = b""
) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
    return f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{auth}{extra}\r\n".encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[float, int, bytes]:
    """(time the response was complete, status, body) of one response with Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return time.perf_counter(), status, body


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_many(port: int, n: int) -> list[Conn]:
    gate = asyncio.Semaphore(100)  # do not overflow the listen backlog

    async def one() -> Conn:
        async with gate:
            return await asyncio.open_connection(HOST, port)

    return list(await asyncio.gather(*(one() for _ in range(n))))


def close_all(conns: list[Conn]) -> None:
    for _reader, writer in conns:
        writer.close()


async def rate(
    port: int, paths: list[bytes], seconds: float, concurrency: int
) -> tuple[int, int, float]:
    """Requests completed in ``seconds`` by ``concurrency`` keep-alive clients cycling through
    ``paths`` (raw request bytes); (completed, non-2xx, this process's CPU seconds)."""
    cpu0 = time.process_time()
    conns = await open_many(port, concurrency)
    done = 0
    bad = 0
    end = time.perf_counter() + seconds

    async def client(k: int, conn: Conn) -> None:
        nonlocal done, bad
        reader, writer = conn
        i = k
        while time.perf_counter() < end:
            writer.write(paths[i % len(paths)])
            i += concurrency
            _t, status, _body = await read_response(reader)
            done += 1
            bad += status >= 300

    await asyncio.gather(*(client(k, c) for k, c in enumerate(conns)))
    close_all(conns)
    return done, bad, time.process_time() - cpu0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    url: str
    port: int
    pid: int
    label: str


@contextlib.contextmanager
def serve(
    db_url: str, src: Path = HERE_SRC, label: str = "this", env: dict[str, str] | None = None
) -> Iterator[Server]:
    """``csdesk-server serve`` on ``db_url`` from the sources in ``src``."""
    from tests.helpers.server import free_port

    port = free_port()
    log = Path(tempfile.gettempdir()) / f"csdesk-bench-{label}-{os.getpid()}-{port}.log"
    child_env = {**os.environ, "PYTHONPATH": str(src), **(env or {})}
    with tempfile.TemporaryDirectory(prefix="csdesk-bench-data-") as data, open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "csdesk.server.cli",
                "serve",
                "--db",
                db_url,
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--data-dir",
                data,
            ],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server {label} exited; log {log}")
                try:
                    if requests.get(f"http://{HOST}:{port}/healthz", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"server {label} did not start; log {log}")
                time.sleep(0.1)
            yield Server(f"http://{HOST}:{port}", port, proc.pid, label)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    log.unlink(missing_ok=True)


def load_average() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())
