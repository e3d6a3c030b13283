"""A note with a mention that the server refuses comes back into the composer, with its
mention, so nothing typed is lost (docs/mentions.md); when another conversation is open the
refused note waits, said in words, and comes back when its conversation is opened with an
empty composer. Against a real demo server of its own (a teammate is deactivated in it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from csdesk.app.inbox import Sort, View
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    d = tmp_path_factory.mktemp("refused")
    server = ServerProcess(seed_demo_db(d / "demo.db"), log_path=d / "server.log").start()
    yield server
    server.stop()


def _deactivate(server: ServerProcess, user_id: str) -> None:
    state = ServerState.build(ServerConfig(db_url=server.db_url, listen_notify=False))
    try:
        with state.writes() as s:
            s.execute(update(m.User).where(m.User.id == user_id).values(active=False))
            s.commit()
    finally:
        state.engine.dispose()


def test_a_refused_note_with_a_mention_comes_back_into_the_composer(
    qtbot: QtBot,
    own_server: ServerProcess,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(own_server, "demo")
    w, ui = desk.window, desk.window.mention_desk
    said: list[str] = []
    w.announced.connect(said.append)
    qtbot.waitUntil(lambda: bool(ui.completer._teammates), timeout=20_000)
    alex = next(uid for uid, name in ui.completer._teammates if name == "Alex Morgan")
    _deactivate(own_server, alex)  # the server now refuses a mention of Alex
    first, second = desk.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[:2]
    w.open_conversation(first)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == first, timeout=10_000)
    composer = w.conversation.composer
    composer.start(note=True)
    qtbot.keyClicks(composer.text, "Please check @al")
    qtbot.keyClick(composer.text, Qt.Key.Key_Return)  # chooses Alex Morgan
    qtbot.keyClicks(composer.text, "the refund 7c2f")
    typed = composer.text.toPlainText()
    assert typed == "Please check @Alex Morgan the refund 7c2f"
    with qtbot.waitSignal(ui.restored, timeout=60_000) as restored:
        qtbot.keyClick(composer.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert restored.args == [first]
    assert composer.text.toPlainText() == typed and composer.note.isChecked()
    assert ui.chosen_in(typed) == [alex]  # the mention is chosen again, not just text
    assert any(
        s.startswith("The refused note is back in the composer, mentioning Alex") for s in said
    )

    # Refused while another conversation is open: kept, said, back when it is opened.
    composer.clear()
    w.open_conversation(second)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == second, timeout=10_000)
    desk.ws.reply(first, "Second try @Alex Morgan 9a1b", note=True, mentions=[alex])
    qtbot.waitUntil(lambda: first in ui.refused, timeout=60_000)
    assert any(s.startswith("The refused note is kept") for s in said)
    assert composer.text.toPlainText() == ""
    with qtbot.waitSignal(ui.restored, timeout=20_000):
        w.open_conversation(first)
    assert composer.text.toPlainText() == "Second try @Alex Morgan 9a1b"
    assert composer.note.isChecked() and ui.chosen_in(composer.text.toPlainText()) == [alex]
