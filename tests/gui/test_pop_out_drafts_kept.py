"""Found by an outside review: a reply that could not be queued from a pop-out (its file was
moved or deleted before Ctrl+Return: ``AttachmentError``) stays in the composer, but the window
still remembered it as "being sent" (``PopOutWindow._sending``), so closing the window (Escape)
dropped the text; and a draft written before a merge was kept under the merged-away id. Both
are kept now."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from csdesk.ui.panels.attachments_strip import read_files
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_pop_out import CTRL, _activate, _pop_out
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor

pytestmark = pytest.mark.timeout(240)


def test_a_reply_that_failed_to_queue_is_not_lost_when_the_window_closes(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
    tmp_path: Path,
) -> None:
    cid = str(Visitor.start(demo_server.url, name="Rita Review").say("Hi")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    pop = _pop_out(qtbot, w, cid)
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG....")
    pop.conversation.composer.add_files(read_files([photo]))
    photo.unlink()  # moved away before sending
    _activate(qtbot, pop)
    pop.conversation.messages.setFocus()
    qtbot.keyClick(pop.conversation.messages, Qt.Key.Key_R)
    text = "A long careful answer about the refund"
    qtbot.keyClicks(pop.conversation.composer.text, text)
    qtbot.keyClick(pop.conversation.composer.text, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: "cannot be attached" in pop.notice_label.text(), timeout=10_000)
    assert pop.conversation.composer.text.toPlainText() == text  # still there after the error
    pop.conversation.messages.setFocus()
    qtbot.keyClick(pop.conversation.messages, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: cid not in w.pop_outs.windows, timeout=5_000)
    kept = w.conversation.composer.text.toPlainText()
    draft = w.pop_outs.drafts.take(cid)
    assert kept == text or (draft is not None and draft.text == text), (kept, draft)


def test_a_draft_written_before_a_merge_comes_back_with_the_merged_into_conversation(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """docs/pop-out.md: "Closing a window keeps what was written in it". After a merge the
    window still keys its draft by the merged-away id (``PopOutWindow.closeEvent`` emits
    ``self.cid``), which no inbox lists any more: the text never comes back."""
    from csdesk.app import conversation_merge as merging
    from tests.gui.test_conversation_merge import _seed

    email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    mateo = desk_factory(demo_server, "mateo", show=False)
    w = desk.window
    pop = _pop_out(qtbot, w, chat)
    _activate(qtbot, pop)
    pop.conversation.messages.setFocus()
    qtbot.keyClick(pop.conversation.messages, Qt.Key.Key_R)
    text = "Half of a long answer"
    qtbot.keyClicks(pop.conversation.composer.text, text)
    merging.merge(mateo.ws, chat, email)
    qtbot.waitUntil(lambda: pop.stopped is not None, timeout=40_000)
    pop.follow.click()  # "Open it in the main window"
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=20_000)
    pop.close()
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)
    kept = w.conversation.composer.text.toPlainText()
    assert kept == text or email in w.pop_outs.drafts, (kept, w.pop_outs.drafts.items())
