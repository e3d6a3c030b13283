"""Text is shown whole or visibly shortened, never cut at a pane's edge (issue 13, the look
review): in German at 1600×1000 the views column cut "Nicht zugewiesen", the search box
showed "Nac…" of its hint, the customer card was wider than its pane (a button "Kunden
zusammenführen…" set its width) so every line ended mid-word at the edge; in English the
views list scrolled sideways; a form label with a mnemonic ("&Tags") lost its last letter.

Measured here: each view's name and count against its item's shown width, the views list's
sideways scrollbar, the search hint against its box (or its tooltip), the card against its
pane, and each mnemonic label's drawn width (the underlined letter laid out on its own, as
Qt draws it) against the label's width."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtGui import QFont, QFontMetricsF, QTextCharFormat, QTextLayout
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QStyleOptionViewItem, QWidget
from pytestqt.qtbot import QtBot

from csdesk import i18n
from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.theme.themes import get_theme
from csdesk.ui.appearance import apply_theme
from csdesk.ui.elide import ElidingButton, PlaceholderTip
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.customer_edit import CustomerEditDialog
from csdesk.ui.plain_text import PlainLabel
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(180)

SIZES = [pytest.param(1600, 1000, id="1600x1000"), pytest.param(1366, 768, id="1366x768")]


@pytest.fixture
def app() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()
    yield app
    app.setStyleSheet(sheet)
    app.setFont(font)
    i18n.set_language("en")


def _as_drawn(font: QFont, text: str) -> float:
    """``text``'s width as QLabel paints it with its mnemonic shown: the letter after "&"
    underlined, a run of its own."""
    at = text.find("&")
    shown = text.replace("&", "")
    layout = QTextLayout(shown, font)
    if at >= 0:
        underline = QTextLayout.FormatRange()
        underline.start, underline.length = at, 1
        fmt = QTextCharFormat()
        fmt.setFontUnderline(True)
        underline.format = fmt
        layout.setFormats([underline])
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(100_000.0)
    layout.endLayout()
    return max(line.naturalTextWidth(), QFontMetricsF(font).horizontalAdvance(shown))


def _cut_mnemonic_labels(top: QWidget) -> list[tuple[str, float, int]]:
    cut = []
    for label in top.findChildren(PlainLabel):
        text = label.text()
        if label.buddy() is None or "&" not in text or "&&" in text or not label.isVisible():
            continue
        if label.wordWrap():
            continue
        drawn = _as_drawn(label.font(), text)
        room = label.contentsRect().width() - 2 * label.margin()
        if room < math.ceil(drawn):
            cut.append((text, drawn, room))
    return cut


def _open_conversation(qtbot: QtBot, w: MainWindow) -> None:
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(
        lambda: w.shown_view == View.ALL_OPEN and w.model.rowCount() > 3, timeout=20_000
    )
    w.inbox.list.setFocus()
    w.inbox.step(1)
    w.inbox.step(1)
    qtbot.waitUntil(
        lambda: w.customer_ctx is not None and w.customer.card.isVisible(), timeout=20_000
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_views_search_card_and_labels_show_their_text(
    qtbot: QtBot,
    app: QApplication,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
    language: str,
    width: int,
    height: int,
) -> None:
    i18n.set_language(language)
    apply_theme(app, get_theme("light"), 1.0)
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    w.resize(width, height)
    _open_conversation(qtbot, w)
    qtbot.waitUntil(lambda: w.views.count() > 0 and "  " in w.views.item(0).text(), timeout=20_000)
    qtbot.waitUntil(lambda: w.views.isVisible(), timeout=5_000)

    # The views: every name and count whole, nothing to scroll sideways.
    views = w.views
    option = QStyleOptionViewItem()
    views.initViewItemOption(option)
    qtbot.waitUntil(lambda: not views.horizontalScrollBar().isVisible(), timeout=5_000)
    assert views.horizontalScrollBar().maximum() == 0
    for n in range(views.count()):
        item = views.item(n)
        index = views.indexFromItem(item)
        needed = QStyledItemDelegate().sizeHint(option, index).width()
        shown = views.visualItemRect(item).width()
        assert needed <= shown, (item.text(), needed, shown)
        assert shown <= views.viewport().width(), item.text()

    # The search box: its hint whole, or in "…" with the whole of it in the tooltip, and
    # never a stub ("Nac…") beside the sort order.
    search = w.inbox.search
    hint = search.placeholderText()
    metrics = search.fontMetrics()
    wide = min(metrics.horizontalAdvance(hint), 20 * metrics.averageCharWidth())
    assert search.width() >= wide, (search.width(), wide)
    if metrics.horizontalAdvance(hint) > search.contentsRect().width() - 8:
        assert search.toolTip() == hint

    # The customer card: no wider than the pane it scrolls in, its facts wrapped inside it,
    # its buttons inside it (shortened with "…" and the whole text in a tooltip).
    pane = w.customer
    if pane.isVisible():
        # The card is shown whole (its second row of buttons started half hidden under the
        # timeline) up to half the pane, unless the agent dragged it smaller.
        def whole() -> bool:
            share = min(pane.card_scroll.whole_height(), sum(pane.record_split.sizes()) // 2)
            return pane.card_scroll.height() >= share

        qtbot.waitUntil(whole, timeout=5_000)
        if pane.card_scroll.whole_height() < sum(pane.record_split.sizes()) // 2:
            qtbot.waitUntil(lambda: not pane.card_scroll.verticalScrollBar().isVisible())
        card, viewport = pane.card, pane.card_scroll.viewport()
        assert card.width() <= viewport.width(), (card.width(), viewport.width())
        facts = card.facts
        assert facts.x() + facts.width() <= card.width()
        for line in facts.text().splitlines():
            for word in line.split():
                assert facts.fontMetrics().horizontalAdvance(word) <= facts.width(), word
        for button in card.findChildren(ElidingButton):
            if not button.isVisible():
                continue
            assert button.x() + button.width() <= card.width(), button.text()
            if button.is_elided():
                assert button.toolTip(), button.text()

    # Mnemonic labels in the window (reply form, sort) and in the customer editor.
    assert _cut_mnemonic_labels(w) == []
    ctx = w.customer_ctx
    assert ctx is not None
    dialog = CustomerEditDialog(ctx, w)
    dialog.show()
    qtbot.waitExposed(dialog)
    labels = [label for label in dialog.findChildren(PlainLabel) if label.buddy() is not None]
    assert len(labels) >= 5
    assert _cut_mnemonic_labels(dialog) == []
    dialog.reject()


def test_a_mnemonic_label_is_as_wide_as_it_is_drawn(qtbot: QtBot) -> None:
    """ "&Tags": the "T" on its own loses its kerning with "a"; the label takes the width."""
    from PySide6.QtWidgets import QFormLayout, QLineEdit

    from csdesk.ui.plain_text import form_row

    host = QWidget()
    qtbot.addWidget(host)
    form = QFormLayout(host)
    labels = [form_row(form, text, QLineEdit(host)) for text in ("&Tags", "&Wave", "N&otes")]
    host.show()
    qtbot.waitExposed(host)
    wider = [
        lb
        for lb in labels
        if _as_drawn(lb.font(), lb.text())
        > lb.fontMetrics().horizontalAdvance(lb.text().replace("&", ""))
    ]
    assert wider, "no kerned pair in the font: the test measures nothing"
    assert _cut_mnemonic_labels(host) == []


def test_shortened_text_says_itself_whole_in_a_tooltip(qtbot: QtBot) -> None:
    """A narrow views list, search box and card button: "…" and the whole in the tooltip."""
    from PySide6.QtWidgets import QLineEdit

    from csdesk.ui.panels.sidebar import ViewList

    views = ViewList()
    qtbot.addWidget(views)
    views.set_counts({view: 12345 for view in ALL_VIEWS})
    views.resize(90, 600)
    views.show()
    qtbot.waitExposed(views)
    qtbot.waitUntil(lambda: views.visualItemRect(views.item(1)).width() <= 90, timeout=5_000)
    assert views.horizontalScrollBar().maximum() == 0
    assert views.natural_width() > 90  # it would like more, and says so to the pane fitter

    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.setPlaceholderText(
        "Nachrichten, Kunden, E-Mails, Telefonnummern, Bestellungen durchsuchen"
    )
    PlaceholderTip(edit)
    edit.resize(120, 30)
    edit.show()
    qtbot.waitExposed(edit)
    assert edit.toolTip() == edit.placeholderText()
    edit.resize(2000, 30)
    qtbot.waitUntil(lambda: edit.toolTip() == "", timeout=5_000)

    button = ElidingButton("Kunden zusammenführen…")
    qtbot.addWidget(button)
    button.resize(button.minimumSizeHint())
    button.show()
    qtbot.waitExposed(button)
    assert button.minimumSizeHint().width() < button.sizeHint().width()
    assert button.is_elided() and button.toolTip() == "Kunden zusammenführen…"
    button.resize(button.sizeHint())
    qtbot.waitUntil(lambda: not button.is_elided() and button.toolTip() == "", timeout=5_000)
    button.setToolTip("Merge this customer into another customer")  # its own: kept
    button.resize(button.minimumSizeHint())
    qtbot.waitUntil(button.is_elided, timeout=5_000)
    assert button.toolTip() == "Merge this customer into another customer"
