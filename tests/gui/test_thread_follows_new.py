"""The thread follows new messages at its end when the agent was reading the end or wrote one
of them (their reply, just sent, was below the fold: outside review); an agent reading older
messages keeps their place when a customer writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytestqt.qtbot import QtBot

from csdesk.app.thread import MessageView
from csdesk.theme import get_theme
from csdesk.ui.models.thread_model import ThreadModel
from csdesk.ui.panels.thread_view import ThreadView

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _msg(n: int, author: str | None) -> MessageView:
    return MessageView(
        id=f"m{n}", direction="out" if author else "in", is_note=False,
        author_name="Ann" if author else "Customer", author_user_id=author, channel="email",
        subject="", body_text=f"Message {n}: " + "words " * 40, body_html=None,
        attachments=(), delivery_status="sent", failure_reason=None,
        created_at=T0 + timedelta(minutes=n),
    )  # fmt: skip


def _view(qtbot: QtBot) -> tuple[ThreadModel, ThreadView, list[MessageView]]:
    model = ThreadModel("me")
    view = ThreadView(model, get_theme("light"))
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    shown = [_msg(n, None) for n in range(20)]
    model.set_messages(tuple(shown))
    view.go_to_last()
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    return model, view, shown


def _at_end(view: ThreadView) -> bool:
    bar = view.verticalScrollBar()
    return bar.value() == bar.maximum()


def test_the_agents_own_new_reply_is_scrolled_to(qtbot: QtBot) -> None:
    model, view, shown = _view(qtbot)
    view.verticalScrollBar().setValue(0)  # reading the start of the thread
    current = view.currentIndex().row()
    model.set_messages((*shown, _msg(20, "me")))
    qtbot.waitUntil(lambda: _at_end(view) and view.verticalScrollBar().value() > 0, timeout=3000)
    assert view.currentIndex().row() == current  # a screen reader's place is kept


def test_a_customers_message_follows_only_an_agent_at_the_end(qtbot: QtBot) -> None:
    model, view, shown = _view(qtbot)
    bar = view.verticalScrollBar()
    before = bar.maximum()
    shown.append(_msg(20, None))
    model.set_messages(tuple(shown))
    # Was at the end: follows (once the new row is laid out, the end is further down).
    qtbot.waitUntil(lambda: bar.maximum() > before and _at_end(view), timeout=3000)
    qtbot.wait(50)
    view.verticalScrollBar().setValue(0)
    shown.append(_msg(21, None))
    model.set_messages(tuple(shown))
    qtbot.wait(50)  # the turn in which a follow would have scrolled
    assert view.verticalScrollBar().value() == 0  # reading older messages: left alone


def test_a_message_that_does_not_come_last_keeps_the_place_and_follows(qtbot: QtBot) -> None:
    """A customer's message stamped just before the agent's own reply resets the model (it
    is not an append): the reader's place was lost and the view stayed up (re-review)."""
    model, view, shown = _view(qtbot)
    view.setCurrentIndex(model.index(5, 0))
    reply = _msg(30, "me")
    model.set_messages((*shown, reply))
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: _at_end(view), timeout=3000)
    before = _msg(29, None)  # written before the reply, arrives after it
    model.set_messages((*shown, before, reply))
    qtbot.wait(50)
    assert view.currentIndex().row() == 5  # the same message is current
    qtbot.waitUntil(lambda: _at_end(view) and bar.value() > 0, timeout=3000)
