"""The inbox over a large local cache: how long the list takes to open and to scroll.

    python bench/inbox_scale.py [--conversations 100000]

Fills a local cache file with N conversations (and their customers), then times, on the
machine's GUI thread where the window would: the ordering query (run on a worker in the app),
the side-bar counts, swapping the ids into the model, and scrolling the list through every
1,000th row (each step loads a batch of rows lazily). No server: this is the cache alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def fill(cache_path: Path, n: int) -> str:
    from sqlalchemy import insert

    from csdesk.storage import models as m
    from csdesk.sync import LocalCache

    cache = LocalCache(cache_path)
    now = datetime.now(UTC)
    me = str(uuid.uuid4())
    channels = ["email", "chat", "phone", "sms", "whatsapp", "messenger", "instagram", "telegram"]
    statuses = ["open", "open", "pending", "resolved", "snoozed"]
    with cache.write() as s:
        s.execute(
            insert(m.User.__table__),
            [
                {  # type: ignore[arg-type]
                    "id": me,
                    "realm": "production",
                    "created_at": now,
                    "updated_at": now,
                    "username": "demo",
                    "display_name": "Demo Agent",
                    "role": "agent",
                    "active": True,
                }
            ],
        )
        for start in range(0, n, 10_000):
            customers, convs = [], []
            for i in range(start, min(n, start + 10_000)):
                cid = str(uuid.uuid4())
                at = now - timedelta(minutes=i)
                customers.append(
                    {
                        "id": cid,
                        "realm": "production",
                        "created_at": at,
                        "updated_at": at,
                        "name": f"Customer {i}",
                        "language": "en",
                        "timezone": "UTC",
                        "tags": [],
                        "loyalty_tier": "none",
                        "loyalty_points": 0,
                        "notes": "",
                    }
                )
                convs.append(
                    {
                        "id": str(uuid.uuid4()),
                        "realm": "production",
                        "created_at": at,
                        "updated_at": at,
                        "customer_id": cid,
                        "channel": channels[i % 8],
                        "subject": f"Question {i}",
                        "preview": "Where is my order?",
                        "status": statuses[i % 5],
                        "priority": "normal",
                        "assignee_id": me if i % 3 == 0 else None,
                        "tags": [],
                        "language": "en",
                        "last_message_at": at,
                        "waiting_since": at,
                        "message_count": 1,
                        "first_response_due_at": at + timedelta(hours=1),
                    }
                )
            s.execute(insert(m.Customer.__table__), customers)  # type: ignore[arg-type]
            s.execute(insert(m.Conversation.__table__), convs)  # type: ignore[arg-type]
    cache.close()
    return me


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from csdesk.app.inbox import Sort, View
    from csdesk.app.workstation import Me, Workstation
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.models.inbox_model import InboxModel
    from csdesk.ui.panels.inbox import InboxPanel

    app = QApplication([])
    path = Path(tempfile.mkdtemp(prefix="csdesk-inbox-")) / "cache.sqlite"
    t = time.perf_counter()
    me = fill(path, args.conversations)
    filled = time.perf_counter() - t
    engine = SyncEngine(LocalCache(path), SyncApi("http://127.0.0.1:9"))  # never started
    ws = Workstation(engine, Me(me, "demo", "Demo Agent", "agent"))
    rows: list[tuple[str, float]] = [("fill the cache (setup)", filled)]

    def timed(label: str, fn: object) -> object:
        assert callable(fn)
        start = time.perf_counter()
        result = fn()
        rows.append((label, time.perf_counter() - start))
        return result

    ids = timed(
        "ordered ids, All open, newest (worker)", lambda: ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)
    )
    timed(
        "ordered ids, All open, SLA due (worker)",
        lambda: ws.ordered_ids(View.ALL_OPEN, Sort.SLA_DUE),
    )
    timed("side-bar counts, every view (worker)", ws.counts)
    model = InboxModel(ws.rows)
    panel = InboxPanel(model, get_theme("light"))
    panel.resize(500, 900)
    panel.show()
    assert isinstance(ids, list)
    timed(
        "set ids into the model + first paint (GUI)",
        lambda: (model.set_ids(ids), app.processEvents()),
    )
    worst = 0.0
    start = time.perf_counter()
    for row in range(0, len(ids), 1000):
        step = time.perf_counter()
        panel.list.scrollTo(model.index(row))
        app.processEvents()
        worst = max(worst, time.perf_counter() - step)
    rows.append(
        (f"scroll through {len(ids):,} rows, every 1,000th (GUI)", time.perf_counter() - start)
    )
    rows.append(("  worst single scroll step (GUI)", worst))
    print(f"{args.conversations:,} conversations in the local cache")
    print(f"{'step':<52} | {'ms':>9}")
    print(f"{'-' * 52}-+-{'-' * 9}")
    for label, seconds in rows:
        print(f"{label:<52} | {seconds * 1000:>9.1f}")
    engine.cache.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
