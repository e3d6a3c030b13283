"""The server's answers for the pictures that show figures the desk asks the server for (the
KPI dashboard, the floor's KPI tab): the server's own KPI code run on the fixture's rows at
the fixture's ``NOW``, in the process, with no server and no network.

Why not a server: the pictures must not depend on a server's start-up, timing or demo data.
Why not a recorded answer: the figures then follow the server's real rules and the real
wire shape (``server.kpis.routes``), and a change there shows up here as well. The desk's
cache has the synced tables only; the server-only ones (reopen events, status history) are
created empty beside them in this test's copy of the cache.

Every other call that would reach a server fails at once as "offline" (``SyncError``), the
same on every run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csdesk.server.floor.history import time_in_status
from csdesk.server.kpis import tables
from csdesk.server.kpis.definitions import DEFINITIONS
from csdesk.server.kpis.period import resolve
from csdesk.server.kpis.samples import Ctx
from csdesk.server.kpis.scope import Scope
from csdesk.storage import models as m
from csdesk.sync import LocalCache, SyncApi
from csdesk.sync.api import ServerError, SyncError
from tests.visual.fixture import NOW, TEAM

__all__ = ["FixtureApi"]


class FixtureApi(SyncApi):
    """A ``SyncApi`` answering the KPI calls as the server would for ``user_id`` (an agent:
    their own figures; a supervisor: ``TEAM``'s) from ``cache``; nothing else answers."""

    def __init__(self, cache: LocalCache, user_id: str, role: str) -> None:
        super().__init__("http://127.0.0.1:9")
        self.cache = cache
        self.role = role
        self.scope = Scope("own", user_id) if role == "agent" else Scope("team", user_id, TEAM)
        m.Base.metadata.create_all(cache.engine)  # the server-only tables, empty

    def _call(self, method: str, path: str, **_kwargs: Any) -> Any:
        raise SyncError("offline: the pictures never reach a server")

    def kpis(self, params: dict[str, str]) -> dict[str, Any]:
        """What ``GET /kpis`` answers (``server.kpis.routes.kpis``), at ``NOW``."""
        period = resolve(
            params.get("period", "7d"),
            now=NOW,
            tz_name=params.get("tz", "UTC"),
            start_day=params.get("from"),
            end_day=params.get("to"),
        )
        ctx = Ctx(period, NOW, "sqlite")
        group = params.get("group", "none")
        query = tables.Query(self.scope, group, None, None, None)
        with self.cache.session() as s:
            done = tables.report(s, ctx, query)
        return {
            "period": {
                "name": period.name,
                "timezone": period.timezone,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "days": [d.isoformat() for d in period.days],
            },
            "group": group,
            "scope": {"kind": self.scope.kind, "team_id": self.scope.team_id},
            "generated_at": NOW.isoformat(),
            "rows": done.table.rows,
            "total": done.table.total,
            "series": done.series,
            "first_response_histogram": done.frt_histogram,
        }

    def floor_status_time(self, start: datetime, end: datetime) -> dict[str, Any]:
        """What ``GET /floor/status-time`` answers: 403 for an agent."""
        if self.role == "agent":
            raise ServerError(403, "forbidden", "supervisors only")
        with self.cache.session() as s:
            times = time_in_status(s, start, end, NOW)
            names = {u.id: u.display_name for u in s.query(m.User).filter(m.User.id.in_(times))}
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "agents": [
                {"user_id": uid, "name": names.get(uid, ""), "seconds": secs}
                for uid, secs in sorted(times.items(), key=lambda kv: names.get(kv[0], ""))
            ],
        }

    def kpi_definitions(self) -> dict[str, str]:
        return dict(DEFINITIONS)
