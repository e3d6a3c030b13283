"""One row of action buttons that never wraps: the buttons that fit are shown, in order, and
the rest are in a "More" menu at the row's end (the conversation's actions, issue 13).

The row used to wrap (``flow_layout.FlowLayout``): at 200 % text it took up to four lines, and
with the call script docked at 1600×1000 that pushed the composer's Send button under the
status bar. Now it is always one line. What does not fit is not lost to the keyboard or a
screen reader: the "More actions" button is in the Tab order right after the shown buttons,
Enter, Space or Down opens its menu, its tooltip and accessible description list what is in
it, and the menu holds the very same QActions (their shortcuts, shown in the menu, enabled and
checked state stay the actions'). Buttons that do not fit are hidden, so they leave the Tab
order and the accessibility tree rather than sitting there clipped.

The row is re-fitted when it is resized, when its font, style, language or direction change
(the buttons' widths change) and when an action changes (text, enabled, visible, shortcut).
Buttons are placed by hand rather than by a QHBoxLayout so the fit that decides what shows is
exactly the geometry they get; right to left mirrors it (the first action at the right edge,
"More" at the left).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeyEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QMenu, QSizePolicy, QStyle, QToolButton, QWidget

from csdesk.i18n import _
from csdesk.ui.plain_text import plain_tip

__all__ = ["ActionRow", "MoreButton", "action_tip"]

SPACING = 6


def action_tip(action: QAction) -> str:
    """ "Resolve (Ctrl+Shift+R): …": the name, its key and what it does, for the tooltip."""
    name = action.text().replace("&", "").replace("…", "")
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    head = f"{name} ({keys})" if keys else name
    return f"{head}: {action.statusTip()}" if action.statusTip() else head


class MoreButton(QToolButton):
    """The row's "More" button: its menu opens on a click, Space (QToolButton's own), Enter
    or Down, as a menu button's does in a toolbar."""

    OPEN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        opens = event.key() in self.OPEN_KEYS and plain == Qt.KeyboardModifier.NoModifier
        if opens and self.isEnabled() and self.menu() is not None:
            event.accept()
            self.showMenu()
            return
        super().keyPressEvent(event)


class ActionRow(QWidget):
    """A QToolButton per action (``buttons``, in order) and ``more``, the overflow menu's
    button; ``name`` is the row's accessible name. ``set_enabled`` switches the whole row (no
    conversation open), on top of each action's own enabled state."""

    def __init__(
        self, actions: Sequence[QAction], name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("action_row")
        self.setAccessibleName(name)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._on = True
        self._icons: dict[QToolButton, QIcon] = {}
        self.buttons: list[QToolButton] = []
        self._button_of: dict[QAction, QToolButton] = {}
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setObjectName(f"button_{action.objectName().removeprefix('action_')}")
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self._describe(button)
            action.setShortcutVisibleInContextMenu(True)  # the "More" menu shows its keys
            action.changed.connect(self._action_changed)  # a bound slot: gone with the row
            self._button_of[action] = button
            self.buttons.append(button)
        self.menu = QMenu(self)
        self.menu.setObjectName("more_actions_menu")
        self.menu.setAccessibleName(_("More actions"))
        self.more = MoreButton(self)  # created last: after the buttons in the Tab order
        self.more.setObjectName("button_more")
        self.more.setText(_("More"))
        self.more.setAccessibleName(_("More actions"))
        self.more.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setMenu(self.menu)
        self.more.hide()
        self.overflow: list[QAction] = []  # what the menu holds, in order
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit)

    # --- what the panel sets ----------------------------------------------------------------

    def set_icon(self, button: QToolButton, icon: QIcon, size: QSize) -> None:
        """``button``'s icon (kept: QToolButton resets it to the action's on every change)."""
        self._icons[button] = icon
        button.setIcon(icon)
        button.setIconSize(size)
        self.schedule()

    def set_more_icon(self, icon: QIcon, size: QSize) -> None:
        self.more.setIcon(icon)
        self.more.setIconSize(size)
        self.schedule()

    def set_enabled(self, on: bool) -> None:
        self._on = on
        for button in self.buttons:
            action = button.defaultAction()
            button.setEnabled(on and action is not None and action.isEnabled())
        self._update_more()

    # --- fitting ------------------------------------------------------------------------------

    def schedule(self) -> None:
        """Re-fit on the next event-loop turn (several changes at once fit once)."""
        self.updateGeometry()
        self._refit.start()

    def _wanted(self) -> list[QToolButton]:
        return [b for b in self.buttons if b.defaultAction() and b.defaultAction().isVisible()]

    def _height(self) -> int:
        return max((b.sizeHint().height() for b in [*self.buttons, self.more]), default=0)

    def minimumSizeHint(self) -> QSize:
        """As narrow as the "More" button: everything else can go into its menu."""
        if not self._wanted():
            return QSize(0, 0)
        return QSize(self.more.sizeHint().width(), self._height())

    def sizeHint(self) -> QSize:
        # The minimum, as FlowLayout's was: the row takes the width its column gives it and
        # does not ask the window to grow for buttons that have a menu to go to.
        return self.minimumSizeHint()

    def fits_all(self) -> bool:
        wanted = self._wanted()
        need = sum(b.sizeHint().width() for b in wanted) + SPACING * max(0, len(wanted) - 1)
        return need <= self.width()

    def _fit(self) -> None:
        self._refit.stop()
        wanted = self._wanted()
        room = self.width()
        height = self._height()
        shown: list[QToolButton] = []
        if self.fits_all():
            shown = wanted
        else:
            room -= self.more.sizeHint().width() + SPACING
            used = 0
            for button in wanted:
                need = button.sizeHint().width() + (SPACING if shown else 0)
                if used + need > room:
                    break  # in order: a later, narrower one does not jump the queue
                shown.append(button)
                used += need
        x = 0
        for button in shown:
            width = button.sizeHint().width()
            self._place(button, QRect(x, 0, width, height))
            x += width + SPACING
        for button in self.buttons:
            button.setVisible(button in shown)
        overflow = [b.defaultAction() for b in wanted if b not in shown]
        if overflow:
            width = self.more.sizeHint().width()
            self._place(self.more, QRect(self.width() - width, 0, width, height))
        if overflow != self.overflow:
            self.overflow = overflow
            self.menu.clear()  # the actions are the window's: clearing removes, not deletes
            for action in overflow:
                self.menu.addAction(action)
        self._update_more()
        self.more.setVisible(bool(overflow))
        self.setHidden(not wanted)  # no actions (listening in): no empty row

    def _place(self, widget: QWidget, rect: QRect) -> None:
        widget.setGeometry(QStyle.visualRect(self.layoutDirection(), self.rect(), rect))

    def _update_more(self) -> None:
        self.more.setEnabled(self._on and any(a.isEnabled() for a in self.overflow))
        names = [action_tip(a) for a in self.overflow]
        listing = "\n".join(names)
        self.more.setToolTip(plain_tip(_("More actions:") + "\n" + listing))
        self.more.setAccessibleDescription(listing)

    def _describe(self, button: QToolButton) -> None:
        action = button.defaultAction()
        if action is None:
            return
        button.setAccessibleName(action.text().replace("&", "").replace("…", ""))
        button.setAccessibleDescription(action.statusTip())
        button.setToolTip(plain_tip(action_tip(action)))

    def _action_changed(self) -> None:
        # QToolButton has just copied the action's text, icon, tooltip and enabled state:
        # put back what the row adds to them.
        button = self._button_of.get(self.sender())  # type: ignore[call-overload]
        if button is None:
            return
        self._describe(button)
        icon = self._icons.get(button)
        if icon is not None:
            button.setIcon(icon)
        action = button.defaultAction()
        button.setEnabled(self._on and action is not None and action.isEnabled())
        self._update_more()
        self.schedule()

    # --- events -------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (
            QEvent.Type.FontChange,
            QEvent.Type.StyleChange,
            QEvent.Type.LanguageChange,
            QEvent.Type.LayoutDirectionChange,
        ):
            self.schedule()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a shown button's size hint changed
            self.schedule()
        return super().event(event)
