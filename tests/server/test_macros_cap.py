"""One person's live canned responses and macros are bounded: their rows ride unpaged on every
pull of theirs (``sync.pull.with_personal``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from csdesk.server.macros import mutations as ops
from csdesk.server.sync.mutations import Reject
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import upgrade
from tests.helpers.data import new_id


def test_a_person_may_own_only_so_many_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ops, "MAX_PER_OWNER", 2)
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'c.db'}")
    try:
        upgrade(engine)
        with Session(engine) as s:
            ann = m.User(id=new_id(), username="ann", display_name="Ann", role="agent")
            s.add(ann)
            s.flush()

            def save(canned_id: str) -> None:
                ops.save_canned(
                    s,
                    ann,
                    ops.CannedArgs(canned_id=canned_id, title="T", body="B", scope="personal"),
                )
                s.flush()

            first = new_id()
            save(first)
            save(new_id())
            with pytest.raises(Reject) as refused:
                save(new_id())
            assert refused.value.code.value == "invalid"
            assert "delete some" in refused.value.message
            save(first)  # editing one they have is always allowed
            ops.delete_canned(s, ann, ops.ItemArgs(canned_id=first))
            s.flush()
            save(new_id())  # a deleted one makes room
    finally:
        engine.dispose()
