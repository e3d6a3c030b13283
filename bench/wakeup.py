"""Wake-up latency: from a push to N long-polling clients holding the new change.

N clients (raw asyncio sockets, one keep-alive connection each, ``bench/_load.py``) each hold
``GET /api/v1/changes?after=<head>&wait=25``. Once they are parked, one agent pushes a
``message.send``; a client's latency is from just before that push was sent to the moment its
response is fully read, so it includes the push's round trip and the commit. For each N
(``--clients 100,500,1000,2000``, one server, connections added as N grows) the rounds are
interleaved with pushes while nobody waits: the same-run baseline of "a push with N waiting
<= 2x a push with none". The server's resident memory idle and with N waiting gives the
memory per waiting desk.

``--two-servers`` (needs ``--postgres``): two server processes on one PostgreSQL, the clients
parked on the first; rounds alternate between a push to the first (single) and a push to the
second (cross-instance, woken through LISTEN/NOTIFY).

Goals (issue 10): p99 <= 1 s at 2,000 waiting; push with 2,000 waiting <= 2x push with none;
<= 100 MB extra at 2,000 waiting; two servers, 500 waiting: p99 <= 1 s, cross <= 2x single.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import threading
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from _common import (
    Backend,
    backends,
    fresh_database,
    http_session,
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
from _load import (
    Conn,
    Server,
    close_all,
    load_average,
    open_many,
    read_response,
    request_bytes,
    serve,
)


def _push(base: str, token: str, conversation_id: str) -> tuple[float, float]:
    """One message.send; returns (perf_counter when sent, round trip in ms)."""
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
    r = s.post(f"{base}/api/v1/push", json=body, timeout=60)
    r.raise_for_status()
    return t0, (time.perf_counter() - t0) * 1000


class Pusher:
    """Pushes from a process of its own: in the bench's process the push's thread would wait
    for the GIL while the event loop reads thousands of wake-ups, and its round trip would
    measure the bench. ``time.perf_counter`` is the system's monotonic clock on Linux, so the
    child's send time and the parent's receive times compare."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=self._serve, args=(child,), daemon=True)
        self._proc.start()
        self._lock = threading.Lock()

    @staticmethod
    def _serve(conn: Connection) -> None:
        while True:
            job = conn.recv()
            if job is None:
                return
            conn.send(_push(*job))

    def push(self, base: str, token: str, conversation_id: str) -> tuple[float, float]:
        with self._lock:
            self._conn.send((base, token, conversation_id))
            result: tuple[float, float] = self._conn.recv()
            return result

    def close(self) -> None:
        self._conn.send(None)
        self._proc.join(10)


PUSHER: Pusher | None = None


def push(base: str, token: str, conversation_id: str) -> tuple[float, float]:
    assert PUSHER is not None
    return PUSHER.push(base, token, conversation_id)


async def healthz_rtt(port: int, count: int) -> float:
    """p50 of sequential keep-alive GET /healthz round trips, in ms."""
    ((reader, writer),) = await open_many(port, 1)
    times = []
    req = request_bytes("/healthz")
    for _ in range(count):
        t0 = time.perf_counter()
        writer.write(req)
        t1, _status, _body = await read_response(reader)
        times.append((t1 - t0) * 1000)
    writer.close()
    return median(times)


@dataclass
class Stage:
    """Figures of one kind of round."""

    lat: list[float] = field(default_factory=list)
    push: list[float] = field(default_factory=list)
    idle_push: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    #: Share of the wake-ups read before the push's own answer (in %).
    before_push: list[float] = field(default_factory=list)


class Desk:
    """The signed-in agent who pushes and keeps the cursor."""

    def __init__(self, base: str) -> None:
        self.token = login(base, "demo")
        self.s = http_session(self.token)
        first = self.s.get(
            f"{base}/api/v1/changes", params={"after": 0, "limit": 5000}, timeout=60
        ).json()
        self.conversation = next(c["id"] for c in first["changes"] if c["entity"] == "conversation")
        self.base = base

    def head(self) -> int:
        r = self.s.get(f"{self.base}/api/v1/changes", params={"after": 0, "limit": 1}, timeout=60)
        return int(r.json()["head"])


async def one_round(
    conns: list[Conn], desk: Desk, push_to: str, pid: int, settle: float, stage: Stage
) -> None:
    loop = asyncio.get_running_loop()
    # Catch up first: the server may still be writing after the last push (the outbound
    # dispatcher updates the message), and those are real changes a waiter would get.
    await asyncio.sleep(0.3)
    cursor = await loop.run_in_executor(None, desk.head)
    # A push while nobody waits: the baseline for the push with N waiting.
    _t, ms = await loop.run_in_executor(None, push, push_to, desk.token, desk.conversation)
    stage.idle_push.append(ms)
    await asyncio.sleep(0.3)
    cursor = await loop.run_in_executor(None, desk.head)
    req = request_bytes(f"/api/v1/changes?after={cursor}&limit=100&wait=25", desk.token)
    for _reader, writer in conns:
        writer.write(req)
    tasks = [asyncio.ensure_future(read_response(reader)) for reader, _w in conns]
    await asyncio.sleep(settle)  # every request reaches the server and parks
    early = [t for t in tasks if t.done()]
    if early:
        raise RuntimeError(
            f"{len(early)} long-polls returned before the push: {early[0].result()!r:.300}"
        )
    stage.rss.append(rss_mb(pid))
    t0, ms = await loop.run_in_executor(None, push, push_to, desk.token, desk.conversation)
    stage.push.append(ms)
    done = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    stage.lat += [(t - t0) * 1000 for t, _s, _b in done]
    stage.before_push.append(100 * sum((t - t0) * 1000 < ms for t, _s, _b in done) / len(done))
    if any(not json.loads(b)["changes"] for _t, _s, b in done):
        raise RuntimeError("a client woke without the change")


async def single(
    server: Server, counts: list[int], rounds: int
) -> tuple[float, float, dict[int, Stage]]:
    loop = asyncio.get_running_loop()
    desk = await loop.run_in_executor(None, Desk, server.url)
    rtt = await healthz_rtt(server.port, 500)
    await asyncio.sleep(1.0)
    idle = rss_mb(server.pid)
    conns: list[Conn] = []
    out: dict[int, Stage] = {}
    for n in counts:
        conns += await open_many(server.port, n - len(conns))
        stage = out[n] = Stage()
        for _ in range(rounds):
            await one_round(conns, desk, server.url, server.pid, 0.5 + n / 500, stage)
    close_all(conns)
    return rtt, idle, out


async def pair(one: Server, two: Server, n: int, rounds: int) -> tuple[Stage, Stage]:
    loop = asyncio.get_running_loop()
    desk = await loop.run_in_executor(None, Desk, one.url)
    conns = await open_many(one.port, n)
    same, cross = Stage(), Stage()
    for _ in range(rounds):
        await one_round(conns, desk, one.url, one.pid, 0.5 + n / 500, same)
        await one_round(conns, desk, two.url, one.pid, 0.5 + n / 500, cross)
    close_all(conns)
    return same, cross


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def run(backend: Backend, counts: list[int], rounds: int, customers: int) -> list[list[object]]:
    rows: list[list[object]] = []
    with fresh_database(backend) as url:
        seed(url, customers)
        with serve(url) as server:
            rtt, idle, stages = asyncio.run(single(server, counts, rounds))
    for n, st in stages.items():
        p99 = pct(st.lat, 99)
        push_n, push_0 = median(st.push), median(st.idle_push)
        extra = max(st.rss) - idle
        rows.append(
            [
                backend.name,
                n,
                rounds,
                median(st.lat),
                p99,
                max(st.lat),
                push_n,
                push_0,
                push_n / push_0,
                median(st.before_push),
                rtt,
                idle,
                extra,
                1000 * extra / n,
                " / ".join(
                    [yes(p99 <= 1000), yes(push_n <= 2 * push_0), yes(extra <= 100 * n / 2000)]
                ),
            ]
        )
    return rows


def run_pair(backend: Backend, n: int, rounds: int, customers: int) -> list[list[object]]:
    with fresh_database(backend) as url:
        seed(url, customers)
        with serve(url, label="one") as one, serve(url, label="two") as two:
            same, cross = asyncio.run(pair(one, two, n, rounds))
    s99, c99 = pct(same.lat, 99), pct(cross.lat, 99)
    return [
        [
            backend.name,
            n,
            rounds,
            "single",
            median(same.lat),
            s99,
            median(same.push),
            "-",
            yes(s99 <= 1000),
        ],
        [
            backend.name,
            n,
            rounds,
            "cross",
            median(cross.lat),
            c99,
            median(cross.push),
            c99 / s99,
            f"{yes(c99 <= 1000)} / {yes(c99 <= 2 * s99)}",
        ],
    ]


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--clients", default="100,500,1000,2000", help="long-polling clients, ascending")
    p.add_argument("--rounds", type=int, default=5, help="pushes per client count")
    p.add_argument("--customers", type=int, default=20, help="size of the seeded demo store")
    p.add_argument(
        "--two-servers",
        type=int,
        nargs="?",
        const=500,
        default=0,
        metavar="N",
        help="also two servers on PostgreSQL with N clients waiting (default 500)",
    )
    p.add_argument("--skip-single", action="store_true", help="only the two-server run")
    args = p.parse_args()
    counts = sorted(int(c) for c in args.clients.split(","))
    raise_fd_limit(2 * max([*counts, args.two_servers]) + 256)
    before = load_average()
    global PUSHER
    PUSHER = Pusher()
    rows: list[list[Any]] = []
    if not args.skip_single:
        rows = [row for b in backends(args) for row in run(b, counts, args.rounds, args.customers)]
    pair_rows: list[list[Any]] = []
    if args.two_servers:
        pg = [b for b in backends(args) if b.admin_url]
        if not pg:
            raise SystemExit("--two-servers needs --postgres URL")
        pair_rows = run_pair(pg[0], args.two_servers, args.rounds, args.customers)
    PUSHER.close()
    print(f"wake-up ({machine()}; {before} before, {load_average()} after)")
    if rows:
        print(
            table(
                [
                    "backend",
                    "waiting",
                    "rounds",
                    "wake p50 ms",
                    "p99 ms",
                    "max ms",
                    "push ms, N waiting",
                    "push ms, none waiting (baseline)",
                    "ratio",
                    "% woken before push answered",
                    "healthz RTT ms",
                    "RSS idle MB",
                    "RSS extra MB",
                    "KB per waiter",
                    "met: p99<=1s / push<=2x / mem<=100MB per 2k",
                ],
                rows,
            )
        )
    if pair_rows:
        print(
            table(
                [
                    "backend",
                    "waiting",
                    "rounds",
                    "push to",
                    "wake p50 ms",
                    "p99 ms",
                    "push ms",
                    "cross/single p99",
                    "met: p99<=1s / cross<=2x",
                ],
                pair_rows,
            )
        )


if __name__ == "__main__":
    main()
