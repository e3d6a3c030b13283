"""What tells a trainee they are in the sandbox, and a chat reply's "queued" that explains
itself once the clock shows nobody has the chat window open (issue 9, item 36)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from csdesk.app.thread import MessageView
from csdesk.ui.models.thread_model import ThreadModel
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess


def test_a_trainee_sees_the_sandbox_banner_and_an_agent_does_not(
    demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    trainee = desk_factory(demo_server, "trainee")
    banner = trainee.window.findChild(QLabel, "sandbox_banner")
    assert banner is not None and banner.isVisible()
    assert banner.text().startswith("Training sandbox: these are practice customers.")
    assert banner.textFormat() == Qt.TextFormat.PlainText
    assert trainee.window.windowTitle().endswith("(training sandbox)")

    agent = desk_factory(demo_server, "demo")
    assert agent.window.findChild(QLabel, "sandbox_banner") is None
    assert "sandbox" not in agent.window.windowTitle()


def test_the_thread_explains_a_chat_reply_nobody_picked_up_as_time_passes(qtbot: QtBot) -> None:
    sent = datetime(2026, 11, 22, 10, 42, tzinfo=UTC)
    reply = MessageView(
        id="m1",
        direction="out",
        is_note=False,
        author_name="Ann",
        author_user_id="me",
        channel="chat",
        subject="",
        body_text="Your parcel is on its way.",
        body_html=None,
        attachments=(),
        delivery_status="queued",
        failure_reason=None,
        created_at=sent,
    )
    model = ThreadModel("me")
    model.set_messages((reply,), now=sent + timedelta(seconds=3))
    assert str(model.data(model.index(0, 0))).split("\n")[0].endswith("· queued")
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.refresh(sent + timedelta(minutes=1))
    assert "chat window is closed or offline" in str(model.data(model.index(0, 0)))
    with qtbot.assertNotEmitted(model.dataChanged):
        model.refresh(sent + timedelta(minutes=2))  # nothing new to say: nothing repainted
