"""``serve --seed-demo-if-empty`` (the embedded default) seeds only a database with nothing in
it: one that has customers or conversations but no users yet (data imported before the first
administrator) is somebody's store, not an empty one, and gets no demo team or demo data."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.server.cli import _seed_if_empty
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import upgrade


def test_a_database_with_customers_but_no_users_is_not_seeded(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with Session(engine) as s:
            s.add(m.Customer(id=str(uuid.uuid4()), name="Imported Customer"))
            s.commit()
        assert _seed_if_empty(engine) == 0
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(m.User)) == 0
            assert conn.scalar(select(func.count()).select_from(m.Customer)) == 1
    finally:
        engine.dispose()
