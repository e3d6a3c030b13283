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


def test_making_a_shared_item_personal_counts_against_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared item a supervisor makes personal becomes theirs: one they did not own yet is
    refused like a new one when they are at the limit; their own shared one is not."""
    monkeypatch.setattr(ops, "MAX_PER_OWNER", 1)
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'n.db'}")
    try:
        upgrade(engine)
        with Session(engine) as s:
            sue = m.User(id=new_id(), username="sue", display_name="Sue", role="supervisor")
            lea = m.User(id=new_id(), username="lea", display_name="Lea", role="supervisor")
            s.add_all([sue, lea])
            s.flush()

            def save(user: m.User, ident: str, scope: str) -> None:
                actions = [{"kind": "status", "status": "resolved"}]
                args = ops.MacroArgs(macro_id=ident, title="T", actions=actions, scope=scope)
                ops.save_macro(s, user, args)
                s.flush()

            shared, hers = new_id(), new_id()
            save(sue, shared, "everyone")
            save(lea, hers, "personal")  # Lea is at her limit
            with pytest.raises(Reject) as refused:
                save(lea, shared, "personal")
            assert refused.value.code.value == "invalid"
            assert "delete some" in refused.value.message
            assert s.get(m.Macro, shared).owner_id == sue.id  # type: ignore[union-attr]
            save(sue, shared, "personal")  # already Sue's: no new one for her
            row = s.get(m.Macro, shared)
            assert row is not None and (row.scope, row.owner_id) == ("personal", sue.id)
    finally:
        engine.dispose()
