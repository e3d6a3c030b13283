"""The look (issue 13): the first-run keyboard hint, empty views that say what to do, and the
conversation header's chips and action icons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from csdesk import settings as opts
from csdesk.app.empty_states import empty_view_text
from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.settings import Settings
from csdesk.ui.first_run_hint import install_first_run_hint
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.helpers.server import ServerProcess


def test_every_empty_view_says_what_to_do_next() -> None:
    for view in ALL_VIEWS:
        text = empty_view_text(view)
        generic = view in (View.ALL_OPEN, View.RESOLVED)
        assert text and (generic or text != empty_view_text("something else")), view
        assert "Alt+" in text or "view" in text or "customer replies" in text, view


def test_first_run_hint_names_the_keys_and_is_remembered_when_dismissed(
    qtbot: QtBot,
    tmp_path: Path,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    w = desk_factory(demo_server, "demo").window
    settings = Settings(tmp_path / "settings.json", {})
    hint = install_first_run_hint(w.inbox.layout_, w.inbox, w.actions_, settings)
    assert hint is not None
    qtbot.waitUntil(hint.isVisible, timeout=5_000)
    text = hint.label.text()
    for action in ("next_conversation", "reply", "send", "resolve", "shortcuts"):
        assert w.actions_[action].shortcut().toString() in text, action
    assert hint.label.textFormat() == Qt.TextFormat.PlainText
    assert hint.dismiss.accessibleName()
    hint.dismiss.setFocus()
    qtbot.keyClick(hint.dismiss, Qt.Key.Key_Space)  # the keyboard path
    qtbot.waitUntil(lambda: not hint.isVisible(), timeout=5_000)
    assert settings.get(opts.FIRST_RUN_HINT_SEEN) is True
    assert install_first_run_hint(w.inbox.layout_, w.inbox, w.actions_, settings) is None


def test_conversation_header_shows_chips_and_icon_buttons_with_key_tips(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    w = desk_factory(demo_server, "demo").window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=20_000)
    w.inbox.step(1)
    qtbot.waitUntil(lambda: w.conversation.current is not None, timeout=20_000)
    conv = w.conversation.current
    assert conv is not None
    chips = w.conversation.chips
    assert chips.isVisible() and chips.channel.text() and chips.status.text()
    assert [c.text() for c in chips.tags] == [f"#{t}" for t in conv.tags]
    assert chips.channel_icon.accessibleName() == chips.channel.text()
    # The full header is one sentence for a screen reader.
    assert chips.status.text() in w.conversation.header.accessibleDescription()
    for button in w.conversation.buttons:
        assert not button.icon().isNull(), button.objectName()
        action = button.defaultAction()
        keys = action.shortcut().toString()
        assert not keys or keys in button.toolTip(), button.objectName()


def test_thread_marks_each_new_day_and_sets_sides_apart(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.models.thread_model import MESSAGE_ROLE, TEXTS_ROLE
    from csdesk.ui.panels.thread_view import MessageDelegate

    w = desk_factory(demo_server, "demo").window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=20_000)
    w.inbox.step(1)
    qtbot.waitUntil(lambda: w.conversation.model.rowCount() > 1, timeout=20_000)
    model = w.conversation.model
    days = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        day = index.data(MESSAGE_ROLE).created_at.astimezone().date()
        label = MessageDelegate.day_label(index)
        assert bool(label) == (row == 0 or day != days[-1]), row
        days.append(day)
        texts = index.data(TEXTS_ROLE)
        width = MessageDelegate.bubble_width(texts, 1000)
        assert width == 1000 if texts.kind == "note" else width < 1000


def test_a_long_subject_stays_on_one_line_and_whole_for_the_screen_reader(qtbot: QtBot) -> None:
    """At 200 % text a wrapped subject took two or three lines and, with the call script
    docked, pushed Send under the status bar: the subject ends in "…" (the whole of it in the
    tooltip and the text a screen reader reads); the hint with nothing open still wraps."""
    from PySide6.QtGui import QFont

    from csdesk.ui.elide import OneLineLabel

    label = OneLineLabel()
    qtbot.addWidget(label)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)
    subject = "Re: my order FH-1000038 never came and the tracking page says delivered " * 3
    label.setText(subject)
    label.resize(300, label.sizeHint().height())
    label.show()
    qtbot.waitExposed(label)
    one_line = label.fontMetrics().height()
    assert label.sizeHint().height() < 2 * one_line
    assert label.minimumSizeHint().width() <= 300  # never forces its pane wider
    assert label.text() == subject and label.toolTip() == subject
    label.setText("Short")
    assert label.toolTip() == ""
    label.set_one_line(False)
    label.setText(subject)
    assert label.wordWrap() and label.heightForWidth(300) > 2 * one_line
    assert label.toolTip() == ""
