"""Another team's canned response or macro is, to an agent outside the team, as if it did not
exist: the feed never brings it to their desk, and every request about it (use, save, delete)
answers exactly as for an id nobody has (docs/macros.md). Its own team's agents may use it but
not change it; supervisors and administrators manage every team's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from csdesk.server.macros import mutations as ops
from csdesk.server.sync.mutations import Reject
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import upgrade
from tests.helpers.data import new_id

ACTIONS = [{"kind": "status", "status": "resolved"}]


def _refusal(action: Callable[..., None], *args: Any) -> tuple[str, str]:
    """The (code, message) ``action(*args)`` is refused with."""
    with pytest.raises(Reject) as refused:
        action(*args)
    return refused.value.code.value, refused.value.message


def test_another_teams_item_answers_an_agent_as_a_missing_one(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with Session(engine) as s:
            a, b = m.Team(id=new_id(), name="A"), m.Team(id=new_id(), name="B")
            s.add_all([a, b])
            s.flush()
            ann = m.User(id=new_id(), username="ann", display_name="Ann", role="agent")
            bob = m.User(id=new_id(), username="bob", display_name="Bob", role="agent")
            sue = m.User(id=new_id(), username="sue", display_name="Sue", role="supervisor")
            ann.team_id, bob.team_id, sue.team_id = a.id, b.id, b.id
            s.add_all([ann, bob, sue])
            s.flush()
            macro_id, canned_id = new_id(), new_id()
            ops.save_macro(
                s,
                sue,
                ops.MacroArgs(
                    macro_id=macro_id, title="A only", actions=ACTIONS, scope="team", team_id=a.id
                ),
            )
            ops.save_canned(
                s,
                sue,
                ops.CannedArgs(
                    canned_id=canned_id, title="A only", body="Hi", scope="team", team_id=a.id
                ),
            )
            s.flush()
            nobody = new_id()

            def macro(ident: str) -> ops.MacroArgs:
                return ops.MacroArgs(macro_id=ident, title="Mine now", actions=ACTIONS)

            def canned(ident: str) -> ops.CannedArgs:
                return ops.CannedArgs(canned_id=ident, title="Mine now", body="Hi")

            asks: list[Callable[[m.User, str], None]] = [
                lambda u, i: ops.macro_used(s, u, ops.MacroItemArgs(macro_id=i)),
                lambda u, i: ops.canned_used(s, u, ops.ItemArgs(canned_id=i)),
                lambda u, i: ops.delete_macro(s, u, ops.MacroItemArgs(macro_id=i)),
                lambda u, i: ops.delete_canned(s, u, ops.ItemArgs(canned_id=i)),
            ]
            for n, ask in enumerate(asks):
                ident = macro_id if n % 2 == 0 else canned_id
                missing = _refusal(ask, bob, nobody)
                assert missing[0] == "not_found"
                assert _refusal(ask, bob, ident) == missing
            # Saving over it: refused as someone else's personal item is (the id cannot be
            # taken over), not "forbidden" (which would tell it exists).
            hidden = ("not_found", "This item does not exist.")
            assert _refusal(ops.save_macro, s, bob, macro(macro_id)) == hidden
            assert _refusal(ops.save_canned, s, bob, canned(canned_id)) == hidden
            # Nothing changed by Bob's attempts.
            assert s.get(m.Macro, macro_id).use_count == 0  # type: ignore[union-attr]
            assert s.get(m.Macro, macro_id).deleted_at is None  # type: ignore[union-attr]

            # Ann, of team A, uses it but may not change it; Sue (of team B) manages it.
            ops.macro_used(s, ann, ops.MacroItemArgs(macro_id=macro_id))
            ops.canned_used(s, ann, ops.ItemArgs(canned_id=canned_id))
            code, _ = _refusal(ops.save_macro, s, ann, macro(macro_id))
            assert code == "forbidden"
            ops.macro_used(s, sue, ops.MacroItemArgs(macro_id=macro_id))
            s.flush()
            assert s.get(m.Macro, macro_id).use_count == 2  # type: ignore[union-attr]
            assert s.get(m.CannedResponse, canned_id).use_count == 1  # type: ignore[union-attr]
            ops.delete_macro(s, sue, ops.MacroItemArgs(macro_id=macro_id))
            s.flush()
            assert s.get(m.Macro, macro_id).deleted_at is not None  # type: ignore[union-attr]
    finally:
        engine.dispose()
