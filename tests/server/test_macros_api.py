"""Canned responses and macros over a live server on SQLite and PostgreSQL (docs/macros.md):
agents keep personal ones, supervisors and admins share them with a team or everyone; a
personal item reaches only its owner's desk (full and incremental pulls, the entity snapshot,
a long poll); other users cannot see, change or count it; uses are counted; bad input is a
clear rejection, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

Users = dict[str, TestUser]


def _canned(cid: str, scope: str = "personal", **kw: Any) -> dict[str, Any]:
    return {
        "canned_id": cid,
        "title": kw.pop("title", "Thanks"),
        "body": kw.pop("body", "Thank you, {first_name}!"),
        "language": kw.pop("language", "en"),
        "scope": scope,
        **kw,
    }


def _macro(mid: str, scope: str = "personal", **kw: Any) -> dict[str, Any]:
    return {
        "macro_id": mid,
        "title": kw.pop("title", "Close as spam"),
        "actions": kw.pop(
            "actions",
            [
                {"kind": "tags", "add": ["spam"]},
                {"kind": "status", "status": "resolved"},
                {"kind": "note", "text": "Spam."},
            ],
        ),
        "scope": scope,
        **kw,
    }


def _new() -> str:
    return str(uuid.uuid4())


def _status(results: list[Any]) -> list[str]:
    return [r["status"] if r["status"] != "rejected" else r["reason"]["code"] for r in results]


def _items(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    return {
        c["id"]: c["data"] for c in changes if c["entity"] in (Entity.MACRO, Entity.CANNED_RESPONSE)
    }


def _team(db_url: str, user: TestUser) -> str:
    """A team with ``user`` in it (straight in the database)."""
    team_id = _new()
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            s.add(m.Team(id=team_id, name=f"Returns {team_id[:8]}"))
            s.flush()
            row = s.get(m.User, user.id)
            assert row is not None
            row.team_id = team_id
            s.commit()
    finally:
        engine.dispose()
    return team_id


def test_agents_keep_personal_items_and_only_leads_share(
    live: ServerProcess, shared_users: Users, backend: str
) -> None:
    team = _team(backend, shared_users["sue"])  # before she signs in: her token sees it
    ann = Raw.signed_in(live, shared_users["ann"])
    tia = Raw.signed_in(live, shared_users["tia"])
    sue = Raw.signed_in(live, shared_users["sue"])
    adm = Raw.signed_in(live, shared_users["adm"])
    assert _status(
        ann.push(
            (MutationType.CANNED_SAVE, _canned(_new())),
            (MutationType.MACRO_SAVE, _macro(_new())),
            (MutationType.CANNED_SAVE, _canned(_new(), "everyone")),
            (MutationType.MACRO_SAVE, _macro(_new(), "team", team_id=team)),
        )
    ) == ["applied", "applied", "forbidden", "forbidden"]
    assert _status(
        tia.push(
            (MutationType.CANNED_SAVE, _canned(_new())),
            (MutationType.CANNED_SAVE, _canned(_new(), "team", team_id=team)),
        )
    ) == ["applied", "forbidden"]
    shared, by_team = _new(), _new()
    assert _status(
        sue.push(
            (MutationType.CANNED_SAVE, _canned(by_team, "team")),  # her own team by default
            (MutationType.MACRO_SAVE, _macro(_new(), "team", team_id=_new())),
        )
    ) == ["applied", "not_found"]
    assert _status(adm.push((MutationType.MACRO_SAVE, _macro(shared, "everyone")))) == ["applied"]
    assert _status(adm.push((MutationType.MACRO_SAVE, _macro(_new(), "team")))) == [
        "invalid"  # an admin without a team must say which one
    ]
    seen = _items(Raw.signed_in(live, shared_users["bob"]).pull_all()[0])
    assert seen[shared] is not None and seen[shared]["scope"] == "everyone"
    assert by_team not in seen  # Bob is in no team (tests/server/test_macro_audiences.py)
    led = _items(sue.pull_all()[0])
    assert led[by_team] is not None and led[by_team]["team_id"] == team
    # An agent changes no shared item (narrowing one: tests/server/test_macro_audiences.py).
    assert _status(
        ann.push(
            (MutationType.MACRO_SAVE, _macro(shared, "everyone", title="Mine now")),
            (MutationType.MACRO_DELETE, {"macro_id": shared}),
        )
    ) == ["forbidden", "forbidden"]
    assert _status(sue.push((MutationType.MACRO_DELETE, {"macro_id": shared}))) == ["applied"]
    assert _items(Raw.signed_in(live, shared_users["bob"]).pull_all()[0])[shared] is None
    assert _status(sue.push((MutationType.MACRO_USED, {"macro_id": shared}))) == ["deleted"]


def test_a_personal_item_reaches_only_its_owner(live: ServerProcess, shared_users: Users) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    bob = Raw.signed_in(live, shared_users["bob"])
    sue = Raw.signed_in(live, shared_users["sue"])
    _, bob_cursor = bob.pull_all()
    _, sue_cursor = sue.pull_all()
    _, ann_cursor = ann.pull_all()
    canned, macro = _new(), _new()
    secret = "Ann's private wording 7f3a"
    assert _status(
        ann.push(
            (MutationType.CANNED_SAVE, _canned(canned, body=secret)),
            (MutationType.MACRO_SAVE, _macro(macro, title=secret)),
        )
    ) == ["applied", "applied"]
    # Bob's long poll is not woken into receiving it; his page simply has none of it.
    page = bob.get("/api/v1/changes", params={"after": bob_cursor, "wait": 0.5}).json()
    assert secret not in str(page)
    mine, _ = ann.pull_all(ann_cursor)
    assert {canned, macro} <= set(_items(mine))
    assert _items(mine)[canned]["body"] == secret  # type: ignore[index]
    for who, after in ((bob, bob_cursor), (sue, sue_cursor), (bob, 0), (sue, 0)):
        changes, _ = who.pull_all(after)
        assert not {canned, macro} & set(_items(changes))
        assert secret not in str(changes)
    # Nor by the snapshot, nor by guessing its id to change, delete or count it.
    assert ann.get(f"/api/v1/entities/macro/{macro}").status_code == 200
    assert bob.get(f"/api/v1/entities/macro/{macro}").status_code == 404
    assert bob.get(f"/api/v1/entities/canned_response/{canned}").status_code == 404
    assert (
        _status(
            bob.push(
                (MutationType.MACRO_SAVE, _macro(macro, title="taken over")),
                (MutationType.CANNED_DELETE, {"canned_id": canned}),
                (MutationType.MACRO_USED, {"macro_id": macro}),
                (MutationType.CANNED_USED, {"canned_id": canned}),
            )
        )
        == ["not_found"] * 4
    )
    assert _status(sue.push((MutationType.CANNED_DELETE, {"canned_id": canned}))) == ["not_found"]
    # Its deletion too goes to the owner only; made shared later, it reaches everyone.
    _, bob_cursor = bob.pull_all()
    assert _status(ann.push((MutationType.CANNED_DELETE, {"canned_id": canned}))) == ["applied"]
    mine, _ = ann.pull_all(ann_cursor)
    assert _items(mine)[canned] is None
    assert canned not in _items(bob.pull_all(bob_cursor)[0])
    assert _status(sue.push((MutationType.MACRO_SAVE, _macro(_new(), "personal")))) == ["applied"]
    assert macro not in _items(bob.pull_all(bob_cursor)[0])


def test_a_personal_item_made_shared_reaches_everyone(
    live: ServerProcess, shared_users: Users
) -> None:
    sue = Raw.signed_in(live, shared_users["sue"])
    bob = Raw.signed_in(live, shared_users["bob"])
    mid = _new()
    assert _status(sue.push((MutationType.MACRO_SAVE, _macro(mid)))) == ["applied"]
    _, cursor = bob.pull_all()
    assert _status(sue.push((MutationType.MACRO_SAVE, _macro(mid, "everyone")))) == ["applied"]
    got = _items(bob.pull_all(cursor)[0])
    assert got[mid] is not None and got[mid]["scope"] == "everyone"


def test_uses_are_counted_on_the_server(live: ServerProcess, shared_users: Users) -> None:
    adm = Raw.signed_in(live, shared_users["adm"])
    ann = Raw.signed_in(live, shared_users["ann"])
    macro, canned, own = _new(), _new(), _new()
    adm.push(
        (MutationType.MACRO_SAVE, _macro(macro, "everyone")),
        (MutationType.CANNED_SAVE, _canned(canned, "everyone")),
    )
    ann.push((MutationType.CANNED_SAVE, _canned(own)))
    results = ann.push(
        *[(MutationType.MACRO_USED, {"macro_id": macro})] * 3,
        (MutationType.CANNED_USED, {"canned_id": canned}),
        (MutationType.CANNED_USED, {"canned_id": own}),
        (MutationType.CANNED_USED, {"canned_id": own}),
    )
    assert _status(results) == ["applied"] * 6
    seen = _items(Raw.signed_in(live, shared_users["bob"]).pull_all()[0])
    assert seen[macro]["use_count"] == 3  # type: ignore[index]
    assert seen[canned]["use_count"] == 1  # type: ignore[index]
    assert _items(ann.pull_all()[0])[own]["use_count"] == 2  # type: ignore[index]
    assert _status(ann.push((MutationType.MACRO_USED, {"macro_id": _new()}))) == ["not_found"]


def test_bad_input_is_a_clear_rejection(live: ServerProcess, shared_users: Users) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    bad_macros: list[Any] = [
        [],
        [{"kind": "explode"}],
        [{"kind": "tags", "add": ["a"]}, {"kind": "tags", "add": ["b"]}],
        [{"kind": "snooze", "hours": 4}, {"kind": "status", "status": "resolved"}],
        [{"kind": "snooze", "hours": 0}],
        [{"kind": "snooze", "hours": 10**12}],
        [{"kind": "status", "status": "snoozed"}],
        [{"kind": "reply"}],
        [{"kind": "reply", "text": "x", "canned": "/hi"}],
        [{"kind": "note", "text": "x" * 20_001}],
        [{"kind": "tags"}],
        [{"kind": "priority", "priority": "whenever"}],
        [{"kind": "note", "text": "bell \x07"}],
        "not a list",
        [["nested"]],
    ]
    results = ann.push(*[(MutationType.MACRO_SAVE, _macro(_new(), actions=a)) for a in bad_macros])
    assert _status(results) == ["invalid"] * len(bad_macros), results
    bad_canned: list[dict[str, Any]] = [
        _canned(_new(), title="   "),
        _canned(_new(), body=""),
        _canned(_new(), language="not a language"),
        _canned(_new(), scope="galaxy"),
        _canned(_new(), channel="pigeon"),
        {**_canned(_new()), "owner_id": shared_users["bob"].id},  # not for the caller to say
        _canned("x" * 37),
        _canned(_new(), title="t" * 201),
    ]
    results = ann.push(*[(MutationType.CANNED_SAVE, a) for a in bad_canned])
    assert _status(results) == ["invalid"] * len(bad_canned), results
    # Text no database stores is refused at the edge (422), never a 500.
    for text in ("nul \x00 here", "lone \ud800 surrogate"):
        body = {
            "mutations": [
                {"id": _new(), "type": MutationType.CANNED_SAVE, "args": _canned(_new(), body=text)}
            ]
        }
        r = ann.post("/api/v1/push", json=body)
        assert r.status_code == 422, r.text
