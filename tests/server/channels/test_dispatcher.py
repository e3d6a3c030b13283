"""The dispatcher in process: several of them on one database never send a message twice."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from csdesk.domain.enums import Channel, DeliveryStatus, Direction, Realm
from csdesk.server.channels import senders
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.dispatcher import Dispatcher, backoff
from csdesk.server.channels.runtime import ChannelRuntime
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.storage.wire import to_wire
from tests.helpers.data import make_conversations, new_id
from tests.server.channels.support import Fakes, configure, state_for


def _queue(db_url: str, data_dir: Path, count: int, realm: Realm = Realm.PRODUCTION) -> list[str]:
    made = make_conversations(db_url, count, realm=realm, channel=Channel.SMS)
    state = state_for(db_url, data_dir)
    ids = []
    try:
        with state.writes() as s:
            for n, conv in enumerate(made):
                s.add(
                    m.CustomerIdentity(
                        id=new_id(),
                        realm=realm.value,
                        customer_id=conv.customer_id,
                        kind="phone",
                        value=f"+1415555{n:04d}",
                    )
                )
                msg = m.Message(
                    id=new_id(),
                    realm=realm.value,
                    conversation_id=conv.conversation_id,
                    channel=Channel.SMS.value,
                    direction=Direction.OUT.value,
                    body_text=f"reply {n}",
                    delivery_status=DeliveryStatus.QUEUED.value,
                )
                s.add(msg)
                ids.append(msg.id)
            s.commit()
    finally:
        state.engine.dispose()
    return ids


def test_concurrent_dispatchers_send_each_message_once(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    fakes = Fakes.start()
    try:
        configure(db_url, tmp_path, fakes, (Provider.TWILIO,))
        ids = _queue(db_url, tmp_path, 12)
        training = _queue(db_url, tmp_path, 1, Realm.TRAINING)
        states = [state_for(db_url, tmp_path) for _ in range(3)]
        try:
            dispatchers = []
            for st in states:
                rt = ChannelRuntime(st)
                dispatchers.append(Dispatcher(st, rt.settings, rt.public_url))
            barrier = threading.Barrier(len(dispatchers))

            def run(d: Dispatcher) -> None:
                barrier.wait()
                while d.run_once():
                    pass

            threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            with states[0].reads() as s:
                rows = {i: s.get(m.Message, i) for i in ids + training}
        finally:
            for st in states:
                st.engine.dispose()
        bodies = Counter(r.form_dict()["Body"] for r in fakes.twilio.requests)
        assert bodies == Counter(f"reply {n}" for n in range(12))  # each exactly once
        assert all(rows[i] is not None and rows[i].delivery_status == "sent" for i in ids)  # type: ignore[union-attr]
        # The training sandbox never reaches a real provider.
        assert rows[training[0]].delivery_status == "queued"  # type: ignore[union-attr]
    finally:
        fakes.stop()


def test_backoff_doubles_and_respects_the_providers_hint() -> None:
    assert 1.8 <= backoff(1, 2.0) <= 2.2
    assert 7.2 <= backoff(3, 2.0) <= 8.8
    assert backoff(30, 2.0) <= 330
    assert backoff(1, 0.1, hint=5.0) == 5.0


def test_replies_no_provider_can_take_fail_together_with_the_reason(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    ids = _queue(db_url, tmp_path, 3)  # SMS, and no provider configured
    states = [state_for(db_url, tmp_path) for _ in range(2)]
    try:
        dispatchers = []
        for st in states:
            rt = ChannelRuntime(st)
            dispatchers.append(Dispatcher(st, rt.settings, rt.public_url))
        assert dispatchers[0].run_once() == 3
        assert dispatchers[1].run_once() == 0  # nothing is queued any more
        with states[0].reads() as s:
            rows = [s.get_one(m.Message, i) for i in ids]
            attempts = [s.get_one(m.OutboundAttempt, i) for i in ids]
            fed = {
                c.entity_id: orjson.loads(c.payload or "null")
                for c in s.scalars(select(m.SyncChange).where(m.SyncChange.entity_id.in_(ids)))
            }
    finally:
        for st in states:
            st.engine.dispose()
    for msg in rows:
        assert msg.delivery_status == DeliveryStatus.FAILED.value
        assert msg.failure_reason is not None and "No provider for sms" in msg.failure_reason
    assert [(a.attempts, a.lease_until) for a in attempts] == [(1, None)] * 3
    assert fed == {msg.id: to_wire(msg) for msg in rows}  # desks get exactly what is stored


def test_one_reply_whose_plan_breaks_does_not_stall_the_others(
    db_url: str, tmp_path: Path, channel_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch pre-check of unsendable replies planned every due reply before any send: an
    unexpected error planning one failed every round, and no reply left at all."""
    fakes = Fakes.start()
    try:
        configure(db_url, tmp_path, fakes, (Provider.TWILIO,))
        broken, fine = _queue(db_url, tmp_path, 2)
        real_plan = senders.plan

        def plan(s: Any, msg: m.Message, *rest: Any) -> senders.Plan:
            if msg.id == broken:
                raise RuntimeError("a bug planning this one reply")
            return real_plan(s, msg, *rest)

        monkeypatch.setattr(senders, "plan", plan)
        st = state_for(db_url, tmp_path)
        try:
            rt = ChannelRuntime(st)
            d = Dispatcher(st, rt.settings, rt.public_url)
            for _ in range(3):  # the worker loop retries a failed round
                with contextlib.suppress(RuntimeError):
                    d.run_once()
            with st.reads() as s:
                status = {i: s.get_one(m.Message, i).delivery_status for i in (broken, fine)}
        finally:
            st.engine.dispose()
        assert status == {broken: "queued", fine: "sent"}
        assert [r.form_dict()["Body"] for r in fakes.twilio.requests] == ["reply 1"]
    finally:
        fakes.stop()


def test_prefetched_addresses_match_the_lookup_one_reply_at_a_time(
    db_url: str, tmp_path: Path
) -> None:
    """A round looks up every reply's address in two queries (``prefetch_addresses``): each
    answers as the per-reply lookup does — a recorded route, else the customer's newest
    identity of the channel's kind, else "no address" — and email needs none."""
    routed, newest, bare, mail = make_conversations(db_url, 4, channel=Channel.SMS)
    st = state_for(db_url, tmp_path)
    try:
        with st.writes() as s:
            s.add(
                m.ConversationRoute(
                    conversation_id=routed.conversation_id,
                    provider=Provider.TWILIO.value,
                    kind="phone",
                    address="+14155550100",
                    business="+14155550199",
                )
            )
            for n, value in enumerate(("+14155550001", "+14155550002")):
                s.add(
                    m.CustomerIdentity(
                        id=new_id(),
                        realm=Realm.PRODUCTION.value,
                        customer_id=newest.customer_id,
                        kind="phone",
                        value=value,
                        created_at=utcnow() + timedelta(seconds=n),
                    )
                )
            s.commit()
        pairs = [
            (routed, Channel.SMS),
            (newest, Channel.SMS),
            (bare, Channel.SMS),
            (mail, Channel.EMAIL),
        ]

        def addresses(prefetch: bool) -> list[object]:
            with st.reads() as s:
                convs = [s.get_one(m.Conversation, c.conversation_id) for c, _ in pairs]
                if prefetch:
                    senders.prefetch_addresses(
                        s, [(conv, ch.value) for conv, (_, ch) in zip(convs, pairs, strict=True)]
                    )
                out: list[object] = []
                for conv, (_, ch) in zip(convs, pairs, strict=True):
                    if ch == Channel.EMAIL:
                        continue
                    try:
                        out.append(senders._address(s, conv, ch))
                    except senders.PlanError as exc:
                        out.append(str(exc))
                return out

        assert (
            addresses(prefetch=True)
            == addresses(prefetch=False)
            == [
                senders.Address(Provider.TWILIO, "+14155550100", "+14155550199"),
                senders.Address(None, "+14155550002", None),
                "The customer has no sms address to reply to.",
            ]
        )
    finally:
        st.engine.dispose()
