"""The knowledge base on the desk against a real server (issue 14): a supervisor writes,
edits and deletes an article with its languages by keyboard in the editor
(Ctrl+Alt+Shift+B) and the server has it; an agent cannot open the editor; the agent's
chooser (Ctrl+Alt+B) opens with suggestions from the customer's last message, searches, puts
the customer's language first, previews as plain text and inserts an excerpt or a public
link, all with the server stopped (the articles are in the desk's cache and its search
index)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.kb import KnowledgeBase
from csdesk.server.config import ServerConfig
from csdesk.server.kb import search
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
ALT = Qt.KeyboardModifier.AltModifier
NONE = Qt.KeyboardModifier.NoModifier


@dataclass
class Shop:
    server: ServerProcess
    db_url: str


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("kb")
    url = seed_demo_db(d / "demo.db", customers=20)
    server = ServerProcess(url, log_path=d / "server.log").start()
    try:
        yield Shop(server, url)
    finally:
        server.stop()


def _server(url: str, fn: Callable[[ServerState], object]) -> object:
    state = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
    try:
        return fn(state)
    finally:
        state.engine.dispose()


def _article(url: str, slug: str) -> tuple[m.KbArticle, dict[str, str]] | None:
    def read(state: ServerState) -> tuple[m.KbArticle, dict[str, str]] | None:
        with state.reads() as s:
            a = s.scalar(select(m.KbArticle).where(m.KbArticle.slug == slug))
            if a is None:
                return None
            V = m.KbVariant
            vs = s.scalars(select(V).where(V.article_id == a.id, V.deleted_at.is_(None)))
            s.expunge(a)
            return a, {v.lang: v.title for v in vs}

    found = _server(url, read)
    assert found is None or isinstance(found, tuple)
    return found


def _server_search(url: str, q: str) -> list[str]:
    def run(state: ServerState) -> list[str]:
        with state.reads() as s:
            return [h.title for h in search.search(s, q)]

    found = _server(url, run)
    assert isinstance(found, list)
    return found


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.setFocus()  # no window manager offscreen: a dialog is not activated by itself
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def _key(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = ALT) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def test_a_supervisor_writes_edits_and_deletes_an_article_by_keyboard(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.kb_editor import KbEditor

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    ui = w.kb_desk
    with qtbot.waitSignal(ui.editor_loaded, timeout=40_000) as loaded:
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_B, CTRL_ALT | Qt.KeyboardModifier.ShiftModifier)
    assert loaded.args == [6]  # the demo's articles
    editor = ui.editor
    assert isinstance(editor, KbEditor) and editor.isVisible()
    assert editor.width() <= 1366 and editor.height() <= 768
    assert audit(editor) == []

    # A new article: English title and body, public, a tag, then a German variant.
    _focus(qtbot, editor.articles)
    _key(qtbot, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.title, timeout=5_000)
    qtbot.keyClicks(editor.title, "Gift <b>wrapping</b>")
    _key(qtbot, Qt.Key.Key_B)
    assert QApplication.focusWidget() is editor.body
    qtbot.keyClicks(editor.body, "We wrap presents in **recycled** paper for 3 EUR.")
    _key(qtbot, Qt.Key.Key_P)
    qtbot.waitUntil(editor.public.isChecked, timeout=5_000)
    _key(qtbot, Qt.Key.Key_G)
    qtbot.keyClicks(editor.tags, "gifts, wrapping")
    _focus(qtbot, editor.new_language)  # Tab from the language box
    qtbot.keyClicks(editor.new_language, "de")
    _key(qtbot, Qt.Key.Key_Return, NONE)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.title, timeout=5_000)
    assert editor.language.currentText() == "de" and editor.title.text() == ""
    qtbot.keyClicks(editor.title, "Geschenkverpackung")
    _key(qtbot, Qt.Key.Key_B)
    qtbot.keyClicks(editor.body, "Wir verpacken Geschenke in Recyclingpapier.")
    with qtbot.waitSignal(ui.queued, timeout=40_000) as queued:
        _key(qtbot, Qt.Key.Key_S)
    assert queued.args == ["kb.article.save"]
    qtbot.waitUntil(lambda: _article(shop.db_url, "gift-b-wrapping-b") is not None, timeout=40_000)
    found = _article(shop.db_url, "gift-b-wrapping-b")
    assert found is not None
    art, titles = found
    assert art.public and art.tags == ["gifts", "wrapping"]
    assert titles == {"en": "Gift <b>wrapping</b>", "de": "Geschenkverpackung"}
    assert _server_search(shop.db_url, "recycled") == ["Gift <b>wrapping</b>"]
    qtbot.waitUntil(lambda: editor.articles.count() == 7, timeout=40_000)
    assert audit(editor) == []  # the customer-looking title is plain text

    # Edit: the English body changes; the server finds only the new text. The German variant
    # is removed.
    assert editor.current_id() == art.id
    editor.language.setCurrentIndex(editor.language.findData("en"))
    _focus(qtbot, editor.body)
    editor.body.selectAll()
    qtbot.keyClicks(editor.body, "Wrapping is free in December.")
    editor.language.setCurrentIndex(editor.language.findData("de"))
    _focus(qtbot, editor.title)
    _key(qtbot, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: editor.language.count() == 1, timeout=5_000)
    with qtbot.waitSignal(ui.queued, timeout=40_000):
        _key(qtbot, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: _server_search(shop.db_url, "december") != [], timeout=40_000)
    assert _server_search(shop.db_url, "recycled") == []
    assert _server_search(shop.db_url, "Geschenkverpackung") == []

    # Delete, confirmed in the question box.
    def confirm() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(QMessageBox.StandardButton.Yes).click()
        else:
            QTimer.singleShot(50, confirm)

    QTimer.singleShot(50, confirm)
    _focus(qtbot, editor.articles)
    with qtbot.waitSignal(ui.queued, timeout=40_000) as queued:
        _key(qtbot, Qt.Key.Key_D)
    assert queued.args == ["kb.article.delete"]
    qtbot.waitUntil(
        lambda: (
            (f := _article(shop.db_url, "gift-b-wrapping-b")) is not None
            and f[0].deleted_at is not None
        ),
        timeout=40_000,
    )
    qtbot.waitUntil(lambda: editor.articles.count() == 6, timeout=40_000)


def test_an_agent_cannot_open_the_editor(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    demo = desk_factory(shop.server, "demo")
    w = demo.window
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_B, CTRL_ALT | Qt.KeyboardModifier.ShiftModifier)
    assert w.kb_desk.editor is None


def _conversation_about(kb: KnowledgeBase, ids: list[str]) -> str:
    """A conversation whose last inbound message suggests an article."""
    for cid in ids:
        if kb.suggest(cid, "en"):
            return cid
    raise AssertionError("no demo conversation suggests an article")


def test_the_chooser_suggests_searches_and_inserts_offline(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.kb_chooser import KbChooser

    demo = desk_factory(shop.server, "demo")
    shop.server.stop()  # from here on the desk has only its cache
    w = demo.window
    kb = w.kb_desk.kb
    with demo.ws.cache.session() as s:
        ids = list(s.scalars(select(m.Conversation.id).order_by(m.Conversation.id)))
    cid = _conversation_about(kb, ids)
    w.open_conversation(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=20_000)
    composer = w.conversation.composer
    composer.text.clear()
    _focus(qtbot, composer.text)

    ui = w.kb_desk
    with qtbot.waitSignal(ui.results_shown, timeout=20_000) as shown:
        qtbot.keyClick(composer.text, Qt.Key.Key_B, CTRL_ALT)
    chooser = ui.chooser
    assert isinstance(chooser, KbChooser) and chooser.isVisible()
    assert shown.args[0] >= 1
    assert "suggested from the customer's message" in chooser.status_text()
    assert audit(chooser) == []
    assert QApplication.focusWidget() is chooser.search

    # Search as one types; Down to the list; the preview is the article's plain text.
    with qtbot.waitSignal(ui.results_shown, timeout=20_000):
        qtbot.keyClicks(chooser.search, "shipping times")
    first = chooser.current()
    assert first is not None and first.title == "Shipping times"
    preview = chooser.preview.toPlainText()
    assert preview.startswith("Shipping times") and "|" not in preview and "**" not in preview
    _key(qtbot, Qt.Key.Key_Down, NONE)
    assert QApplication.focusWidget() is chooser.results
    with qtbot.waitSignal(ui.inserted, timeout=10_000) as inserted:
        _key(qtbot, Qt.Key.Key_Return, NONE)
    assert "Orders placed before 14:00" in inserted.args[0] and "**" not in inserted.args[0]
    assert "Orders placed before 14:00" in composer.text.toPlainText()
    qtbot.waitUntil(lambda: ui.chooser is None, timeout=5_000)

    # A link to a public article (the customer's page), by Alt+L.
    w.activateWindow()
    _focus(qtbot, composer.text)
    with qtbot.waitSignal(ui.results_shown, timeout=20_000):
        qtbot.keyClick(composer.text, Qt.Key.Key_B, CTRL_ALT)
    chooser = ui.chooser
    assert chooser is not None
    with qtbot.waitSignal(ui.results_shown, timeout=20_000):
        qtbot.keyClicks(chooser.search, "track")
    track = chooser.current()
    assert track is not None and track.slug == "track-your-order"
    # The customer's language first, when the article has it (the demo's tracking article is
    # in English, Spanish and Dutch).
    want = ui._lang if ui._lang in track.languages else track.lang
    assert track.lang == want
    with qtbot.waitSignal(ui.inserted, timeout=10_000) as inserted:
        _key(qtbot, Qt.Key.Key_L)
    assert inserted.args[0] == (
        f"{track.title}: {shop.server.url}/kb/track-your-order?lang={track.lang}"
    )

    # An internal article has no link; Escape closes.
    w.activateWindow()
    _focus(qtbot, composer.text)
    with qtbot.waitSignal(ui.results_shown, timeout=20_000):
        qtbot.keyClick(composer.text, Qt.Key.Key_B, CTRL_ALT)
    chooser = ui.chooser
    assert chooser is not None
    with qtbot.waitSignal(ui.results_shown, timeout=20_000):
        qtbot.keyClicks(chooser.search, "goodwill")
    current = chooser.current()
    assert current is not None and not current.public
    assert not chooser.link_button.isEnabled() and chooser.excerpt_button.isEnabled()
    _key(qtbot, Qt.Key.Key_Escape, NONE)
    qtbot.waitUntil(lambda: ui.chooser is None, timeout=5_000)

    # The customer's language first: the German variant of the returns policy.
    german = kb.search("returns", "de")
    assert [f.lang for f in german[:2]] == ["de", "de"]  # both match by their tag
    assert "Rückgaberecht" in {f.title for f in german[:2]}
    assert kb.search("returns", "en")[0].title == "Returns policy"
    assert kb.search("zzzz", "en") == []
