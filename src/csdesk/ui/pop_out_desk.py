"""Pop a conversation out into its own window (docs/pop-out.md), built by the main window.

Ctrl+Alt+Shift+O ("Pop out conversation", also in the context menu of the inbox list and of
the thread) opens the open conversation in a ``PopOutWindow``; several can be open, one per
conversation, and popping out one already out brings its window to the front. The draft goes
with the conversation: the main window's reply moves into the new window, which owns it while
it is open (the main window's composer is off for that conversation, and its keys there bring
the window to the front: ``MainWindow._composing``), and a window that closes gives its draft
back (to the main window's composer when that shows the conversation, else to the desk's
``DraftBook`` until the conversation is opened or popped out again).
Escape or Ctrl+W closes a window and the focus returns to where it was in the main window.
Every window closes with the main window (sign-out, quit, a language change rebuilding it).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import QWidget

from csdesk.i18n import _
from csdesk.ui.drafts import Draft, DraftBook, draft_of, put_draft, take_draft
from csdesk.ui.pop_out_window import PopOutWindow
from csdesk.ui.screen_fit import resize_within_screen

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["PopOutDesk"]

#: A comfortable first size; ``resize_within_screen`` shrinks it to a small screen.
WIDTH, HEIGHT = 760, 860


class PopOutDesk(QObject):
    """Signals: ``opened(str)`` — a conversation's window opened or came to the front."""

    opened = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.windows: dict[str, PopOutWindow] = {}
        self.drafts: DraftBook = window.drafts  # the desk's one book (ui/drafts.py)
        self._return_to: dict[str, QWidget | None] = {}
        self._closing_all = False
        window.conversation.written_elsewhere = self.windows.__contains__
        action = window.actions_.bind("pop_out", self.pop_out_open)
        for where in (window.inbox.list, window.conversation.messages):  # the menu entries
            where.addAction(action)
            where.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        window.sign_out_requested.connect(self.close_all)
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """The main window closing or hidden by the desk (sign-out; minimising is a
        spontaneous hide and leaves them): the pop-outs close first."""
        kind = event.type()
        if obj is self.window and (
            kind == QEvent.Type.Close or (kind == QEvent.Type.Hide and not event.spontaneous())
        ):
            self.close_all()
        return False

    def _main_shows(self, cid: str) -> bool:
        """The main window shows ``cid``: its composer holds ``cid``'s draft (or nothing)."""
        shown = self.window.conversation.current
        return shown is not None and shown.id == cid

    def pop_out_open(self) -> None:
        cid = self.window.open_id
        if cid is None:
            self.window.say(_("No conversation is open."))
            return
        self.pop_out(cid)

    def pop_out(self, cid: str) -> PopOutWindow:
        """Open ``cid`` in its own window, or bring its window to the front."""
        existing = self.windows.get(cid)
        if existing is not None:
            existing.show()
            existing.raise_()
            existing.activateWindow()
            existing.say(_("This conversation is already in its own window."))
            self.opened.emit(cid)
            return existing
        w = self.window
        draft = self.drafts.take(cid)
        if self._main_shows(cid):  # the reply being written there goes with it
            mine = take_draft(w.conversation.composer)
            draft = mine if draft is None else draft.joined(mine)
        self._return_to[cid] = w.focusWidget()
        pop = PopOutWindow(w, cid, draft)
        pop.closing.connect(self._closed)
        pop.moved.connect(self._moved)
        self.windows[cid] = pop
        w.conversation.refresh_composer()  # off for it in the main window while it is out
        first = self.first_size(pop)
        resize_within_screen(pop, first.width(), first.height())
        pop.show()
        pop.raise_()
        pop.activateWindow()
        pop.conversation.messages.setFocus(Qt.FocusReason.OtherFocusReason)
        self.opened.emit(cid)
        return pop

    @staticmethod
    def first_size(pop: PopOutWindow) -> QSize:
        """The size a window asks for before the screen has its say: comfortable at 100 %
        text; at larger text its minimum plus room for a few lines of the thread (the action
        buttons and the composer's wrap onto more lines, and 860 px cut off Send at 200 %)."""
        lines = pop.fontMetrics().height() * 8
        return QSize(WIDTH, max(HEIGHT, pop.minimumSizeHint().height() + lines))

    def _moved(self, old: str, new: str) -> None:
        """A window's conversation was merged into ``new`` from that window: it is filed under
        ``new`` now; if ``new`` has a window of its own already, that one stays and this one
        closes (its draft goes into that one's empty composer, else is kept for ``new``)."""
        pop = self.windows.pop(old, None)
        if pop is None:
            return
        focus = self._return_to.pop(old, None)
        if new in self.windows:
            there = self.windows[new]
            draft = pop.draft()
            if not draft.empty() and draft_of(there.conversation.composer).empty():
                put_draft(there.conversation.composer, draft)
            elif not draft.empty():
                self.drafts.keep(new, draft)
            pop.closing.disconnect(self._closed)
            pop.close()
            self.window.conversation.refresh_composer()
            there.raise_()
            there.activateWindow()
            return
        self.windows[new] = pop
        self._return_to[new] = focus
        w = self.window
        if self._main_shows(new):  # its own window writes it now; what the main one held joins
            self.drafts.keep(new, take_draft(w.conversation.composer))
        w.conversation.refresh_composer()

    def _closed(self, cid: str, draft: Draft) -> None:
        pop = self.windows.pop(cid, None)
        focus = self._return_to.pop(cid, None)
        home = pop.home_id() if pop is not None else cid  # merged away: where it went
        w = self.window
        if not self._closing_all and self._main_shows(home) and home not in self.windows:
            # The main window shows it (its composer off and empty meanwhile): the draft is
            # there, with one kept for it meanwhile (a merge carried it).
            w.conversation.refresh_composer()
            composer = w.conversation.composer
            here = take_draft(composer)  # nothing, unless it is where a merge landed
            for other in (self.drafts.take(home), draft):
                here = here if other is None else here.joined(other)
            if not here.empty():
                put_draft(composer, here)
        else:
            self.drafts.keep(home, draft)
            w.conversation.refresh_composer()
        if self._closing_all:
            return
        # Activated by the desk: under X without a window manager nobody else does, and the
        # main window's shortcuts stayed dead (tests/a11y/test_pop_out_x11.py).
        w.raise_()
        w.activateWindow()
        if focus is not None:
            with contextlib.suppress(RuntimeError):  # gone meanwhile (a dialog's field)
                focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_all(self) -> None:
        self._closing_all = True
        try:
            for pop in list(self.windows.values()):
                pop.close()
        finally:
            self._closing_all = False

    def carry_over(self, old: PopOutDesk) -> None:
        """A window rebuilt in another language: the same conversations popped out again,
        built in the new language, with their drafts and the macro each can still take back
        (``MainWindow.take_over``)."""
        popped = {cid: pop.macro_desk.last_batch for cid, pop in old.windows.items()}
        old.close_all()
        for cid, draft in old.drafts.items():
            self.drafts.keep(cid, draft)
        for cid, batch in popped.items():
            self.pop_out(cid).macro_desk.last_batch = batch  # Ctrl+Alt+Z still takes it back
