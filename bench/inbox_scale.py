"""The inbox over a large local cache: the GUI thread while the list opens, searches, ends.

    python bench/inbox_scale.py [--conversations 1000000] [--baseline 1000] [--reps 3]
                                [--cache-dir DIR] [--per-rep] [--gc-log]
                                [--switch-ms MS]

Builds (or, with ``--cache-dir``, reuses) a local cache with N conversations and their
customers, written with set-based SQL (``INSERT … SELECT`` over a recursive counter, not the
app's sync path), and the same for the baseline size. Then, interleaved, ``--reps`` times
for each size, in a real workstation window (offscreen, no server):

* set ids + first paint: the GUI-thread step that swaps a new ordered id list into the
  inbox model and paints it (the ordering query itself runs on the query lane);
* the longest GUI-thread stall (a 5 ms QTimer heartbeat, ``tests/helpers/stall.py``): the
  longest wall-clock gap between beats, and the most CPU the GUI thread itself spent in
  one gap (on a shared, loaded box the wall gap also counts time the thread was not
  scheduled; the same-run baseline size shows that floor), while
  the list reloads (ordering, counts and Mine on the worker), while a search is typed a key
  every 60 ms (debounced, one query at a time) and while End goes to the last
  conversation (the list places rows by arithmetic; only the rows on screen are loaded),
  and how long End takes until the last conversation is current and on screen (from the
  first conversation, open), and a reload until its list, counts and Mine are in.

As the app does once its window shows (``ui.app``), what start-up built is frozen out of the
collector's full passes (``gc.freeze()``). ``--per-rep`` prints every repetition's figures;
``--gc-log`` prints, for each measured step, the collector's pauses over 5 ms (thread,
generation, ms).

The built cache has no search-index rows (the search path is measured by its own bench):
the typed search measures the window's side of it, not the full-text lookup.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ME = "00000000-0000-4000-8000-000000000001"
NOW = "2026-01-05 12:00:00"
CHANNELS = ["email", "chat", "phone", "sms", "whatsapp", "messenger", "instagram", "telegram"]


def build(path: Path, n: int) -> None:
    """A cache of ``n`` conversations, set-based: a few statements, not n ORM rows."""
    from csdesk.sync import LocalCache

    LocalCache(path).close()  # the schema
    db = sqlite3.connect(path)
    stamp = "strftime('%Y-%m-%d %H:%M:%S', :now, printf('-%d minutes', i)) || '.000000'"
    seq = "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < :last)"
    channel = "CASE i % 8 " + " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(CHANNELS))
    with db:
        db.execute(
            "INSERT INTO users (id, realm, created_at, updated_at, username, display_name,"
            " role, active) VALUES (?, 'production', ?, ?, 'demo', 'Demo Agent', 'agent', 1)",
            (ME, NOW + ".000000", NOW + ".000000"),
        )
        db.execute(
            f"{seq} INSERT INTO customers (id, realm, created_at, updated_at, name, language,"
            " timezone, tags, loyalty_tier, loyalty_points, notes)"
            f" SELECT printf('cu-%033d', i), 'production', {stamp}, {stamp},"
            " 'Customer ' || i, 'en', 'UTC', '[]', 'none', 0, '' FROM seq",
            {"now": NOW, "last": n - 1},
        )
        db.execute(
            f"{seq} INSERT INTO conversations (id, realm, created_at, updated_at, customer_id,"
            " channel, subject, preview, status, priority, assignee_id, tags, language,"
            " last_message_at, waiting_since, message_count, first_response_due_at)"
            f" SELECT printf('co-%033d', i), 'production', {stamp}, {stamp},"
            f" printf('cu-%033d', i), {channel} END, 'Question ' || i, 'Where is my order?',"
            " CASE i % 5 WHEN 2 THEN 'pending' WHEN 3 THEN 'resolved' WHEN 4 THEN 'snoozed'"
            " ELSE 'open' END, 'normal', CASE WHEN i % 3 = 0 THEN :me END, '[]', 'en',"
            f" {stamp}, {stamp}, 1,"
            " strftime('%Y-%m-%d %H:%M:%S', :now, printf('-%d minutes', i - 60)) || '.000000'"
            " FROM seq",
            {"now": NOW, "last": n - 1, "me": ME},
        )
        db.execute("ANALYZE")
    db.close()


def cache_for(n: int, cache_dir: Path) -> Path:
    path = cache_dir / f"inbox-{n}.sqlite"
    if not path.exists():
        started = time.perf_counter()
        build(path.with_suffix(".part"), n)
        path.with_suffix(".part").rename(path)
        print(f"built {path} ({n:,} conversations) in {time.perf_counter() - started:.1f} s")
    return path


class GcPauses:
    """The collector's pauses, by thread and generation (``gc.callbacks``)."""

    def __init__(self, over_ms: float = 5.0) -> None:
        self.over_ms = over_ms
        self.log: list[tuple[str, int, float, float, int]] = []
        self._started: dict[int, tuple[float, float]] = {}
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        key = threading.get_ident()
        if phase == "start":
            self._started[key] = (time.perf_counter(), time.thread_time())
            return
        wall, cpu = self._started.pop(key, (time.perf_counter(), time.thread_time()))
        ms, cpu_ms = (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000
        if ms >= self.over_ms:
            name = threading.current_thread().name
            self.log.append((name, info["generation"], ms, cpu_ms, info["collected"]))

    def report(self) -> None:
        for name, gen, ms, cpu_ms, collected in self.log:
            print(
                f"    gc: {name} gen {gen} {ms:.1f} ms (its CPU {cpu_ms:.1f}),"
                f" {collected:,} collected"
            )


@dataclass
class Figures:
    first_paint: list[float] = field(default_factory=list)
    first_paint_cpu: list[float] = field(default_factory=list)
    reload: list[tuple[float, float]] = field(default_factory=list)  # (wall, GUI CPU) ms
    search: list[tuple[float, float]] = field(default_factory=list)
    end: list[tuple[float, float]] = field(default_factory=list)
    end_total: list[float] = field(default_factory=list)  # wall ms until the last row shows
    reload_total: list[float] = field(default_factory=list)  # wall ms until the list is in


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--per-rep", action="store_true", help="print each repetition")
    parser.add_argument("--gc-log", action="store_true", help="print the collector's pauses")
    parser.add_argument(
        "--switch-ms", type=float, default=None, help="the interpreter's switch interval (ms)"
    )
    args = parser.parse_args()
    if args.switch_ms is not None:
        sys.setswitchinterval(args.switch_ms / 1000)

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from tests.helpers.qtwait import pump_until
    from tests.helpers.stall import StallMeter

    from csdesk.app.inbox import Sort, View
    from csdesk.app.packed_ids import PackedIds
    from csdesk.app.workstation import Me, Workstation
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.bridge import SyncBridge
    from csdesk.ui.main_window import MainWindow

    app = QApplication([])
    cache_dir = args.cache_dir or Path(tempfile.mkdtemp(prefix="csdesk-inbox-"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    sizes = [args.baseline, args.conversations]
    windows: dict[int, MainWindow] = {}
    engines: list[SyncEngine] = []
    for n in sizes:
        engine = SyncEngine(LocalCache(cache_for(n, cache_dir)), SyncApi("http://127.0.0.1:9"))
        engines.append(engine)  # never started: the cache alone
        ws = Workstation(engine, Me(ME, "demo", "Demo Agent", "agent"))
        window = MainWindow(ws, SyncBridge(), get_theme("light"))
        window.resize(1600, 1000)
        window.show()
        windows[n] = window
    figures = {n: Figures() for n in sizes}
    pauses = GcPauses() if args.gc_log else None
    pump_until(lambda: False, 0.5)
    gc.freeze()  # as ui.app does once the window shows

    def settle(w: MainWindow) -> None:
        pump_until(lambda: not w._reorder_pending and not w._release.pending(), 300)

    def measured(w: MainWindow, act: object, done: object) -> tuple[float, float]:
        assert callable(act) and callable(done)
        meter = StallMeter()
        if pauses is not None:
            pauses.log.clear()
        meter.start()
        act()
        pump_until(lambda: bool(done()) and not w._release.pending(), 300)
        pump_until(lambda: False, 0.1)
        meter.stop()
        if pauses is not None:
            pauses.report()
        return meter.longest_ms, meter.longest_cpu_ms

    for w in windows.values():
        # The 30 s clock reloads the list (the reload measured below); with two windows in one
        # process, one's reload would land in the other's figures (a desk has one window).
        w._clock.stop()
        w.views.choose(2)  # All open
        settle(w)
    orders = {
        n: [w.ws.ordered_ids(View.ALL_OPEN, s) for s in (Sort.NEWEST, Sort.OLDEST_WAITING)]
        for n, w in windows.items()
    }

    def say(line: str) -> None:
        if args.per_rep or args.gc_log:
            print(line, flush=True)

    for rep in range(args.reps):
        for n, w in windows.items():
            fig = figures[n]
            ids = PackedIds(orders[n][rep % 2])  # a new object, as a query gives: swapped in
            start, cpu = time.perf_counter(), time.thread_time()
            w._release.release(w.model.set_ids(ids))
            app.processEvents()  # first paint
            fig.first_paint.append((time.perf_counter() - start) * 1000)
            fig.first_paint_cpu.append((time.thread_time() - cpu) * 1000)
            del ids
            settle(w)

            say(f"rep {rep + 1}, {n:,}: first paint {fig.first_paint[-1]:.1f} ms")
            started = time.perf_counter()
            fig.reload.append(measured(w, w.reload_list, lambda w=w: not w._reorder_pending))
            fig.reload_total.append((time.perf_counter() - started) * 1000 - 100)  # less 0.1 s
            say(f"  reload: longest gap {fig.reload[-1][0]:.1f} ms (CPU {fig.reload[-1][1]:.1f})")

            w.inbox.search.setFocus()

            def type_search(w: MainWindow = w) -> None:
                for ch in "Customer 12":
                    QTest.keyClick(w.inbox.search, ch)
                    pump_until(lambda: False, 0.06)

            fig.search.append(
                measured(
                    w,
                    type_search,
                    lambda w=w: w.query == "Customer 12" and not w._reorder_pending,
                )
            )
            say(f"  search: longest gap {fig.search[-1][0]:.1f} ms (CPU {fig.search[-1][1]:.1f})")
            w.inbox.search.clear()
            settle(w)
            pump_until(lambda: False, 0.3)
            settle(w)

            view = w.inbox.list
            view.setFocus()
            view.setCurrentIndex(w.model.index(0))
            # The first conversation opened (its panels built) before End is pressed: End's
            # figures are End's, not the tail of the open before it.
            first = w.model.id_at(0)

            def first_open(w: MainWindow = w, first: str | None = first) -> bool:
                return w.open_conv is not None and w.open_conv.id == first

            pump_until(first_open, 30)
            settle(w)

            def at_end(w: MainWindow = w) -> bool:
                v = w.inbox.list
                cur = v.currentIndex()
                return cur.row() == w.model.total() - 1 and v.viewport().rect().intersects(
                    v.visualRect(cur)
                )

            started = time.perf_counter()
            fig.end.append(measured(w, lambda v=view: QTest.keyClick(v, Qt.Key.Key_End), at_end))
            fig.end_total.append((time.perf_counter() - started) * 1000 - 100)  # less 0.1 s
            say(f"  End: longest gap {fig.end[-1][0]:.1f} ms (CPU {fig.end[-1][1]:.1f})")
            settle(w)

    big, base = args.conversations, args.baseline
    load = os.getloadavg()
    print(
        f"\ninbox: {big:,} vs {base:,} conversations, {args.reps} reps interleaved;"
        f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    header = f"{'GUI thread (ms)':<34} | {f'{big:,}':>11} | {f'{base:,}':>9} | ratio | goal"
    print(header)
    print("-" * len(header))

    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    b, s = figures[big], figures[base]
    rows = [
        ("set ids + first paint, median", med(b.first_paint), med(s.first_paint), "<= 2x"),
        ("  max over reps", max(b.first_paint), max(s.first_paint), ""),
        ("  GUI-thread CPU, median", med(b.first_paint_cpu), med(s.first_paint_cpu), "<= 2x"),
    ]
    for label, big_xs, base_xs in (
        ("reload", b.reload, s.reload),
        ("typed search", b.search, s.search),
        ("End to the last row", b.end, s.end),
    ):
        rows.append(
            (
                f"longest stall: {label}",
                max(x[0] for x in big_xs),
                max(x[0] for x in base_xs),
                "<= 50 ms",
            )
        )
        rows.append(
            (
                "  GUI-thread CPU in one gap",
                max(x[1] for x in big_xs),
                max(x[1] for x in base_xs),
                "<= 50 ms",
            )
        )
    rows.append(("End: until the last row shows, median", med(b.end_total), med(s.end_total), ""))
    rows.append(
        ("reload: until the list is in, median", med(b.reload_total), med(s.reload_total), "")
    )
    for label, x, y, goal in rows:
        print(f"{label:<34} | {x:>11.1f} | {y:>9.1f} | {x / y:>5.1f} | {goal}")
    for w in windows.values():
        w.close()
    for e in engines:
        e.cache.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
