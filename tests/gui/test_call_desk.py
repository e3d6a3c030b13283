"""A phone call on the desk, by keyboard: it rings, the agent answers, the caller's
conversation, customer and script pop up, the script is walked by keys (and spoken when the
agent wants script steps spoken), the wrap-up is saved and reaches the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import ALL_VIEWS, Sort, View
from csdesk.domain.enums import IdentityKind, Realm, Role
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.signatures import twilio_signature
from csdesk.server.channels.vault import ENV_KEY, Vault
from csdesk.storage import models as m
from tests.a11y.conftest import (  # noqa: F401  (fixtures, found by name)
    SpeakingDesk,
    no_stale_windows,
    speaking_desk,
)
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.channels.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BUSINESS_NUMBER,
    new_sid,
    state_for,
    voice_params,
)

pytestmark = pytest.mark.timeout(180)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@dataclass
class PhoneServer(ServerProcess):
    caller_number: str = ""
    caller_name: str = ""


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneServer]:
    """The demo store (with its call scripts) and a Twilio number, as a shop would run it."""
    d = tmp_path_factory.mktemp("phone")
    url = seed_demo_db(d / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, Fernet.generate_key().decode())
        mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")  # scheduled callbacks come back soon
        state = state_for(url, d)
        try:
            with state.writes() as s:
                config_store.save(
                    s,
                    Vault(d),
                    Provider.TWILIO,
                    {
                        "account_sid": ACCOUNT_SID,
                        "from_number": BUSINESS_NUMBER,
                        "api_base_url": "http://127.0.0.1:9",  # never called in this test
                    },
                    {"auth_token": AUTH_TOKEN},
                )
                number, name = s.execute(
                    select(m.CustomerIdentity.value, m.Customer.name)
                    .join(m.Customer, m.Customer.id == m.CustomerIdentity.customer_id)
                    .where(
                        m.CustomerIdentity.kind == IdentityKind.PHONE.value,
                        m.CustomerIdentity.realm == Realm.PRODUCTION.value,
                        m.CustomerIdentity.verified.is_(True),  # a typed number matches nobody
                        m.Customer.merged_into_id.is_(None),
                    )
                    .order_by(m.CustomerIdentity.value)
                    .limit(1)
                ).one()
                s.commit()
        finally:
            state.engine.dispose()
        server = PhoneServer(url, log_path=d / "server.log", caller_number=number, caller_name=name)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _ring(server: ServerProcess, sid: str, caller: str) -> None:
    params = voice_params(sid, caller, "ringing")
    url = server.url + "/webhooks/twilio/voice"
    sig = twilio_signature(AUTH_TOKEN, url, params)
    r = requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=20)
    assert r.status_code == 200, r.text


def _call_status(server: ServerProcess, sid: str, status: str) -> None:
    """Twilio's status callback for the call ``sid`` (e.g. "no-answer": the caller hung up)."""
    params = voice_params(sid, "+447700900999", status)
    url = server.url + "/webhooks/twilio/voice"
    sig = twilio_signature(AUTH_TOKEN, url, params)
    r = requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=20)
    assert r.status_code == 200, r.text


def test_ringing_call_answered_walked_and_wrapped_up_by_keyboard(
    qtbot: QtBot,
    phone_server: PhoneServer,
    speaking_desk: Callable[..., SpeakingDesk],  # noqa: F811
) -> None:
    desk = speaking_desk(phone_server, "demo", speak_script_steps=True)
    w = desk.window
    calls = w.call_desk
    said: list[str] = []
    w.announced.connect(said.append)
    first_name = phone_server.caller_name.split()[0]

    # It rings: the status bar and an assertive announcement say who, and how to answer.
    sid = new_sid("CA")
    _ring(phone_server, sid, phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing), timeout=30_000)
    assert calls.ringing[0].customer_name == phone_server.caller_name
    assert calls.ring_label.isVisible() and phone_server.caller_name in calls.ring_label.text()
    assert any(
        t.startswith(f"Incoming call from {phone_server.caller_name}, {phone_server.caller_number}")
        for t in said
    )
    assert calls.panel.answer.isVisible()

    # Answer by keyboard: the screen pop opens the conversation, the caller and the script.
    w.inbox.list.setFocus()
    with qtbot.waitSignal(calls.popped, timeout=30_000) as popped:
        qtbot.keyClick(w, Qt.Key.Key_L, CTRL_SHIFT)
    call_id = popped.args[0] if popped.args else ""
    current = calls.current
    assert current is not None and current.id == call_id
    # The caller's record, not the one of the conversation open before (its context can still
    # be the window's for a moment after the call's conversation opens, under load).
    qtbot.waitUntil(
        lambda: (
            w.open_id == current.conversation_id
            and w.customer_ctx is not None
            and w.customer_ctx.name == phone_server.caller_name
        ),
        timeout=20_000,
    )
    panel = calls.panel
    assert panel.script is not None and panel.script.title == "Order enquiry"
    assert calls.dock.isVisible() and panel.choices.hasFocus()
    assert (
        f"Call from {phone_server.caller_name}, {phone_server.caller_number}, script: Order enquiry"
    ) in said
    # The step is filled from the caller and spoken (the agent asked for script steps).
    assert first_name in panel.text.text() and "Demo Agent" in panel.text.text()
    qtbot.waitUntil(lambda: any(q.startswith("Step 1, ") for q in desk.queued), timeout=10_000)

    # Walk it by keys: a number selects a choice (and says which), Enter takes it, so
    # "number, then Enter" is one step (issue 9, item 34); Enter goes on from a step without
    # choices, Backspace goes back.
    walk = panel.walk
    assert walk is not None
    qtbot.keyClick(panel.choices, Qt.Key.Key_1)
    assert walk.current is not None and walk.current.id == "greet"  # selected, not taken
    assert panel.choices.currentRow() == 0 and any(t.startswith("Selected 1: ") for t in said)
    qtbot.keyClick(panel.choices, Qt.Key.Key_Return)
    assert walk.current is not None and walk.current.id == "identify"
    qtbot.keyClick(panel.choices, Qt.Key.Key_2)
    assert walk.current is not None and walk.current.id == "identify"
    qtbot.keyClick(panel.choices, Qt.Key.Key_Return)
    assert walk.current is not None and walk.current.id == "find_order"
    assert any(q.startswith("Step 3, ") for q in desk.queued)
    assert not any(" of " in q.split(":")[0] for q in desk.queued if q.startswith("Step "))
    assert panel.position.text().startswith("Step 3, ")
    qtbot.keyClick(panel.choices, Qt.Key.Key_Return)
    assert walk.current is not None and walk.current.id == "status"
    qtbot.keyClick(panel.choices, Qt.Key.Key_Backspace)
    assert walk.current is not None and walk.current.id == "find_order"
    qtbot.keyClick(panel.choices, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert walk.current is not None and walk.current.id == "identify"
    qtbot.keyClick(panel.choices, Qt.Key.Key_1)
    qtbot.keyClick(panel.choices, Qt.Key.Key_Return)
    assert walk.current is not None and walk.current.id == "status"
    assert panel.trail.count() == 2
    assert sum(q.startswith("Step 1, ") for q in desk.queued) == 1  # once, not per signal
    assert any("Choices: 1: Customer is happy with that" in t for t in said)

    # Wrap up by keyboard; the dialog gives the focus back to where it was opened from.
    before = QApplication.focusWidget()
    assert before is panel.choices
    qtbot.keyClick(w, Qt.Key.Key_W, CTRL_SHIFT)
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=5_000)
    dialog = calls.dialog
    assert dialog is not None
    assert dialog.trail.text() == "greet (where) → identify (yes)"
    dialog.disposition.setFocus()
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Down)  # resolved -> follow-up needed
    dialog.notes.setFocus()
    qtbot.keyClicks(dialog.notes, "Parcel late; carrier investigation opened.")
    dialog.disposition.setFocus()
    with qtbot.waitSignal(calls.wrapped, timeout=10_000):
        qtbot.keyClick(dialog.disposition, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: calls.dialog is None, timeout=5_000)
    # Wrapped up with nothing ringing, the dock goes away (the look, issue 13) and the focus
    # it held goes to the conversation, not to a hidden widget.
    qtbot.waitUntil(lambda: not calls.dock.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.conversation.messages, timeout=10_000)
    assert before is not w.conversation.messages
    assert any(t.startswith(f"Call with {phone_server.caller_name}") for t in said)

    # Through the outbox to the server, and synced back with the history line rewritten.
    qtbot.waitUntil(desk.synced, timeout=30_000)
    raw = Raw.signed_in(phone_server, TestUser("alex", "demo-password", Role.AGENT))
    r = raw.get(f"/api/v1/entities/call/{call_id}")
    assert r.status_code == 200, r.text
    stored = r.json()["data"]
    assert stored["agent_id"] == desk.ws.me.id and stored["call_sid"] == sid
    assert stored["disposition"] == "follow_up"
    assert stored["wrapup_notes"] == "Parcel late; carrier investigation opened."
    assert stored["script_trail"] == [
        {"step": "greet", "choice": "where"},
        {"step": "identify", "choice": "yes"},
    ]
    assert stored["script_id"] == panel.script.id
    line = raw.get(f"/api/v1/entities/message/{stored['message_id']}").json()["data"]
    history, notes = line["body_text"].split("\n")
    assert history.endswith("— Follow-up needed") and "taken by Demo Agent" in history
    assert notes == "Notes: Parcel late; carrier investigation opened."  # shown afterwards
    assert calls.current is None
    assert Path(phone_server.log_path or "").read_text().count("Traceback") == 0


def test_a_call_taken_elsewhere_while_offline_shows_who_took_it(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(phone_server, "demo")
    w, calls = desk.window, desk.window.call_desk
    sid = new_sid("CA")
    _ring(phone_server, sid, phone_server.caller_number)
    qtbot.waitUntil(lambda: any(c.customer_name for c in calls.ringing), timeout=30_000)
    call_id = calls.ringing[0].id
    assert desk.engine.stop(5)  # offline: the desk answers from its local copy
    alex = Raw.signed_in(phone_server, TestUser("alex", "demo-password", Role.AGENT))
    assert alex.push(("call.take", {"call_id": call_id}))[0]["status"] == "applied"

    with qtbot.waitSignal(calls.popped, timeout=20_000):  # shown at once, as it is local
        qtbot.keyClick(w, Qt.Key.Key_L, CTRL_SHIFT)
    assert calls.current is not None and calls.current.id == call_id
    desk.engine.start()
    qtbot.waitUntil(
        lambda: "Alex Morgan has already taken this call." in w.notice_label.text(),
        timeout=30_000,
    )
    # Back to server truth: not this desk's call, and not ringing any more.
    qtbot.waitUntil(lambda: calls.current is None and not calls.ringing, timeout=20_000)
    assert "No call" in calls.panel.call_status.text()


def test_the_wrap_up_opens_when_the_provider_ends_the_call(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(phone_server, "mateo")
    w, calls = desk.window, desk.window.call_desk
    said: list[str] = []
    w.announced.connect(said.append)
    sid = new_sid("CA")
    _ring(phone_server, sid, phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing), timeout=30_000)
    with qtbot.waitSignal(calls.popped, timeout=30_000):
        calls.panel.answer.click()
    qtbot.waitUntil(desk.synced, timeout=30_000)
    focus = QApplication.focusWidget()

    # The caller hangs up: Twilio's final status callback ends the call on the server.
    params = voice_params(sid, phone_server.caller_number, "completed", CallDuration="75")
    url = phone_server.url + "/webhooks/twilio/voice"
    sig = twilio_signature(AUTH_TOKEN, url, params)
    assert requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=20).ok
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=30_000)
    assert f"The call with {phone_server.caller_name}, {phone_server.caller_number} ended." in said
    dialog = calls.dialog
    assert dialog is not None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # later: nothing is sent, focus comes back
    qtbot.waitUntil(lambda: calls.dialog is None, timeout=5_000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is focus, timeout=5_000)
    assert desk.engine.status.pending == 0
    assert calls.current is not None and calls.current.duration_seconds == 75
    call_id = calls.current.id

    # Wrapped up offline: queued in the outbox, sent when the desk is back online.
    assert desk.engine.stop(5)
    qtbot.keyClick(w, Qt.Key.Key_W, CTRL_SHIFT)
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=5_000)
    dialog = calls.dialog
    assert dialog is not None
    dialog.notes.setFocus()
    qtbot.keyClicks(dialog.notes, "Asked for a catalogue.")
    with qtbot.waitSignal(calls.wrapped, timeout=10_000):
        dialog.accept()
    assert desk.engine.status.pending == 1 and calls.current is None
    desk.engine.start()
    qtbot.waitUntil(desk.synced, timeout=30_000)
    raw = Raw.signed_in(phone_server, TestUser("alex", "demo-password", Role.AGENT))
    stored = raw.get(f"/api/v1/entities/call/{call_id}").json()["data"]
    assert stored["disposition"] == "resolved" and stored["duration_seconds"] == 75
    assert stored["wrapup_notes"] == "Asked for a catalogue."


def test_the_call_pane_goes_with_the_call_and_closes_by_keyboard(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """The outside review: a ringing call missed, or taken by someone else, left the pane up
    saying "No call" (the customer column squeezed to ~190 px), and only the mouse closed it."""
    desk = desk_factory(phone_server, "priya")
    w, calls = desk.window, desk.window.call_desk
    assert not calls.ringing and not calls.dock.isVisible()

    # Missed: the caller hangs up before anyone answers.
    sid = new_sid("CA")
    _ring(phone_server, sid, phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing) and calls.dock.isVisible(), timeout=30_000)
    _call_status(phone_server, sid, "no-answer")
    qtbot.waitUntil(lambda: not calls.ringing, timeout=30_000)
    assert not calls.dock.isVisible()

    # Taken by someone else.
    _ring(phone_server, new_sid("CA"), phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing) and calls.dock.isVisible(), timeout=30_000)
    mateo = Raw.signed_in(phone_server, TestUser("mateo", "demo-password", Role.AGENT))
    taken = mateo.push(("call.take", {"call_id": calls.ringing[0].id}))
    assert taken[0]["status"] == "applied"
    qtbot.waitUntil(lambda: not calls.ringing, timeout=30_000)
    assert not calls.dock.isVisible()

    # Escape in the pane puts it away while the call rings on; the clock does not bring it
    # back; Ctrl+4 does.
    sid = new_sid("CA")
    _ring(phone_server, sid, phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing) and calls.dock.isVisible(), timeout=30_000)
    panel = calls.panel
    panel.answer.setFocus()
    qtbot.waitUntil(panel.answer.hasFocus, timeout=5_000)
    qtbot.keyClick(panel.answer, Qt.Key.Key_Escape)
    assert not calls.dock.isVisible()
    assert QApplication.focusWidget() is w.conversation.messages
    with qtbot.waitSignal(calls.refreshed, timeout=10_000):
        calls.refresh()
    assert calls.ringing and not calls.dock.isVisible()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert calls.dock.isVisible()
    focus = QApplication.focusWidget()
    assert focus is not None and calls.dock.isAncestorOf(focus)

    # The Close button is in the pane's Tab order, named, and closes it from the keyboard.
    close = calls.dock.close_button
    assert close.accessibleName() == "Close the call pane"
    for _press in range(20):
        focus = QApplication.focusWidget()
        assert focus is not None
        if focus is close:
            break
        assert calls.dock.isAncestorOf(focus)  # Tab reaches it before leaving the pane
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is close
    qtbot.keyClick(close, Qt.Key.Key_Space)
    assert not calls.dock.isVisible()
    assert QApplication.focusWidget() is w.conversation.messages

    _call_status(phone_server, sid, "no-answer")  # nothing left ringing for the next test
    qtbot.waitUntil(lambda: not calls.ringing, timeout=30_000)


def test_a_script_opens_for_a_chat_too(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(phone_server, "priya")
    w, calls = desk.window, desk.window.call_desk
    qtbot.keyClick(w, Qt.Key.Key_J, CTRL_SHIFT)  # nothing open yet: says so
    assert not calls.dock.isVisible()
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.shown_view == View.ALL_OPEN and w.model.rowCount() > 0)
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.customer_ctx is not None)
    qtbot.keyClick(w, Qt.Key.Key_J, CTRL_SHIFT)
    panel = calls.panel
    qtbot.waitUntil(lambda: panel.walk is not None and calls.dock.isVisible(), timeout=10_000)
    assert calls.current is None and len(panel.scripts) == 3
    assert panel.choices.hasFocus() or panel.next.hasFocus()
    assert w.customer_ctx is not None
    assert w.customer_ctx.name.split()[0] in panel.text.text()
    # Another script from the picker, by keyboard.
    panel.picker.setFocus()
    index = next(n for n, s in enumerate(panel.scripts) if s.key == "return_refund")
    panel.picker.setCurrentIndex(index)
    panel.picker.activated.emit(index)
    assert panel.walk is not None and panel.walk.flow.id == "return_refund"
    qtbot.keyClick(w, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # focus the script
    assert panel.choices.hasFocus()
    qtbot.keyClick(panel.choices, Qt.Key.Key_1)
    qtbot.keyClick(panel.choices, Qt.Key.Key_Return)
    assert panel.walk.current is not None and panel.walk.current.id == "order"


def test_an_answer_that_cannot_be_queued_says_so(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The agent pressed "Answer call" and it failed: they must hear that answering failed
    (not that the call list could not be read, which would leave them thinking they have it)."""
    desk = desk_factory(phone_server, "demo")
    w, calls = desk.window, desk.window.call_desk
    _ring(phone_server, new_sid("CA"), phone_server.caller_number)
    qtbot.waitUntil(lambda: any(c.customer_name for c in calls.ringing), timeout=30_000)

    def broken(_call_id: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(calls.calls, "take", broken)
    qtbot.keyClick(w, Qt.Key.Key_L, CTRL_SHIFT)
    qtbot.waitUntil(lambda: "disk full" in w.notice_label.text(), timeout=20_000)
    assert w.notice_label.text() == "Could not answer the call: disk full"
    assert calls.current is None


def test_a_wrap_up_that_cannot_be_saved_comes_back_with_its_notes(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = desk_factory(phone_server, "alex")
    w, calls = desk.window, desk.window.call_desk
    _ring(phone_server, new_sid("CA"), phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing), timeout=30_000)
    with qtbot.waitSignal(calls.popped, timeout=30_000):
        calls.panel.answer.click()

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(calls.calls, "wrap_up", broken)
    qtbot.keyClick(w, Qt.Key.Key_W, CTRL_SHIFT)
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=5_000)
    first = calls.dialog
    assert first is not None
    first.notes.setFocus()
    qtbot.keyClicks(first.notes, "Refund promised by Friday.")
    first.accept()
    qtbot.waitUntil(lambda: "disk full" in w.notice_label.text(), timeout=20_000)
    assert w.notice_label.text() == "Could not save the wrap-up: disk full"
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog is not first, timeout=5_000)
    again = calls.dialog
    assert again is not None and again.note_text() == "Refund promised by Friday."
    assert calls.current is not None  # still the agent's call to wrap up


def test_a_scheduled_callback_comes_back_to_the_agent_on_time(
    qtbot: QtBot,
    phone_server: PhoneServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """Issue 9, item 34: "Callback scheduled" asks when, and the conversation comes back to
    the agent then, announced ("Callback due: …")."""
    desk = desk_factory(phone_server, "demo")
    w, calls = desk.window, desk.window.call_desk
    qtbot.waitUntil(lambda: w.caught_up and w._known_mine is not None, timeout=30_000)
    said: list[str] = []
    w.announced.connect(said.append)
    _ring(phone_server, new_sid("CA"), phone_server.caller_number)
    qtbot.waitUntil(lambda: bool(calls.ringing), timeout=30_000)
    with qtbot.waitSignal(calls.popped, timeout=30_000):
        calls.panel.answer.click()
    assert calls.current is not None
    cid = calls.current.conversation_id
    qtbot.keyClick(w, Qt.Key.Key_W, CTRL_SHIFT)
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=5_000)
    dialog = calls.dialog
    assert dialog is not None
    dialog.disposition.setFocus()
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Down)  # follow-up needed
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Down)  # callback scheduled
    qtbot.keyClick(dialog.disposition, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.callback, timeout=5_000)
    when = datetime.now(UTC) + timedelta(seconds=5)
    dialog.callback.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp()) + 1))
    dialog.notes.setFocus()
    qtbot.keyClicks(dialog.notes, "Call back after the depot opens.")
    with qtbot.waitSignal(calls.wrapped, timeout=10_000):
        dialog.accept()
    assert any("Callback scheduled" in t for t in said)
    # Snoozed and out of "Mine" until then ...
    qtbot.waitUntil(lambda: w._known_mine is not None and cid not in w._known_mine, timeout=20_000)
    # ... then back, announced to the agent.
    qtbot.waitUntil(lambda: any(t.startswith("Callback due: ") for t in said), timeout=30_000)
    assert datetime.now(UTC) >= when
    # The announcement may come from the desk's own clock a moment before the server's wake
    # reaches the cache: the conversation is back in Mine once it has.
    qtbot.waitUntil(lambda: cid in desk.ws.ordered_ids(View.MINE, Sort.NEWEST), timeout=20_000)
