"""Wake-up latency: from a push to N long-polling clients holding the new change.

N clients (raw asyncio sockets, one keep-alive connection each: httpx at 500 concurrent
requests is itself the bottleneck) each hold ``GET /api/v1/changes?after=<head>&wait=25``.
Once they are parked, one agent pushes a ``message.send``; a client's latency is from just
before that push was sent to the moment its response is fully read. So the figure includes
the push's own round trip (printed separately) and the commit. The loopback HTTP round trip
(``GET /healthz``, p50) and the server's resident memory idle and with N clients waiting are
measured in the same run for scale.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from _common import (
    Backend,
    backends,
    fresh_database,
    http_session,
    live_server,
    login,
    machine,
    median,
    parser,
    pct,
    raise_fd_limit,
    rss_mb,
    seed,
    table,
)

HOST = "127.0.0.1"


async def _read_response(reader: asyncio.StreamReader) -> tuple[float, bytes]:
    """(time the response was complete, body) of one HTTP/1.1 response with Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return time.perf_counter(), body


def _request(path: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{auth}\r\n".encode()


async def healthz_rtt(port: int, count: int) -> float:
    """p50 of sequential keep-alive GET /healthz round trips, in ms."""
    reader, writer = await asyncio.open_connection(HOST, port)
    times = []
    req = _request("/healthz")
    for _ in range(count):
        t0 = time.perf_counter()
        writer.write(req)
        t1, _body = await _read_response(reader)
        times.append((t1 - t0) * 1000)
    writer.close()
    return median(times)


async def _open(port: int, n: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    gate = asyncio.Semaphore(100)  # do not overflow the listen backlog

    async def one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with gate:
            return await asyncio.open_connection(HOST, port)

    return list(await asyncio.gather(*(one() for _ in range(n))))


def _push(base: str, token: str, conversation_id: str) -> float:
    """One message.send; returns its round trip in ms."""
    s = http_session(token)
    body = {
        "mutations": [
            {
                "id": str(uuid.uuid4()),
                "type": "message.send",
                "args": {
                    "conversation_id": conversation_id,
                    "message_id": str(uuid.uuid4()),
                    "body_text": "Your parcel is out for delivery today.",
                },
            }
        ]
    }
    t0 = time.perf_counter()
    r = s.post(f"{base}/api/v1/push", json=body, timeout=30)
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


async def rounds(
    base: str, port: int, pid: int, clients: int, count: int, settle: float
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    token = await loop.run_in_executor(None, login, base, "demo")
    s = http_session(token)
    first = s.get(f"{base}/api/v1/changes", params={"after": 0, "limit": 5000}, timeout=30).json()
    conversation = next(c["id"] for c in first["changes"] if c["entity"] == "conversation")
    cursor = int(first["head"])
    rtt = await healthz_rtt(port, 1000)
    idle = rss_mb(pid)
    conns = await _open(port, clients)
    waiting_rss: list[float] = []
    latencies: list[float] = []
    pushes: list[float] = []
    for _ in range(count):
        # Catch up first: the server may still be writing after the last push (the outbound
        # dispatcher updates the message), and those are real changes a waiter would get.
        await asyncio.sleep(settle)
        cursor = int(
            s.get(
                f"{base}/api/v1/changes", params={"after": cursor, "limit": 1}, timeout=30
            ).json()["head"]
        )
        req = _request(f"/api/v1/changes?after={cursor}&limit=100&wait=25", token)
        for _reader, writer in conns:
            writer.write(req)
        tasks = [asyncio.ensure_future(_read_response(reader)) for reader, _w in conns]
        await asyncio.sleep(settle)  # every request reaches the server and parks
        early = [t for t in tasks if t.done()]
        if early:
            sample = early[0].result()
            raise RuntimeError(f"{len(early)} long-polls returned before the push: {sample!r:.300}")
        waiting_rss.append(rss_mb(pid))
        t0 = time.perf_counter()
        pushes.append(await loop.run_in_executor(None, _push, base, token, conversation))
        done = await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
        latencies += [(t - t0) * 1000 for t, _b in done]
        pages = [json.loads(b) for _t, b in done]
        if any(not p["changes"] for p in pages):
            raise RuntimeError("a client woke without the change")
        cursor = max(int(p["cursor"]) for p in pages)
    for _reader, writer in conns:
        writer.close()
    return {
        "rtt": rtt,
        "idle": idle,
        "waiting": max(waiting_rss),
        "lat": latencies,
        "push": median(pushes),
    }


def run(backend: Backend, clients: int, count: int, customers: int) -> list[object]:
    with fresh_database(backend) as url:
        seed(url, customers)
        with live_server(url) as server:
            assert server.proc is not None
            settle = 0.5 + clients / 400
            r = asyncio.run(
                rounds(server.url, server.port, server.proc.pid, clients, count, settle)
            )
    lat = r["lat"]
    return [
        backend.name,
        clients,
        count,
        median(lat),
        pct(lat, 99),
        max(lat),
        r["push"],
        r["rtt"],
        r["idle"],
        r["waiting"],
    ]


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--clients", type=int, default=500, help="long-polling clients")
    p.add_argument("--rounds", type=int, default=10, help="pushes, one per round")
    p.add_argument("--customers", type=int, default=20, help="size of the seeded demo store")
    args = p.parse_args()
    raise_fd_limit(2 * args.clients + 256)
    rows = [run(b, args.clients, args.rounds, args.customers) for b in backends(args)]
    print(f"wake-up ({machine()})")
    print(
        table(
            [
                "backend",
                "clients",
                "rounds",
                "wake p50 ms",
                "p99 ms",
                "max ms",
                "push RTT p50 ms",
                "healthz RTT p50 ms",
                "server RSS idle MB",
                f"RSS {args.clients} waiting MB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
