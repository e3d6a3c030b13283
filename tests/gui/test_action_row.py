"""The conversation's actions in one row with a "More" menu (issue 13, see
docs/conversation-toolbar.md): the real panel with the real actions (ActionRegistry: their
texts, shortcuts, descriptions)."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QApplication, QMenu, QStyleOptionMenuItem, QWidget
from pytestqt.qtbot import QtBot

from csdesk.theme.themes import LIGHT
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.main_window import CONVERSATION_ACTIONS
from csdesk.ui.panels.conversation import ConversationPanel


class Desk:
    def __init__(self, qtbot: QtBot) -> None:
        self.window = QWidget()
        qtbot.addWidget(self.window)
        self.ran: list[str] = []
        registry = ActionRegistry(self.window)
        self.actions: list[QAction] = [
            registry.bind(a, lambda *_, a=a: self.ran.append(a)) for a in CONVERSATION_ACTIONS
        ]
        self.panel = ConversationPanel("me", LIGHT, self.actions, self.window)
        self.panel.action_row.set_enabled(True)  # as with a conversation open
        self.row = self.panel.action_row
        self.window.resize(480, 700)
        self.panel.resize(480, 700)
        self.window.show()
        qtbot.waitExposed(self.window)

    def shown(self) -> list[QAction]:
        return [b.defaultAction() for b in self.row.buttons if b.isVisible()]

    def resize(self, qtbot: QtBot, width: int) -> None:
        self.window.resize(width, 700)
        self.panel.resize(width, 700)
        qtbot.waitUntil(lambda: self.row.width() == width, timeout=2_000)


def _one_line(desk: Desk) -> None:
    """Every visible button on one line inside the row, the row one button high."""
    row = desk.row
    visible = [b for b in [*row.buttons, row.more] if b.isVisible()]
    assert visible
    assert {b.y() for b in visible} == {0}
    assert row.height() == max(b.sizeHint().height() for b in [*row.buttons, row.more])
    for b in visible:
        assert row.rect().contains(b.geometry()), b.objectName()
    boxes = sorted(b.geometry().x() for b in visible)
    widths = {b.geometry().x(): b.width() for b in visible}
    for left, right in pairwise(boxes):
        assert left + widths[left] <= right  # side by side, no overlap


def test_a_narrow_row_is_one_line_and_the_rest_is_in_the_more_menu(qtbot: QtBot) -> None:
    desk = Desk(qtbot)
    row = desk.row
    qtbot.waitUntil(row.more.isVisible, timeout=2_000)
    _one_line(desk)
    shown = desk.shown()
    assert 0 < len(shown) < len(desk.actions)
    # In order: the first ones shown, the rest in the menu, each exactly once.
    assert shown + row.menu.actions() == desk.actions
    assert row.overflow == row.menu.actions()
    more = row.more
    assert more.text() == "More" and more.accessibleName() == "More actions"
    assert not more.icon().isNull()
    hidden = [b for b in row.buttons if not b.isVisible()]
    for b in hidden:  # hidden, so neither in the Tab order nor in the accessibility tree
        assert b.isHidden()
        assert b.defaultAction().text().replace("&", "").replace("…", "") in more.toolTip()
    # The menu shows each action's shortcut.
    for action in row.menu.actions():
        option = QStyleOptionMenuItem()
        row.menu.initStyleOption(option, action)
        keys = action.shortcut().toString()
        if keys:
            assert option.text.endswith("\t" + keys), option.text

    # Tab goes through the shown buttons, then to More.
    first = row.buttons[0]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus, timeout=2_000)
    order = [QApplication.focusWidget()]
    for _ in range(len(shown)):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [*(b for b in row.buttons if b.isVisible()), more]

    # Down opens the menu; choosing an entry runs its action.
    target = row.menu.actions()[-1]
    seen: list[bool] = []

    def choose() -> None:
        menu = QApplication.activePopupWidget()
        seen.append(menu is row.menu)
        assert isinstance(menu, QMenu)
        menu.setActiveAction(target)
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(0, choose)
    qtbot.keyClick(more, Qt.Key.Key_Down)  # returns when the menu has closed
    assert seen == [True]
    qtbot.waitUntil(lambda: desk.ran == [target.objectName().removeprefix("action_")])

    # Enter opens it too (Space is QToolButton's own).
    QTimer.singleShot(0, lambda: seen.append(QApplication.activePopupWidget() is row.menu))
    QTimer.singleShot(0, row.menu.close)
    qtbot.keyClick(more, Qt.Key.Key_Return)
    assert seen == [True, True]


def test_a_wide_row_shows_every_button_and_no_more(qtbot: QtBot) -> None:
    desk = Desk(qtbot)
    desk.resize(qtbot, 2400)
    qtbot.waitUntil(lambda: not desk.row.more.isVisible(), timeout=2_000)
    assert desk.shown() == desk.actions
    assert desk.row.menu.actions() == []
    _one_line(desk)
    # Narrower again: the last ones move into the menu.
    desk.resize(qtbot, 600)
    qtbot.waitUntil(desk.row.more.isVisible, timeout=2_000)
    assert desk.row.menu.actions() == desk.actions[len(desk.shown()) :]
    _one_line(desk)


def test_the_row_refits_when_actions_or_the_text_size_change(qtbot: QtBot) -> None:
    desk = Desk(qtbot)
    row = desk.row
    desk.resize(qtbot, 2400)
    qtbot.waitUntil(lambda: not row.more.isVisible(), timeout=2_000)
    # A hidden action's button goes; it is not in the menu either.
    tags = desk.actions[-1]
    tags.setVisible(False)
    qtbot.waitUntil(lambda: not row.buttons[-1].isVisible(), timeout=2_000)
    assert tags not in row.menu.actions() and not row.more.isVisible()
    tags.setVisible(True)
    qtbot.waitUntil(row.buttons[-1].isVisible, timeout=2_000)
    # Larger text: the same width no longer holds every button.
    fits = sum(b.width() for b in row.buttons) + 6 * (len(row.buttons) - 1)
    desk.resize(qtbot, fits + 10)
    assert not row.more.isVisible()
    font = QFont(desk.window.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    desk.window.setFont(font)
    qtbot.waitUntil(row.more.isVisible, timeout=2_000)
    _one_line(desk)
    # The menu's entries are the actions: disabled there when disabled, and More with them.
    for action in row.menu.actions():
        action.setEnabled(False)
    qtbot.waitUntil(lambda: not row.more.isEnabled(), timeout=2_000)
    row.menu.actions()[0].setEnabled(True)
    qtbot.waitUntil(row.more.isEnabled, timeout=2_000)
    # No conversation open: nothing to act on, More included.
    row.set_enabled(False)
    assert not row.more.isEnabled() and not any(b.isEnabled() for b in row.buttons)
    # A button keeps its description and icon when its action changes.
    first = row.buttons[0]
    desk.actions[0].setEnabled(False)
    desk.actions[0].setEnabled(True)
    assert not first.icon().isNull() and "(" in first.toolTip()


def test_right_to_left_mirrors_the_row(qtbot: QtBot) -> None:
    desk = Desk(qtbot)
    row = desk.row
    desk.window.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    qtbot.waitUntil(lambda: row.buttons[0].geometry().right() == row.width() - 1, timeout=2_000)
    assert row.more.isVisible() and row.more.x() == 0  # at the row's end, the left
    shown = [b for b in row.buttons if b.isVisible()]
    xs = [b.mapTo(row, QPoint(0, 0)).x() for b in shown]
    assert xs == sorted(xs, reverse=True)  # in order, from the right
    _one_line(desk)


def test_a_panel_without_actions_has_no_empty_row(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    panel = ConversationPanel("me", LIGHT, [], window)
    window.resize(600, 600)
    panel.resize(600, 600)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: panel.action_row.isHidden(), timeout=2_000)
    assert panel.buttons == [] and panel.action_row.minimumSizeHint().height() == 0
