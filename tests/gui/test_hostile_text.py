"""Text from outside is shown as text (issue 9, item 12).

A caller named ``<img src=…><h1>SUPERVISOR: refund approved</h1>`` was rendered as a headline in
the ringing label.  Here the demo store gets hostile text in a customer's name, a subject, a
message, a tag and a caller's name; a signed-in desk shows them (inbox, thread, customer pane,
ringing label, call panel, wrap-up dialog) and every label, tooltip and model tooltip is walked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests
from cryptography.fernet import Fernet
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.domain.enums import Realm
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.signatures import twilio_signature
from csdesk.server.channels.vault import ENV_KEY, Vault
from csdesk.storage import models as m
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.server import ServerProcess
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
UNKNOWN_NUMBER = "+15550107777"


def hostile(what: str) -> str:
    return f'<img src="http://127.0.0.1:9/{what}.png"><h1>SUPERVISOR: {what} refund approved</h1>'


@dataclass
class HostileServer(ServerProcess):
    conversation_id: str = ""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServer]:
    d = tmp_path_factory.mktemp("hostile")
    url = seed_demo_db(d / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, Fernet.generate_key().decode())
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
                        "api_base_url": "http://127.0.0.1:9",  # never called here
                    },
                    {"auth_token": AUTH_TOKEN},
                )
                conv = s.scalars(
                    select(m.Conversation)
                    .where(
                        m.Conversation.realm == Realm.PRODUCTION.value,
                        m.Conversation.status == "open",
                    )
                    .order_by(m.Conversation.id)
                    .limit(1)
                ).one()
                customer = s.get(m.Customer, conv.customer_id)
                assert customer is not None
                customer.name = hostile("customer")
                customer.tags = [hostile("customer-tag")]
                conv.subject = hostile("subject")
                conv.tags = [hostile("tag")]
                last = s.scalars(
                    select(m.Message)
                    .where(m.Message.conversation_id == conv.id)
                    .order_by(m.Message.created_at.desc())
                    .limit(1)
                ).one()
                last.body_text = hostile("message")
                last.subject = hostile("message-subject")
                conv_id = conv.id
                s.commit()
        finally:
            state.engine.dispose()
        server = HostileServer(url, log_path=d / "server.log", conversation_id=conv_id)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _ring(server: ServerProcess) -> None:
    params = voice_params(new_sid("CA"), UNKNOWN_NUMBER, "ringing", CallerName=hostile("caller"))
    url = server.url + "/webhooks/twilio/voice"
    sig = twilio_signature(AUTH_TOKEN, url, params)
    r = requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=20)
    assert r.status_code == 200, r.text


def _where(widget: QWidget) -> str:
    names = []
    while widget is not None:
        names.append(widget.objectName() or type(widget).__name__)
        widget = widget.parentWidget()
    return "/".join(reversed(names))


def _shows_literally(tip: str) -> bool:
    """A tooltip Qt renders as rich text only if it was escaped (so '<h1>' is shown, not made)."""
    return "<h1>" not in tip or not QtGuiNamespace.mightBeRichText(tip)


def walk() -> list[str]:
    """Every label is plain text and no tooltip renders outside markup; returns what showed
    hostile text, so the caller can check the walk saw it at all."""
    seen = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLabel):
            assert widget.textFormat() == Qt.TextFormat.PlainText, (
                f"{_where(widget)} is {widget.textFormat()}: {widget.text()!r}"
            )
            if "<h1>" in widget.text():
                seen.append(widget.objectName() or _where(widget))
        assert _shows_literally(widget.toolTip()), f"{_where(widget)}: {widget.toolTip()!r}"
    return seen


def _model_tips(model: object) -> list[str]:
    assert hasattr(model, "rowCount") and hasattr(model, "index") and hasattr(model, "data")
    tips = []
    for row in range(model.rowCount()):
        tip = model.data(model.index(row, 0, QModelIndex()), Qt.ItemDataRole.ToolTipRole)
        tips.append(str(tip or ""))
    return tips


def test_hostile_outside_text_is_never_rendered_as_rich_text(
    qtbot: QtBot,
    hostile_server: HostileServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(hostile_server, "demo")
    w = desk.window
    cid = hostile_server.conversation_id
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.shown_view == View.ALL_OPEN and cid in w.model.ids(), timeout=20_000)
    w.inbox.select_id(cid)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == cid,
        timeout=20_000,
    )
    qtbot.waitUntil(lambda: w.customer_ctx is not None, timeout=20_000)
    seen = walk()
    assert "<h1>SUPERVISOR: subject" in w.conversation.header.text() or seen, seen
    # The customer's card shows the name as plain text: literally.
    card_name = w.customer.card.name
    assert "<h1>SUPERVISOR: customer refund approved</h1>" in card_name.text()
    assert card_name.textFormat() == Qt.TextFormat.PlainText
    inbox_tips = _model_tips(w.model)
    row = w.model.row_of(cid)
    assert row is not None and "SUPERVISOR: customer" in inbox_tips[row], inbox_tips[row or 0]
    assert all(_shows_literally(t) for t in inbox_tips), inbox_tips
    thread_tips = _model_tips(w.conversation.model)
    assert any("SUPERVISOR: message" in t for t in thread_tips)
    assert all(_shows_literally(t) for t in thread_tips), thread_tips

    # A call from a number nobody knows, whose caller ID carries markup: it rings.
    calls = w.call_desk
    _ring(hostile_server)
    qtbot.waitUntil(lambda: bool(calls.ringing), timeout=30_000)
    assert "<h1>SUPERVISOR: caller" in calls.ring_label.text()
    assert "ringing_call" in walk()

    # Answered, the call panel fills from the caller; the wrap-up names them.
    with qtbot.waitSignal(calls.popped, timeout=30_000):
        calls.panel.answer.click()
    walk()
    qtbot.keyClick(w, Qt.Key.Key_W, CTRL_SHIFT)
    qtbot.waitUntil(lambda: calls.dialog is not None and calls.dialog.isVisible(), timeout=10_000)
    dialog = calls.dialog
    assert dialog is not None
    in_dialog = [
        lab.text() for lab in dialog.findChildren(QLabel) if "SUPERVISOR: caller" in lab.text()
    ]
    assert in_dialog, "the wrap-up dialog names the caller"
    walk()
    dialog.reject()
