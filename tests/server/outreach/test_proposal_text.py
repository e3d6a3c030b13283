"""Which canned response becomes the shop's delay notice: only one shared with everyone, never
an agent's personal or a team's text, never a deleted one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from csdesk.server.outreach.proposal import FALLBACK, SHIPPED_SHORTCUT, canned_body
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow
from tests.helpers.data import new_id


def _canned(s: Session, body: str, **extra: object) -> m.CannedResponse:
    row = m.CannedResponse(
        id=new_id(),
        realm="production",
        title="Delay",
        shortcut=SHIPPED_SHORTCUT,
        body=body,
        language="en",
        **extra,
    )
    s.add(row)
    s.flush()
    return row


def test_only_the_shops_own_text_becomes_the_delay_notice(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'p.db'}")
    try:
        upgrade(engine)
        with Session(engine) as s:
            assert (
                canned_body(s, "production", SHIPPED_SHORTCUT, "en") == FALLBACK[SHIPPED_SHORTCUT]
            )
            _canned(s, "Mine only", scope="personal", owner_id=new_id())
            _canned(s, "The returns team's", scope="team", team_id=new_id())
            assert (
                canned_body(s, "production", SHIPPED_SHORTCUT, "en") == FALLBACK[SHIPPED_SHORTCUT]
            )
            shared = _canned(s, "Your parcel is late, {first_name}.", scope="everyone")
            assert canned_body(s, "production", SHIPPED_SHORTCUT, "en").startswith(
                "Your parcel is late"
            )
            shared.deleted_at = utcnow()
            s.flush()
            assert (
                canned_body(s, "production", SHIPPED_SHORTCUT, "en") == FALLBACK[SHIPPED_SHORTCUT]
            )
    finally:
        engine.dispose()
