"""Calls as a synced entity: who took it (Twilio's answer hook, ``call.take`` races), wrap-up
rules, the history line, and call scripts imported by an operator."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from csdesk.server.channels.config_store import Provider
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels.support import (
    Desk,
    Fakes,
    live_desk,
    new_sid,
    state_for,
    voice_params,
    wait_until,
)

ANN_PHONE = "+14155550199"


@pytest.fixture(scope="module", autouse=True)
def _snoozes_wake_quickly() -> Iterator[None]:
    """The module's server wakes due snoozes (scheduled callbacks) five times a second."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")
        yield


@pytest.fixture(scope="module")
def phones(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """A live server whose Twilio number rings Ann's phone and Bob's desk client."""
    with live_desk(
        backend,
        shared_users,
        fakes,
        tmp_path_factory,
        (Provider.TWILIO,),
        voice_dial=f"ann={ANN_PHONE},bob=client:bob",
    ) as desk:
        yield desk


def _caller() -> str:
    return "+1415556" + new_sid("")[:4].translate(str.maketrans("abcdef", "123456"))


def _ring(desk: Desk) -> tuple[str, str, ET.Element]:
    """An inbound call starts ringing; returns its sid, its synced call id and the TwiML."""
    sid, caller = new_sid("CA"), _caller()
    r = desk.twilio("/webhooks/twilio/voice", voice_params(sid, caller, "ringing"))
    assert r.status_code == 200, r.text
    call = wait_until(lambda: _call_by_sid(desk, sid), what="the synced call")
    assert call["outcome"] == "ringing" and call["agent_id"] is None
    assert call["from_number"] == caller and call["direction"] == "in"
    return sid, call["id"], ET.fromstring(r.content)


def _call_by_sid(desk: Desk, sid: str) -> dict[str, Any] | None:
    return next((c for c in desk.entities("call").values() if c["call_sid"] == sid), None)


def _user_ids(desk: Desk) -> dict[str, str]:
    return {u["username"]: uid for uid, u in desk.entities("user").items()}


def _as(desk: Desk, users: dict[str, TestUser], name: str) -> Raw:
    return Raw.signed_in(desk.server, users[name])


def test_the_dial_asks_twilio_to_report_who_answered(phones: Desk) -> None:
    sid, call_id, root = _ring(phones)
    dial = root.find("Dial")
    assert dial is not None
    number, client = dial.find("Number"), dial.find("Client")
    assert number is not None and client is not None
    assert number.text == ANN_PHONE and client.text == "bob"
    hook = number.get("url")
    assert hook is not None and number.get("method") == "POST"
    assert hook.startswith(phones.url("/webhooks/twilio/voice/answered"))
    assert parse_qs(urlsplit(hook).query) == {"agent": ["ann"]}
    assert parse_qs(urlsplit(client.get("url") or "").query) == {"agent": ["bob"]}

    # Ann's phone picks up: Twilio requests the hook for the agent's leg, signed over the URL
    # with its query (so the agent named in it cannot be changed without the auth token).
    path = urlsplit(hook).path + "?" + urlsplit(hook).query
    leg = voice_params(new_sid("CA"), "+14155550100", "in-progress", ParentCallSid=sid)
    leg["Direction"] = "outbound-dial"
    forged = phones.twilio(path.replace("agent=ann", "agent=bob"), leg, signed_url=phones.url(path))
    assert forged.status_code == 403
    r = phones.twilio(path, leg)
    assert r.status_code == 200 and list(ET.fromstring(r.content)) == []  # connect the call

    ann = _user_ids(phones)["ann"]
    taken = phones.entity("call", call_id)  # recorded before the hook answered
    assert taken["agent_id"] == ann
    assert taken["outcome"] == "answered" and taken["answered_at"] is not None
    msg = phones.entity("message", taken["message_id"])
    assert msg["body_text"].endswith("taken by ann")  # test users' display name is their name
    assert phones.entity("conversation", taken["conversation_id"])["assignee_id"] == ann


def test_a_trainee_named_by_the_answer_hook_never_takes_a_production_call(
    phones: Desk,
) -> None:
    """Trainees live in the training sandbox: a phone listed for one by mistake must not make
    them the agent (and assignee) of a real customer's call they cannot even see."""
    sid, call_id, root = _ring(phones)
    dial = root.find("Dial")
    number = dial.find("Number") if dial is not None else None
    hook = number.get("url") if number is not None else None
    assert hook is not None
    path = urlsplit(hook).path + "?agent=tia"
    leg = voice_params(new_sid("CA"), "+14155550100", "in-progress", ParentCallSid=sid)
    leg["Direction"] = "outbound-dial"
    r = phones.twilio(path, leg)
    assert r.status_code == 200
    call = phones.entity("call", call_id)
    assert call["agent_id"] is None and call["outcome"] == "ringing"
    assert phones.entity("conversation", call["conversation_id"])["assignee_id"] is None


def test_two_desks_race_to_take_a_call_and_one_wins(
    phones: Desk, shared_users: dict[str, TestUser]
) -> None:
    _sid, call_id, _root = _ring(phones)
    desks = {n: _as(phones, shared_users, n) for n in ("ann", "bob")}
    results: dict[str, dict[str, Any]] = {}
    start = threading.Barrier(2)

    def take(name: str) -> None:
        start.wait()
        results[name] = desks[name].push(("call.take", {"call_id": call_id}))[0]

    threads = [threading.Thread(target=take, args=(n,)) for n in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = sorted(r["status"] for r in results.values())
    assert statuses == ["applied", "rejected"], results
    winner = next(n for n, r in results.items() if r["status"] == "applied")
    loser = next(n for n, r in results.items() if r["status"] == "rejected")
    reason = results[loser]["reason"]
    assert reason["code"] == "already_assigned"
    assert reason["message"] == f"{winner} has already taken this call."
    assert phones.entity("call", call_id)["agent_id"] == _user_ids(phones)[winner]
    # Taking it again is harmless for the winner.
    again = desks[winner].push(("call.take", {"call_id": call_id}))[0]
    assert again["status"] == "applied"


def test_a_call_that_rang_out_cannot_be_taken(
    phones: Desk, shared_users: dict[str, TestUser]
) -> None:
    sid, call_id, _root = _ring(phones)
    caller = phones.entity("call", call_id)["from_number"]
    assert phones.twilio("/webhooks/twilio/voice", voice_params(sid, caller, "no-answer")).ok
    assert phones.entity("call", call_id)["outcome"] == "missed"
    result = _as(phones, shared_users, "bob").push(("call.take", {"call_id": call_id}))[0]
    assert result["status"] == "rejected" and result["reason"]["code"] == "call_ended"


def test_wrap_up_rules_history_line_and_audit(
    phones: Desk, shared_users: dict[str, TestUser]
) -> None:
    _sid, call_id, _root = _ring(phones)
    ann, bob = _as(phones, shared_users, "ann"), _as(phones, shared_users, "bob")
    sue, tia = _as(phones, shared_users, "sue"), _as(phones, shared_users, "tia")
    wrap = {
        "call_id": call_id,
        "disposition": "resolved",
        "notes": "  Parcel re-sent; customer happy.  ",
        "trail": [{"step": "greet", "choice": "where"}, {"step": "status", "choice": None}],
        "script_id": None,
    }
    # Nobody took it yet: only a supervisor may wrap it up.
    first = ann.push(("call.wrap_up", wrap))[0]
    assert first["status"] == "rejected" and first["reason"]["code"] == "forbidden"
    assert ann.push(("call.take", {"call_id": call_id}))[0]["status"] == "applied"

    refused = [
        bob.push(("call.wrap_up", wrap))[0],  # not his call
        tia.push(("call.wrap_up", wrap))[0],  # a trainee cannot see production calls
        ann.push(("call.wrap_up", {**wrap, "disposition": "sold_a_sofa"}))[0],
        ann.push(("call.wrap_up", {**wrap, "trail": [{"step": 3}]}))[0],
        ann.push(("call.wrap_up", {**wrap, "notes": "x" * 10_001}))[0],
    ]
    assert [r["reason"]["code"] for r in refused] == [
        "forbidden",
        "not_found",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert refused[0]["reason"]["message"] == "Only ann or a supervisor can wrap up this call."

    done = ann.push(("call.wrap_up", wrap))[0]
    assert done["status"] == "applied"
    call = phones.entity("call", call_id)
    assert call["disposition"] == "resolved"
    assert call["wrapup_notes"] == "Parcel re-sent; customer happy."
    assert call["script_trail"] == wrap["trail"]
    assert call["wrapped_up_at"] is not None and call["ended_at"] is not None
    line = phones.entity("message", call["message_id"])["body_text"]
    assert line.startswith(f"Call from {call['from_number']}")
    first_line, notes = line.split("\n")
    assert "taken by ann" in first_line and first_line.endswith("— Resolved")
    # The notes are in the history, not only in the call record.
    assert notes == "Notes: Parcel re-sent; customer happy."

    # A supervisor may change it; a callback needs its time, then tags the thread.
    when = datetime.now(UTC) + timedelta(hours=2)
    again = sue.push(
        (
            "call.wrap_up",
            {**wrap, "disposition": "callback_scheduled", "callback_at": when.isoformat()},
        )
    )[0]
    assert again["status"] == "applied"
    assert "callback" in phones.entity("conversation", call["conversation_id"])["tags"]
    assert (
        phones.entity("message", call["message_id"])["body_text"]
        .split("\n")[0]
        .endswith(f"— Callback scheduled for {when:%Y-%m-%d %H:%M} UTC")
    )

    state = state_for(phones.db_url, phones.data_dir)
    try:
        with state.writes() as s:
            actions = s.scalars(
                select(m.AuditEntry.action)
                .where(m.AuditEntry.entity_id == call_id)
                .order_by(m.AuditEntry.id)
            ).all()
    finally:
        state.engine.dispose()
    assert actions == ["call.take", "call.wrap_up", "call.wrap_up"]


def test_a_scheduled_callback_asks_for_its_time_and_comes_back_to_the_agent(
    phones: Desk, shared_users: dict[str, TestUser]
) -> None:
    _sid, call_id, _root = _ring(phones)
    ann = _as(phones, shared_users, "ann")
    assert ann.push(("call.take", {"call_id": call_id}))[0]["status"] == "applied"
    wrap = {"call_id": call_id, "disposition": "callback_scheduled", "notes": "Call at 3."}
    now = datetime.now(UTC)
    refused = [
        ann.push(("call.wrap_up", wrap))[0],  # no time: nothing would bring it back
        ann.push(
            ("call.wrap_up", {**wrap, "callback_at": (now - timedelta(minutes=1)).isoformat()})
        )[0],
        ann.push(("call.wrap_up", {**wrap, "callback_at": "2027-01-01T10:00:00"}))[0],  # no zone
        ann.push(
            ("call.wrap_up", {**wrap, "callback_at": (now + timedelta(days=400)).isoformat()})
        )[0],
    ]
    assert [r["status"] for r in refused] == ["rejected"] * 4, refused
    assert [r["reason"]["code"] for r in refused] == ["invalid"] * 4
    assert "date and time" in refused[0]["reason"]["message"]
    assert "past" in refused[1]["reason"]["message"]
    call = phones.entity("call", call_id)
    assert call["disposition"] is None and call["callback_at"] is None

    when = datetime.now(UTC) + timedelta(seconds=2)
    done = ann.push(("call.wrap_up", {**wrap, "callback_at": when.isoformat()}))[0]
    assert done["status"] == "applied", done
    call = phones.entity("call", call_id)
    assert call["callback_at"] is not None
    conv = phones.entity("conversation", call["conversation_id"])
    assert conv["status"] == "snoozed" and "callback" in conv["tags"]
    assert conv["assignee_id"] == _user_ids(phones)["ann"]
    line = phones.entity("message", call["message_id"])["body_text"]
    assert "Callback scheduled for" in line and line.endswith("Notes: Call at 3.")

    # On time the server's snooze waker gives it back, open, to Ann: wait on the feed.
    after = done["seq"]
    deadline = datetime.now(UTC) + timedelta(seconds=30)  # a bound, not a timing assertion
    woke: dict[str, Any] | None = None
    while woke is None:
        assert datetime.now(UTC) < deadline, "the callback never came back"
        page = ann.get("/api/v1/changes", params={"after": after, "wait": 10}).json()
        after = page["cursor"]
        for change in page["changes"]:
            data = change["data"]
            if change["id"] == call["conversation_id"] and data and data["status"] == "open":
                woke = data
    assert datetime.now(UTC) >= when
    assert woke["assignee_id"] == _user_ids(phones)["ann"] and "callback" in woke["tags"]


def test_scripts_import_and_list_through_the_cli(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from csdesk.server import cli, scripts

    shipped = sorted(scripts.default_dir().glob("*.json"))
    assert len(shipped) >= 3
    assert cli.main(["scripts", "import", "--db", db_url, *map(str, shipped)]) == 0
    assert cli.main(["scripts", "import", "--db", db_url, str(shipped[0])]) == 0  # replaces
    capsys.readouterr()
    assert cli.main(["scripts", "list", "--db", db_url]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 * len(shipped)  # production and training, each once
    assert any("order_enquiry" in line and "Order enquiry" in line for line in listed)

    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"id": "b", "title": "B", "steps": [{"id": "a", "text": "Hi", "next": "nowhere"}]}'
    )
    assert cli.main(["scripts", "import", "--db", db_url, str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "step 'a' leads to unknown step 'nowhere'" in err
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"id": "b",')
    assert cli.main(["scripts", "import", "--db", db_url, str(bad_json)]) == 2
    assert "not valid JSON (line 1" in capsys.readouterr().err
