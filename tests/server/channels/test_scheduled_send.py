"""Scheduled replies (issue 14, docs/scheduled-send.md) in process, on both databases: held
until their time, then sent once through the outbound dispatcher to the channel (a fake
Twilio); changed or cancelled before, refused after; WhatsApp's window checked at send time;
several server processes claiming at once send each reply once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from csdesk.domain.enums import Channel, IdentityKind, Role
from csdesk.protocol import MutationType
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.dispatcher import Dispatcher
from csdesk.server.channels.runtime import ChannelRuntime
from csdesk.server.scheduled.due import send_due
from csdesk.server.state import ServerState
from csdesk.server.sync.mutations import Reject, apply
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations, new_id
from tests.server.channels.support import Fakes, configure, state_for


def _setup(db_url: str, tmp_path: Path, channel: Channel = Channel.SMS) -> tuple[str, str, str]:
    """(conversation id, agent id, other agent id) on ``channel``, the customer with a phone."""
    made = make_conversations(db_url, 1, channel=channel)[0]
    state = state_for(db_url, tmp_path)
    try:
        with state.writes() as s:
            s.add(
                m.CustomerIdentity(
                    id=new_id(), customer_id=made.customer_id, kind="phone", value="+14155550177"
                )
            )
            conv = s.get(m.Conversation, made.conversation_id)
            assert conv is not None
            conv.last_inbound_at = utcnow()
            ids = []
            for name in ("ann", "bob"):
                user = m.User(
                    id=new_id(), username=f"{name}-{new_id()[:6]}", display_name=name.title(),
                    role=Role.AGENT.value,
                )  # fmt: skip
                s.add(user)
                ids.append(user.id)
            s.commit()
    finally:
        state.engine.dispose()
    return made.conversation_id, ids[0], ids[1]


def _do(state: ServerState, user_id: str, mtype: str, args: dict[str, Any]) -> None:
    with state.writes() as s:
        user = s.get(m.User, user_id)
        assert user is not None
        apply(s, user, mtype, args)
        s.commit()


def _refusal(state: ServerState, user_id: str, mtype: str, args: dict[str, Any]) -> str:
    with pytest.raises(Reject) as caught:
        _do(state, user_id, mtype, args)
    return caught.value.message


def _schedule(state: ServerState, user_id: str, conv_id: str, text: str, minutes: float) -> str:
    sid = new_id()
    at = (utcnow() + timedelta(minutes=minutes)).isoformat()
    _do(
        state, user_id, MutationType.SCHEDULED_SEND,
        {"scheduled_id": sid, "conversation_id": conv_id, "body_text": text, "send_at": at},
    )  # fmt: skip
    return sid


def _dispatch(state: ServerState) -> None:
    rt = ChannelRuntime(state)
    d = Dispatcher(state, rt.settings, rt.public_url)
    while d.run_once():
        pass


def test_held_until_due_then_sent_once_through_the_channel(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    fakes = Fakes.start()
    try:
        configure(db_url, tmp_path, fakes, (Provider.TWILIO,))
        conv_id, ann, _bob = _setup(db_url, tmp_path)
        state = state_for(db_url, tmp_path)
        try:
            sid = _schedule(state, ann, conv_id, "Your parcel leaves tomorrow.", 60)
            # Before its time: nothing is claimed and nothing reaches the channel.
            with state.writes() as s:
                assert send_due(s, utcnow()) == []
                s.commit()
            _dispatch(state)
            assert fakes.twilio.requests == []
            # Its time comes (the round is given a later "now"): one message, sent once.
            later = utcnow() + timedelta(hours=2)
            with state.writes() as s:
                assert send_due(s, later) == [sid]
                s.commit()
            with state.writes() as s:
                assert send_due(s, later) == []  # already handed on
                s.commit()
            _dispatch(state)
            bodies = [r.form_dict()["Body"] for r in fakes.twilio.requests]
            assert bodies == ["Your parcel leaves tomorrow."]
            with state.reads() as s:
                row = s.get(m.ScheduledMessage, sid)
                msg = s.get(m.Message, sid)
                assert row is not None and row.status == "sent" and row.message_id == sid
                assert msg is not None and msg.delivery_status == "sent"
                assert msg.author_user_id == ann
            # After it went: changing or cancelling is refused, in words that say so.
            why = _refusal(state, ann, MutationType.SCHEDULED_CANCEL, {"scheduled_id": sid})
            assert "already been sent" in why
            why = _refusal(
                state, ann, MutationType.SCHEDULED_EDIT, {"scheduled_id": sid, "body_text": "x"}
            )
            assert "already been sent" in why
        finally:
            state.engine.dispose()
    finally:
        fakes.stop()


def test_edit_and_cancel_before_its_time(db_url: str, tmp_path: Path) -> None:
    conv_id, ann, bob = _setup(db_url, tmp_path)
    state = state_for(db_url, tmp_path)
    try:
        sid = _schedule(state, ann, conv_id, "First draft", 30)
        new_at = utcnow() + timedelta(hours=5)
        change = {"scheduled_id": sid, "body_text": "Second draft", "send_at": new_at.isoformat()}
        _do(state, ann, MutationType.SCHEDULED_EDIT, change)
        # Another agent may not change it; a time in the far past or future is refused.
        why = _refusal(state, bob, MutationType.SCHEDULED_CANCEL, {"scheduled_id": sid})
        assert "author" in why
        for bad in ("2001-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00", "2030-01-01T00:00"):
            why = _refusal(state, ann, MutationType.SCHEDULED_EDIT,
                           {"scheduled_id": sid, "send_at": bad})  # fmt: skip
            assert "past" in why or "year ahead" in why or "time zone" in why
        with state.writes() as s:  # the old time passes: not sent, it moved
            assert send_due(s, utcnow() + timedelta(hours=1)) == []
            s.commit()
        _do(state, ann, MutationType.SCHEDULED_CANCEL, {"scheduled_id": sid})
        with state.writes() as s:
            assert send_due(s, utcnow() + timedelta(hours=6)) == []
            s.commit()
        with state.reads() as s:
            row = s.get(m.ScheduledMessage, sid)
            assert row is not None and row.status == "cancelled"
            assert row.body_text == "Second draft" and row.send_at == new_at
            assert s.get(m.Message, sid) is None
        why = _refusal(state, ann, MutationType.SCHEDULED_CANCEL, {"scheduled_id": sid})
        assert "already cancelled" in why
    finally:
        state.engine.dispose()


def test_bad_text_is_refused_not_stored(db_url: str, tmp_path: Path) -> None:
    conv_id, ann, _bob = _setup(db_url, tmp_path)
    state = state_for(db_url, tmp_path)
    try:
        at = (utcnow() + timedelta(hours=1)).isoformat()
        for text in ("a\x00b", "lone \ud800 surrogate", "   ", "x" * 20_001):
            why = _refusal(state, ann, MutationType.SCHEDULED_SEND,
                           {"scheduled_id": new_id(), "conversation_id": conv_id,
                            "body_text": text, "send_at": at})  # fmt: skip
            assert why.startswith("Invalid")
        with state.reads() as s:
            assert s.query(m.ScheduledMessage).count() == 0
    finally:
        state.engine.dispose()


def test_whatsapp_window_is_checked_when_it_is_due(db_url: str, tmp_path: Path) -> None:
    conv_id, ann, _bob = _setup(db_url, tmp_path, Channel.WHATSAPP)
    state = state_for(db_url, tmp_path)
    try:
        sid = _schedule(state, ann, conv_id, "Following up on your order", 1)
        with state.writes() as s:  # meanwhile the customer's 24-hour window has closed
            conv = s.get(m.Conversation, conv_id)
            assert conv is not None
            conv.last_inbound_at = utcnow() - timedelta(hours=25)
            s.commit()
        with state.writes() as s:
            assert send_due(s, utcnow() + timedelta(minutes=2)) == [sid]
            s.commit()
        with state.reads() as s:
            row = s.get(m.ScheduledMessage, sid)
            msg = s.get(m.Message, sid)
            assert row is not None and row.status == "failed"
            assert msg is not None and msg.delivery_status == "failed"
            assert "24 hours" in (msg.failure_reason or "")
    finally:
        state.engine.dispose()


def test_several_processes_claim_each_reply_once(db_url: str, tmp_path: Path) -> None:
    conv_id, ann, _bob = _setup(db_url, tmp_path)
    states = [state_for(db_url, tmp_path) for _ in range(3)]
    try:
        sids = {_schedule(states[0], ann, conv_id, f"reply {n}", 1) for n in range(8)}
        later = utcnow() + timedelta(minutes=5)
        barrier = threading.Barrier(len(states))
        claimed: list[list[str]] = [[] for _ in states]

        def run(n: int) -> None:
            barrier.wait()
            with states[n].writes() as s:
                claimed[n] = send_due(s, later)
                s.commit()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(len(states))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        every = [sid for ids in claimed for sid in ids]
        assert sorted(every) == sorted(sids)  # each exactly once
        with states[0].reads() as s:
            assert s.query(m.Message).filter(m.Message.id.in_(sids)).count() == len(sids)
    finally:
        for st in states:
            st.engine.dispose()


def test_a_customer_reply_answers_conditional_reminders_at_once(
    db_url: str, tmp_path: Path
) -> None:
    from csdesk.server.channels.inbound import Handle, InboundMessage
    from csdesk.server.channels.ingest import ingest_message
    from csdesk.server.scheduled.due import remind_due

    _conv, ann, _bob = _setup(db_url, tmp_path)
    state = state_for(db_url, tmp_path)

    def customer_writes(text: str) -> str:
        msg = InboundMessage(
            channel=Channel.SMS,
            provider_message_id=f"p-{new_id()}",
            sender_handle=Handle(IdentityKind.PHONE, "+14155550199"),
            sender_name=None,
            text=text,
            sent_at=utcnow(),
        )
        with state.writes() as s:
            result = ingest_message(s, msg)
            s.commit()
        return result.conversation_id

    try:
        conv_id = customer_writes("Where is my parcel?")
        later = (utcnow() + timedelta(days=2)).isoformat()
        iffy, always = new_id(), new_id()
        for rid, only in ((iffy, True), (always, False)):
            _do(state, ann, MutationType.REMINDER_SET,
                {"reminder_id": rid, "conversation_id": conv_id, "due_at": later,
                 "only_if_no_reply": only})  # fmt: skip
        assert customer_writes("Any news?") == conv_id  # the same thread
        with state.reads() as s:
            assert s.get(m.Reminder, iffy).status == "answered"  # type: ignore[union-attr]
            assert s.get(m.Reminder, always).status == "pending"  # type: ignore[union-attr]
        with state.writes() as s:  # two days on: only the unconditional one comes due
            assert remind_due(s, utcnow() + timedelta(days=3)) == [always]
            s.commit()
        with state.reads() as s:
            assert s.get(m.Reminder, always).status == "due"  # type: ignore[union-attr]
    finally:
        state.engine.dispose()


def test_a_reply_scheduled_under_a_taken_message_id_never_stops_the_round(
    db_url: str, tmp_path: Path
) -> None:
    """Outside review: a reply scheduled under the id of a message already sent was refused at
    its time, its "failed" message then reused that id, and the primary-key error rolled the
    whole round back, every round: no scheduled reply or reminder came due for anyone. Now
    such an id is refused when scheduling, and a round survives the reverse order (a message
    sent under a pending scheduled reply's id)."""
    from csdesk.server.scheduled.due import remind_due

    conv_id, ann, _bob = _setup(db_url, tmp_path)
    state = state_for(db_url, tmp_path)
    try:
        sent = new_id()
        _do(state, ann, MutationType.MESSAGE_SEND,
            {"conversation_id": conv_id, "message_id": sent, "body_text": "Hello"})  # fmt: skip
        at = (utcnow() + timedelta(minutes=5)).isoformat()
        refused = _refusal(
            state, ann, MutationType.SCHEDULED_SEND,
            {"scheduled_id": sent, "conversation_id": conv_id, "body_text": "x", "send_at": at},
        )  # fmt: skip
        assert refused == "A message with this id already exists."
        # The reverse order: scheduled first, then a message sent under the same id.
        clash = _schedule(state, ann, conv_id, "Scheduled first", 5)
        _do(state, ann, MutationType.MESSAGE_SEND,
            {"conversation_id": conv_id, "message_id": clash, "body_text": "Sent now"})  # fmt: skip
        good = _schedule(state, ann, conv_id, "An innocent reply", 5)
        reminder = new_id()
        _do(state, ann, MutationType.REMINDER_SET,
            {"reminder_id": reminder, "conversation_id": conv_id, "due_at": at,
             "only_if_no_reply": False})  # fmt: skip
        later = utcnow() + timedelta(minutes=10)
        with state.writes() as s:
            assert sorted(send_due(s, later)) == sorted([clash, good])
            s.commit()
        with state.writes() as s:
            assert remind_due(s, later) == [reminder]
            s.commit()
        with state.reads() as s:
            clashed = s.get(m.ScheduledMessage, clash)
            assert clashed is not None and clashed.status == "failed"
            assert clashed.message_id not in (None, clash)  # its failure shown under a new id
            failed = s.get(m.Message, clashed.message_id)
            assert failed is not None and failed.body_text == "Scheduled first"
            kept = s.get(m.Message, clash)
            assert kept is not None and kept.body_text == "Sent now"  # untouched
            assert s.get(m.ScheduledMessage, good).status == "sent"  # type: ignore[union-attr]
    finally:
        state.engine.dispose()


def test_a_scheduled_reply_and_a_reminder_follow_a_merge(db_url: str, tmp_path: Path) -> None:
    """Outside review: a reply scheduled on a conversation merged away later went out into
    the hidden merged conversation on its old channel, and a conditional reminder there came
    due although the customer had written (into the conversation it was merged into)."""
    from csdesk.server.channels.inbound import Handle, InboundMessage
    from csdesk.server.channels.ingest import ingest_message
    from csdesk.server.scheduled.due import remind_due
    from tests.server.conversation_merge.test_merge_split import _customer

    _conv, ann, _bob = _setup(db_url, tmp_path)
    state = state_for(db_url, tmp_path)
    phone = f"+1415556{int(new_id()[:4], 16) % 10_000:04d}"
    try:
        _cust, (target_id, source), _msgs = _customer(
            state, [(Channel.EMAIL, [0]), (Channel.SMS, [5])], phone
        )
        sid = _schedule(state, ann, source, "Your parcel leaves tomorrow.", 60)
        reminder = new_id()
        due = (utcnow() + timedelta(hours=2)).isoformat()
        _do(state, ann, MutationType.REMINDER_SET,
            {"reminder_id": reminder, "conversation_id": source, "due_at": due,
             "only_if_no_reply": True})  # fmt: skip
        _do(state, ann, MutationType.CONVERSATION_MERGE,
            {"source_conversation_id": source, "target_conversation_id": target_id})  # fmt: skip
        # Scheduled into the merged one afterwards: where it lives now.
        after = _schedule(state, ann, source, "And one more thing.", 60)
        with state.writes() as s:
            landed = ingest_message(
                s,
                InboundMessage(
                    channel=Channel.SMS, provider_message_id=f"p-{new_id()}",
                    sender_handle=Handle(IdentityKind.PHONE, phone), sender_name=None,
                    text="Any news?", sent_at=utcnow(),
                ),
            )  # fmt: skip
            s.commit()
        assert landed.conversation_id == target_id  # the customer writes where it lives now
        later = utcnow() + timedelta(hours=3)
        with state.writes() as s:
            assert sorted(send_due(s, later)) == sorted([sid, after])
            s.commit()
        with state.writes() as s:
            remind_due(s, later)
            s.commit()
        with state.reads() as s:
            for x in (sid, after):
                msg = s.get(m.Message, x)
                assert msg is not None and msg.conversation_id == target_id, x
            assert s.get(m.Reminder, reminder).status == "answered"  # type: ignore[union-attr]
    finally:
        state.engine.dispose()
