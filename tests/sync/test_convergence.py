"""Property: two desks editing offline in any interleaving end up with the server's state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from csdesk.protocol import Entity, Mutation, MutationType
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.sync.optimistic import affected, rebase
from tests.helpers.server import ServerProcess, TestUser
from tests.sync.conftest import dump_cache, dump_session, fresh_sync, seed

pytestmark = pytest.mark.slow

DESKS = ("ann", "bob")
TAGS = ("vip", "refund", "late")
desk = st.sampled_from(DESKS)


class _RollBack(Exception):
    """Leaves a write transaction without committing it."""


index = st.integers(0, 1)  # few conversations: the desks collide often


class TwoDesks(RuleBasedStateMachine):
    """Each rule is one agent action or one sync step; nothing runs in the background, so an
    example is an exact interleaving and hypothesis can shrink a failure to a short story."""

    def __init__(self, env: dict[str, Any]) -> None:
        super().__init__()
        self.env = env
        env["example"] += 1
        folder: Path = env["tmp"] / f"example-{env['example']}"
        self.conversations: list[str] = env["conversations"]
        self.customers: list[str] = env["customers"]
        self._reset_server()
        self.desks: dict[str, SyncEngine] = {}
        for name in DESKS:
            cache = LocalCache(folder / f"{name}.sqlite")
            cache.set_user(env["users"][name])
            self.desks[name] = SyncEngine(cache, SyncApi(env["url"], env["tokens"][name]))
            self.desks[name].sync_now()

    def _reset_server(self) -> None:
        """Start every example from the same server state, so a failure replays the same."""
        mutations: list[Mutation] = []
        for cid in self.conversations:
            for mtype, args in (
                (MutationType.CONVERSATION_ASSIGN, {"assignee_id": None}),
                (MutationType.CONVERSATION_STATUS, {"status": "open"}),
                (MutationType.CONVERSATION_TAGS, {"remove": list(TAGS)}),
            ):
                args = {"conversation_id": cid, **args}
                mutations.append({"id": str(uuid.uuid4()), "type": mtype.value, "args": args})
        for n, cust in enumerate(self.customers):
            fields = {"notes": "", "language": "en", "loyalty_points": 0, "name": f"C{n}"}
            mutations.append(
                {
                    "id": str(uuid.uuid4()),
                    "type": MutationType.CUSTOMER_UPDATE.value,
                    "args": {"customer_id": cust, "fields": fields},
                }
            )
        results = self.env["admin"].push(mutations)
        assert all(r["status"] == "applied" for r in results), results

    def act(self, name: str, mtype: MutationType, args: dict[str, Any]) -> None:
        self.desks[name].enqueue(mtype, args)

    # --- agent actions, taken offline ----------------------------------------------------------

    @rule(name=desk, i=index, body=st.sampled_from(["Thanks!", "  \nOn its way", "x" * 50]))
    def reply(self, name: str, i: int, body: str) -> None:
        self.act(
            name,
            MutationType.MESSAGE_SEND,
            {"conversation_id": self.conversations[i], "body_text": body},
        )

    @rule(name=desk, i=index)
    def note(self, name: str, i: int) -> None:
        self.act(
            name,
            MutationType.MESSAGE_SEND,
            {"conversation_id": self.conversations[i], "body_text": "note", "is_note": True},
        )

    @rule(name=desk, i=index)
    def claim(self, name: str, i: int) -> None:
        self.act(name, MutationType.CONVERSATION_CLAIM, {"conversation_id": self.conversations[i]})

    @rule(name=desk, i=index)
    def unassign(self, name: str, i: int) -> None:
        self.act(
            name,
            MutationType.CONVERSATION_ASSIGN,
            {"conversation_id": self.conversations[i], "assignee_id": None},
        )

    @rule(name=desk, i=index, status=st.sampled_from(["open", "pending", "resolved", "snoozed"]))
    def set_status(self, name: str, i: int, status: str) -> None:
        args: dict[str, Any] = {"conversation_id": self.conversations[i], "status": status}
        if status == "snoozed":
            args["snoozed_until"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        self.act(name, MutationType.CONVERSATION_STATUS, args)

    @rule(
        name=desk,
        i=index,
        add=st.lists(st.sampled_from(TAGS), max_size=2),
        remove=st.lists(st.sampled_from(TAGS), max_size=2),
    )
    def tag(self, name: str, i: int, add: list[str], remove: list[str]) -> None:
        self.act(
            name,
            MutationType.CONVERSATION_TAGS,
            {"conversation_id": self.conversations[i], "add": add, "remove": remove},
        )

    @rule(
        name=desk,
        i=st.integers(0, 1),
        fields=st.fixed_dictionaries(
            {},
            optional={
                "notes": st.sampled_from(["calls at 9", "prefers email"]),
                "language": st.sampled_from(["en", "de"]),
                "loyalty_points": st.integers(-1, 50),  # -1: the server rejects it
                "name": st.sampled_from(["Carla", "Carla B."]),
            },
        ).filter(bool),
    )
    def edit_customer(self, name: str, i: int, fields: dict[str, Any]) -> None:
        self.act(
            name, MutationType.CUSTOMER_UPDATE, {"customer_id": self.customers[i], "fields": fields}
        )

    @rule(name=desk, i=index)
    def delete(self, name: str, i: int) -> None:
        # Agents may not delete: always rejected, and the conversation must come back.
        self.act(name, MutationType.CONVERSATION_DELETE, {"conversation_id": self.conversations[i]})

    # --- sync steps ----------------------------------------------------------------------------

    @rule(name=desk)
    def push(self, name: str) -> None:
        engine = self.desks[name]
        before = dump_cache(engine.cache)
        rejected = engine.outbox.counts().rejected
        engine.push_once()
        if engine.outbox.counts().rejected == rejected:
            # Accepted actions stay exactly as shown until the feed brings them back.
            assert dump_cache(engine.cache) == before, "an accepted action flickered"

    @rule(name=desk)
    def pull(self, name: str) -> None:
        self.desks[name].pull_once(wait=0)

    @rule(name=desk)
    def push_then_other_pulls(self, name: str) -> None:
        self.push(name)
        self.pull(next(n for n in DESKS if n != name))

    @invariant()
    def cache_is_server_truth_plus_local_actions(self) -> None:
        """A rebase now must change nothing: no pull or answer left an effect out."""
        for name, engine in self.desks.items():
            try:
                with engine.cache.write() as s:
                    before = dump_session(s)
                    rebase(s)
                    after = dump_session(s)
                    raise _RollBack
            except _RollBack:
                pass
            assert after == before, f"{name}'s cache is not truth + replayed actions"

    @invariant()
    def pending_actions_stay_visible(self) -> None:
        for engine in self.desks.values():
            shown = dump_cache(engine.cache, (Entity.MESSAGE,))[Entity.MESSAGE]
            for entry in engine.outbox.pending():
                if entry.type == MutationType.MESSAGE_SEND:
                    assert entry.args["message_id"] in shown, "a pending reply vanished"

    def teardown(self) -> None:
        try:
            for _ in range(3):  # a push can make the other desk's next pull non-empty
                for engine in self.desks.values():
                    engine.sync_now()
            for engine in self.desks.values():
                assert engine.outbox.counts().pending == 0
            reference = fresh_sync(
                self.env["url"],
                self.env["test_users"]["ann"],
                self.env["tmp"] / f"ref-{self.env['example']}.sqlite",
                token=self.env["tokens"]["ann"],
            )
            truth = dump_cache(reference)
            reference.close()
            for name, engine in self.desks.items():
                mine = dump_cache(engine.cache)
                for entity in truth:
                    assert mine[entity] == truth[entity], (
                        f"{name}'s {entity} differs from the server"
                    )
                for entry in engine.outbox.rejected():  # rejected effects were taken back
                    for entity, ident in affected(entry.type, entry.args):
                        if entity != Entity.MESSAGE:
                            assert ident in mine[entity]
        finally:
            for engine in self.desks.values():
                engine.api.close()
                engine.cache.close()


def test_two_desks_converge_to_the_server(
    server: ServerProcess, db_url: str, users: dict[str, TestUser], tmp_path: Path
) -> None:
    seeded = seed(db_url, customers=2, conversations_per_customer=2)
    admin = SyncApi(server.url)
    admin.login("adm", users["adm"].password)
    env: dict[str, Any] = {
        "url": server.url,
        "tmp": tmp_path,
        "example": 0,
        "conversations": seeded.conversations,
        "customers": seeded.customers,
        "admin": admin,
        "users": {},
        "tokens": {},
        "test_users": users,
    }
    for name in DESKS:
        api = SyncApi(server.url)
        result = api.login(name, users[name].password)
        env["users"][name] = result.user
        env["tokens"][name] = result.token
    run_state_machine_as_test(
        lambda: TwoDesks(env),
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert env["example"] >= 15
