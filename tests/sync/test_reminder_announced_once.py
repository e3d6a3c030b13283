"""A due reminder is announced once per desk, also across a restart: which ones were said is
kept in the desk's cache (docs/scheduled-send.md). The scheduled list and the reminders say
their times in the agent's time zone setting when there is one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from csdesk.app.scheduled import Scheduling, zone_named
from csdesk.app.workstation import Me, Workstation
from csdesk.protocol import Entity
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from tests.sync.test_cache import ME, T0, conversation, customer, page


def _reminder(ident: str, status: str) -> dict[str, Any]:
    data = {
        "id": ident, "created_at": T0, "updated_at": T0, "owner_id": ME["id"],
        "conversation_id": "conv-1", "due_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        "only_if_no_reply": True, "note": "", "status": status, "scope": "personal",
        "fired_at": None,
    }  # fmt: skip
    return row_to_wire(Entity.REMINDER, data)


def _desk(path: Path) -> tuple[LocalCache, Workstation]:
    """A desk on the cache file at ``path`` (opened again: the desk restarted); never
    started, so it makes no request."""
    cache = LocalCache(path)
    cache.set_user(ME)
    engine = SyncEngine(cache, SyncApi("http://127.0.0.1:9"))
    return cache, Workstation(engine, Me(ME["id"], "ann", "Ann", "agent"))


def test_a_due_reminder_is_announced_once_also_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    cache, ws = _desk(path)
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            (Entity.CONVERSATION, "conv-1", conversation("conv-1")),
            (Entity.REMINDER, "r-due", _reminder("r-due", "due")),
            (Entity.REMINDER, "r-later", _reminder("r-later", "pending")),
            cursor=4,
        )
    )
    assert [v.id for v in Scheduling(ws).to_announce()] == ["r-due"]
    assert Scheduling(ws).to_announce() == []
    cache.close()

    cache, ws = _desk(path)  # the desk restarts on the same cache
    assert Scheduling(ws).to_announce() == []
    # The other one falls due later: announced, once.
    cache.apply_page(page((Entity.REMINDER, "r-later", _reminder("r-later", "due")), cursor=5))
    assert [v.id for v in Scheduling(ws).to_announce()] == ["r-later"]
    assert Scheduling(ws).to_announce() == []
    cache.close()


def test_times_are_said_in_the_agents_time_zone(tmp_path: Path) -> None:
    cache, ws = _desk(tmp_path / "cache.sqlite")
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            (Entity.CONVERSATION, "conv-1", conversation("conv-1")),
            (Entity.REMINDER, "r-due", _reminder("r-due", "due")),
            cursor=3,
        )
    )
    tokyo = Scheduling(ws, lambda: ZoneInfo("Asia/Tokyo")).reminders()
    assert "17:00" in tokyo[0].sentence()  # 08:00 UTC
    lima = Scheduling(ws, lambda: zone_named("America/Lima")).reminders()
    assert "03:00" in lima[0].sentence()
    assert zone_named("Not/AZone") is None and zone_named(None) is None
    cache.close()
