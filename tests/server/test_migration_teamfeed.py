"""Migration 0014_teamfeed and the feed rows written before and after it (docs/macros.md).

Before 0014_teamfeed a team's canned responses and macros were fed to their whole realm
(``realm = <realm>``, audience NULL). The upgrade must move the live ones to their team's
audience, where the new code writes them, and tell the desks outside the team that already
hold them to drop them; the downgrade must put them back where the old code had them (the
audience column shrinks back to 36 characters, shorter than a team audience).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from csdesk.server.feed.log import append, ensure_counter, item_for
from csdesk.server.sync.pull import Reader, read_page, read_personal
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import current, downgrade, upgrade
from csdesk.storage.types import utcnow
from csdesk.storage.wire import to_wire
from tests.helpers.data import new_id

BEFORE = "0014_orderpages"


@dataclass(frozen=True)
class World:
    team_a: str
    team_b: str
    ann: str  # agent, team A
    bob: str  # agent, team B
    sue: str  # supervisor, no team
    tia: str  # trainee, team A (the training realm)


def _people(s: Session) -> World:
    a = m.Team(id=new_id(), name="Team A")
    b = m.Team(id=new_id(), name="Team B")
    s.add_all([a, b])
    s.flush()
    world = World(a.id, b.id, new_id(), new_id(), new_id(), new_id())
    for ident, name, role, team in (
        (world.ann, "ann", "agent", a.id),
        (world.bob, "bob", "agent", b.id),
        (world.sue, "sue", "supervisor", None),
        (world.tia, "tia", "trainee", a.id),
    ):
        s.add(m.User(id=ident, username=name, display_name=name, role=role, team_id=team))
    s.flush()
    return world


def _macro(scope: str, owner: str, team: str | None = None, realm: str = "production") -> m.Macro:
    return m.Macro(
        id=new_id(),
        realm=realm,
        title=f"{scope} macro",
        actions=[{"kind": "status", "status": "resolved"}],
        scope=scope,
        owner_id=owner,
        team_id=team,
        use_count=0,
    )


def _old_feed(conn: Connection, rows: Sequence[tuple[m.Base, str, str | None]]) -> None:
    """Feed rows as the code before 0014_teamfeed wrote them: (object, realm, audience)."""
    conn.execute(sa.text("INSERT INTO sync_counter (id, value) VALUES (1, :n)"), {"n": len(rows)})
    for seq, (obj, realm, audience) in enumerate(rows, start=1):
        deleted = getattr(obj, "deleted_at", None) is not None
        conn.execute(
            sa.text(
                "INSERT INTO sync_changes (seq, entity, entity_id, realm, deleted, payload,"
                " audience) VALUES (:seq, :entity, :id, :realm, :deleted, :payload, :audience)"
            ),
            {
                "seq": seq,
                "entity": "macro" if isinstance(obj, m.Macro) else "canned_response",
                "id": obj.id,  # type: ignore[attr-defined]
                "realm": realm,
                "deleted": deleted,
                "payload": None if deleted else orjson.dumps(to_wire(obj)).decode(),
                "audience": audience,
            },
        )


def _pulled(conn: Connection, who: Reader, after: int) -> dict[str, Any]:
    """What ``who``'s pull after ``after`` brings: id -> data (None: a tombstone)."""
    page = read_page(conn, after, 500, who.realm or "production")
    fed = orjson.loads(page.body)["changes"]
    fed += [orjson.loads(r) for r in read_personal(conn, after, page.head, who)]
    return {c["id"]: (None if c["deleted"] else c["data"]) for c in fed}


def _feed_row(engine: Engine, ident: str) -> tuple[int, str | None, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT seq, realm, audience FROM sync_changes WHERE entity_id = :i"),
            {"i": ident},
        ).one()
    return int(row[0]), row[1], row[2]


def _head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT value FROM sync_counter WHERE id = 1")).scalar_one()
        )


def test_upgrade_moves_team_rows_fed_to_the_realm_to_their_team(db_url: str) -> None:
    """A team item fed to the whole realm by the old code reaches, after the upgrade, only its
    team and the leads (also on a full re-read); a desk outside the team that holds it gets a
    tombstone with its next pull, while realm-wide, personal and deleted rows stay put."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, BEFORE)
        with Session(engine, expire_on_commit=False) as s:
            w = _people(s)
            team_macro = _macro("team", w.sue, w.team_a)
            team_canned = m.CannedResponse(
                id=new_id(),
                title="Team A reply",
                body="Hello",
                scope="team",
                owner_id=w.sue,
                team_id=w.team_a,
                use_count=0,
            )
            everyone = _macro("everyone", w.sue)
            personal = _macro("personal", w.bob)
            gone = _macro("team", w.sue, w.team_a)
            gone.deleted_at = utcnow()
            training = _macro("team", w.sue, w.team_a, realm="training")
            s.add_all([team_macro, team_canned, everyone, personal, gone, training])
            # A feed row whose table row is gone (removed by hand): its payload tells.
            orphan = _macro("team", w.sue, w.team_b)
            s.flush()
            _old_feed(
                s.connection(),
                [
                    (team_macro, "production", None),
                    (team_canned, "production", None),
                    (everyone, "production", None),
                    (personal, "personal", w.bob),
                    (gone, "production", None),
                    (training, "training", None),
                    (orphan, "production", None),
                ],
            )
            s.commit()
        held = 7  # every desk's cursor before the upgrade

        upgrade(engine)

        fresh = _feed_row(engine, team_macro.id)
        assert fresh[1:] == ("personal", f"team:production:{w.team_a}")
        assert fresh[0] > held
        assert _feed_row(engine, team_canned.id)[1:] == ("personal", f"team:production:{w.team_a}")
        assert _feed_row(engine, training.id)[1:] == ("personal", f"team:training:{w.team_a}")
        assert _feed_row(engine, everyone.id) == (3, "production", None)
        assert _feed_row(engine, personal.id) == (4, "personal", w.bob)
        assert _feed_row(engine, gone.id) == (5, "production", None)
        assert _feed_row(engine, orphan.id)[1:] == ("personal", f"team:production:{w.team_b}")
        assert _head(engine) == held + 4  # four rows moved, each under a fresh seq

        team_items = {team_macro.id, team_canned.id}
        with engine.connect() as conn:
            # Bob (team B) held both team A items: they become tombstones on his desk.
            bob = _pulled(conn, Reader(w.bob, "production"), held)
            assert {k: bob[k] for k in team_items} == {team_macro.id: None, team_canned.id: None}
            # Ann (team A) and Sue (a supervisor) keep them: the rows again, no tombstone.
            for who in (w.ann, w.sue):
                got = _pulled(conn, Reader(who, "production"), held)
                assert got[team_macro.id]["title"] == "team macro"
                assert got[team_canned.id]["title"] == "Team A reply"
            # A desk reading the feed from the start sees no data of team A's items, nor does
            # the realm's shared page carry them.
            again = _pulled(conn, Reader(w.bob, "production"), 0)
            assert all(again.get(k) is None for k in team_items)
            assert again[everyone.id]["title"] == "everyone macro"
            assert again[personal.id]["title"] == "personal macro"
            assert gone.id in again and again[gone.id] is None
            realm_page = read_page(conn, 0, 500, "production").body
            assert team_macro.id.encode() not in realm_page
            assert team_canned.id.encode() not in realm_page
            # The training realm's team item: its trainee of team A keeps it, in their realm.
            assert _pulled(conn, Reader(w.tia, "training"), held)[training.id] is not None
            assert training.id.encode() not in read_page(conn, 0, 500, "training").body
    finally:
        engine.dispose()


def test_downgrade_puts_team_rows_back_into_the_realm_feed(db_url: str) -> None:
    """With team rows in the feed (52-character audiences) the downgrade still works on both
    databases: the rows go back to the realm's feed under fresh seqs, as the old code had them,
    the dropped ``macro_keys`` entity leaves the feed, and upgrading again moves them back."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as s:
            w = _people(s)
            team_macro = _macro("team", w.sue, w.team_a)
            personal = _macro("personal", w.ann)
            keys = m.MacroKeys(id=w.ann, owner_id=w.ann, keys={personal.id: 1})
            s.add_all([team_macro, personal, keys])
            s.flush()
            ensure_counter(s)
            append(s, [item_for(team_macro), item_for(personal), item_for(keys)])
            s.commit()
        before = _feed_row(engine, team_macro.id)
        assert before[1:] == ("personal", f"team:production:{w.team_a}")
        kept = _feed_row(engine, personal.id)

        downgrade(engine, BEFORE)

        assert current(engine) == BEFORE
        back = _feed_row(engine, team_macro.id)
        assert back[1:] == ("production", None)
        assert back[0] == _head(engine) > before[0]  # a fresh seq: the realm's desks get it
        assert _feed_row(engine, personal.id) == kept
        with engine.connect() as conn:
            # What the code before 0014 pulled (today's ``read_page`` needs the newer tables):
            # the realm's rows and those of every realm.
            pulled = conn.execute(
                sa.text(
                    "SELECT COUNT(*) FROM sync_changes WHERE entity_id = :id"
                    " AND (realm IS NULL OR realm = 'production')"
                ),
                {"id": team_macro.id},
            ).scalar_one()
            assert pulled == 1
            left = conn.execute(
                sa.text("SELECT COUNT(*) FROM sync_changes WHERE entity = 'macro_keys'")
            ).scalar_one()
        assert left == 0

        upgrade(engine)

        assert _feed_row(engine, team_macro.id)[1:] == ("personal", f"team:production:{w.team_a}")
        with engine.connect() as conn:
            assert team_macro.id.encode() not in read_page(conn, 0, 500, "production").body
    finally:
        engine.dispose()
