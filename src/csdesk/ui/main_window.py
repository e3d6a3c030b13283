"""The window an agent lives in: views | inbox | conversation | customer, and a status bar.

Widgets reach data only through ``Workstation`` calls run by ``Tasks``; sync news arrives as
``SyncBridge`` signals and refreshes only what a change set names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QSplitter,
    QSystemTrayIcon,
    QWidget,
)

from csdesk.app import formats
from csdesk.app.empty_states import empty_view_text
from csdesk.app.inbox import Sort, View
from csdesk.app.search import searchable
from csdesk.app.thread import ConversationView, CustomerContext
from csdesk.app.workstation import Workstation
from csdesk.domain.enums import ConversationStatus
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity
from csdesk.sync.events import ChangeSet, Rejection, SyncState, SyncStatus
from csdesk.theme.tokens import Theme
from csdesk.ui.a11y import announce
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.big_lists import Releaser, position, same_items
from csdesk.ui.bridge import SyncBridge
from csdesk.ui.collision import CollisionWatch
from csdesk.ui.conversation_actions import ConversationActions
from csdesk.ui.customer_actions import CustomerActions
from csdesk.ui.drafts import DraftBook, draft_of, put_draft
from csdesk.ui.first_list import AfterFirstList
from csdesk.ui.first_run_hint import install_first_run_hint
from csdesk.ui.floor_desk import FloorDesk
from csdesk.ui.latest import Latest
from csdesk.ui.layout_memory import bind_pane_memory, default_sort, remember_sort
from csdesk.ui.models.inbox_model import InboxModel
from csdesk.ui.order_actions import OrderActions
from csdesk.ui.outreach_actions import OutreachActions
from csdesk.ui.pane_fit import PaneFitter
from csdesk.ui.panels.conversation import ConversationPanel
from csdesk.ui.panels.customer import CustomerPane
from csdesk.ui.panels.inbox import InboxPanel
from csdesk.ui.panels.sidebar import ViewList
from csdesk.ui.plain_text import confirm
from csdesk.ui.sandbox_banner import window_title, with_sandbox_banner
from csdesk.ui.status_line import StatusLine
from csdesk.ui.tasks import Tasks
from csdesk.ui.view_navigation import ViewNavigation
from csdesk.ui.visitor_typing import VisitorTypingWatch
from csdesk.ui.window_speech import SpeechKeys, WindowSpeech

if TYPE_CHECKING:
    from csdesk.settings import Settings
    from csdesk.ui.appearance import Appearance
    from csdesk.ui.speech_bridge import Speaker

CONVERSATION_ACTIONS = [
    "assign_me",
    "assign_other",
    "resolve",
    "pending",
    "reopen",
    "snooze",
    "priority",
    "tags",
]


@dataclass(frozen=True, slots=True)
class ListLoaded:
    """What one inbox query found (on the query lane); counts and Mine only when asked."""

    view: str
    ids: Sequence[str]
    same: bool  # the same ids in the same order as the list already shows
    counts: dict[str, int] | None = None
    mine: dict[str, None] | None = None
    new_mine: tuple[str, ...] = ()  # in ``mine``, not in the Mine set the query started from
    #: The conversation open when the query was asked and its row in ``ids`` (found here, on
    #: the worker: a scan of a million ids on the GUI thread is a pause).
    open_id: str | None = None
    open_row: int | None = None


class MainWindow(
    ConversationActions,
    CustomerActions,
    OrderActions,
    OutreachActions,
    ViewNavigation,
    AfterFirstList,
    SpeechKeys,  # read aloud, stop, pause (window_speech.py; the pop-outs have them too)
    QMainWindow,
):
    """Signals: ``sign_out_requested()``, ``announced(str)`` (every announcement, for speech
    and tests), ``new_for_me(str)`` (a conversation newly assigned to this agent),
    ``list_shown()`` (once: the first inbox list is in, or failed; what waits for it may
    start)."""

    sign_out_requested = Signal()
    list_shown = Signal()
    announced = Signal(str)
    new_for_me = Signal(str)
    # Languages (issue 13): the settings dialog's language changed (the setting's value, ""
    # for System default); the controller applies it and rebuilds the window (take_over).
    language_changed = Signal(str)

    def __init__(
        self,
        ws: Workstation,
        bridge: SyncBridge,
        theme: Theme,
        notice: str | None = None,
        *,
        speaker: Speaker | None = None,
        appearance: Appearance | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        self.ws, self.bridge, self.theme = ws, bridge, theme
        self.appearance, self.settings = appearance, settings
        self.speech: WindowSpeech | None = None  # set once the panels exist
        self.settings_dialog: QDialog | None = None
        self.tasks = Tasks(self)  # results meant for this window die with it
        self.tasks.run(formats.warm)  # Babel's data loads off the GUI thread
        self.setObjectName("main_window")
        self.setWindowTitle(window_title(ws.me.display_name, ws.me.role))
        self.setAccessibleName(_("csdesk agent workstation"))
        self.actions_ = ActionRegistry(self)
        self.view: str = View.MINE
        self.sort = Sort.NEWEST
        self.query = ""
        self.search_in_view = False  # a search looks everywhere unless the agent narrows it
        self.open_id: str | None = None
        self.open_conv: ConversationView | None = None
        self.customer_ctx: CustomerContext | None = None
        self._known_mine: dict[str, None] | None = None
        # Until the first catch-up, conversations arriving are the backlog, not news: without
        # this, signing in announced (and spoke) every conversation as "new for you".
        self.caught_up = False
        self._latest = Latest(self.tasks)  # one inbox query at a time, stale answers dropped
        self._release = Releaser(self)  # a million replaced ids are freed in slices
        self._recount_owed = True  # counts and Mine wait for a change or the clock
        self._quiet = False  # moving the list's cursor without opening what it lands on
        self.shown_view: str | None = None  # the view whose conversations the list shows
        self._names: dict[str, str] = {}  # teammates, read after the first list (first_list)

        self.views = ViewList(self)
        self.views.set_theme(theme)  # the look: icons in theme colours
        self.model = InboxModel(ws.rows)
        self.inbox = InboxPanel(self.model, theme, self)
        self.inbox.list.holds_open = lambda: self.open_id is not None
        self.inbox.results_pending = lambda: self._reorder_pending
        self.sort = default_sort(settings)  # the look: who waited longest / SLA due first
        self.inbox.sort.setCurrentIndex(max(0, self.inbox.sort.findData(self.sort.value)))
        self._bind_actions()
        # Each conversation's draft, while the desk runs (ui/drafts.py): one book for this
        # window and its pop-outs.
        self.drafts = DraftBook()
        self.conversation = ConversationPanel(
            ws.me.id,
            theme,
            [self.actions_[a] for a in CONVERSATION_ACTIONS],
            self,
            drafts=self.drafts,
        )
        self.customer = CustomerPane(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        for w in (self.views, self.inbox, self.conversation, self.customer):
            split.addWidget(w)
        split.setSizes([170, 500, 610, 320])
        split.setChildrenCollapsible(False)
        self.setCentralWidget(with_sandbox_banner(ws.me.role, split, self))
        self.panes = PaneFitter(split, self.views, self.inbox, self.conversation, self.customer)
        bind_pane_memory(settings, self.panes)  # the look: widths the agent chose, kept
        self.first_run_hint = install_first_run_hint(
            self.inbox.layout_, self.inbox, self.actions_, settings
        )

        # The status bar's items share one line fairly, the longer ending in "…" (whole in
        # the tooltip and for a screen reader) when large text leaves too little room.
        self.status_line = StatusLine(self)
        self.sync_label, self.notice_label = self.status_line.sync, self.status_line.notice
        self.statusBar().addPermanentWidget(self.status_line, 1)
        if notice:
            self.show_notice(notice)

        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(QIcon.fromTheme("mail-message-new"), self)
            self.tray.setToolTip("csdesk")
            self.tray.show()

        self._wire()
        if speaker is not None:
            self.speech = WindowSpeech(self, speaker)
        if appearance is not None:
            appearance.theme_changed.connect(self.set_theme)
        self._clock = QTimer(self)
        self._clock.setInterval(30_000)  # waiting times and SLA countdowns move
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self.collision = CollisionWatch(ws, self.tasks, self.conversation, self.say, self)
        self.visitor_typing = VisitorTypingWatch(
            ws, self.tasks, self.conversation, lambda text: self.say(text, speak=False), self
        )
        # The live floor: my status in the status bar, supervisors' messages (docs/floor.md).
        self.floor_desk = FloorDesk(
            self, ws, self.tasks, bridge, self.actions_, self.status_line, self.say,
            self.notice_label.setText,
        )  # fmt: skip
        self.on_status(ws.engine.status)
        self.reload_list()
        self.inbox.list.setFocus()

    # --- wiring --------------------------------------------------------------------------

    def _bind_actions(self) -> None:
        a = self.actions_
        a.bind("next_conversation", lambda: self.inbox.step(1))
        a.bind("previous_conversation", lambda: self.inbox.step(-1))
        a.bind("focus_inbox", self.inbox.list.setFocus)
        a.bind("focus_thread", lambda: self.conversation.messages.setFocus())
        a.bind("focus_customer", lambda: self._go_to_pane(self.customer))
        a.bind("focus_views", lambda: self._go_to_pane(self.views))
        a.bind("search", self._focus_search)
        for n in range(1, 10):
            a.bind(f"view_{n}", self._choose_view(n - 1))
        a.bind("go_to_view", self.go_to_view)
        # The composer's keys; a conversation in its own window is written there (it owns its
        # draft): that window comes to the front and does it (Ctrl+Return only shows it).
        composing: dict[str, Callable[[], None]] = {
            "reply": lambda: self.conversation.composer.start(note=False),
            "note": lambda: self.conversation.composer.start(note=True),
            "send": lambda: self.conversation.composer.submit(),
            "canned": self.choose_canned,
            "attach": self.attach_files,
            "template": self._open_template_dialog,
        }
        for name, here in composing.items():
            a.bind(name, self._composing(name, here))
        a.bind("assign_me", self.assign_me)
        a.bind("assign_other", self.assign_other)
        a.bind("resolve", self.resolve)
        a.bind("pending", lambda: self._status(ConversationStatus.PENDING, _("Set pending")))
        a.bind("reopen", lambda: self._status(ConversationStatus.OPEN, _("Reopened")))
        a.bind("snooze", self.snooze)
        a.bind("priority", self.change_priority)
        a.bind("tags", self.edit_tags)
        a.bind("formatted", self.show_formatted)
        a.bind("attachment", self.open_attachment)
        a.bind("read_aloud", self.read_aloud)
        a.bind("stop_speech", self.stop_speech)
        a.bind("pause_speech", self.pause_speech)
        a.bind("settings", self.show_settings)
        a.bind("shortcuts", self.show_shortcuts)
        a.bind("training", self._open_training)
        a.bind("training_review", self._open_training_review)
        a.bind("sign_out", self.ask_sign_out)
        a.bind("quit", self._close)
        a.bind("dashboard", self._open_dashboard)
        a.bind("sla_policy", self._open_sla_editor)

    def _close(self) -> None:
        """Quit (Ctrl+Q): every window goes, a supervisor's floor and pop-outs with this one
        (closing only this one left the floor up over a desk whose workers had stopped)."""
        if self.may_leave(quitting=True):
            QApplication.closeAllWindows()

    def ask_sign_out(self) -> None:
        """Sign out (Ctrl+Shift+Q, here or on the floor), once the agent agreed to lose what
        they wrote and did not send."""
        if self.may_leave(quitting=False):
            self.sign_out_requested.emit()

    def unsent_drafts(self) -> int:
        """Replies and notes written and not sent, kept in memory only: the open
        conversation's, those put aside (``self.drafts``) and those in pop-out windows."""
        n = sum(1 for _cid, draft in self.drafts.items() if not draft.empty())
        if self.open_id not in self.pop_outs.windows:
            n += not draft_of(self.conversation.composer).empty()
        return n + sum(
            not draft_of(pop.conversation.composer).empty()
            for pop in self.pop_outs.windows.values()
        )

    def may_leave(self, *, quitting: bool) -> bool:
        """True when nothing unsent would be lost, or the agent said to go on: signing out
        or quitting dropped every draft without a word (outside review)."""
        n = self.unsent_drafts()
        if not n:
            return True
        if quitting:
            question = ngettext(
                "{n} reply or note is not sent yet and will be lost. Quit anyway?",
                "{n} replies or notes are not sent yet and will be lost. Quit anyway?",
                n,
            )
        else:
            question = ngettext(
                "{n} reply or note is not sent yet and will be lost. Sign out anyway?",
                "{n} replies or notes are not sent yet and will be lost. Sign out anyway?",
                n,
            )
        parent = QApplication.activeWindow() or self
        return confirm(parent, _("Unsent replies"), question.format(n=n))

    def _composing(self, name: str, here: Callable[[], None]) -> Callable[[], None]:
        def act() -> None:
            cid = self.open_id
            if cid is None or cid not in self.pop_outs.windows:
                here()
                return
            pop = self.pop_outs.pop_out(cid)  # to the front, saying it is in its own window
            if name != "send":  # what is sent there is sent from there
                pop.actions_[name].trigger()

        return act

    def _go_to_pane(self, pane: QWidget) -> None:
        self.panes.reveal(pane)  # hidden at large text sizes until asked for
        if pane is self.customer:
            self.customer.focus_entry()
        else:
            pane.setFocus()

    def _choose_view(self, row: int) -> Callable[[], None]:
        return lambda: self.views.choose(row)

    def _wire(self) -> None:
        self.views.view_chosen.connect(self._view_chosen)
        self.inbox.query_changed.connect(self._query_changed)
        self.inbox.sort_changed.connect(self._sort_changed)
        self.inbox.scope_toggled.connect(self._toggle_scope)
        self.inbox.opened.connect(self.open_conversation)
        self.inbox.activated.connect(lambda _cid: self.conversation.messages.setFocus())
        self.customer.open_conversation.connect(self._open_from_customer)
        self.customer.link_requested.connect(self.link_match)
        self._wire_customer()
        self._wire_orders()
        self._wire_outreach()
        from csdesk.ui.qa_desk import QaDesk

        self.qa_desk = QaDesk(self)  # quality review: Ctrl+Alt+R, Ctrl+Alt+U, Ctrl+Alt+M
        from csdesk.ui.routing_desk import RoutingDeskUi

        self.routing_desk = RoutingDeskUi(self)  # routing rules editor: Ctrl+Alt+E
        from csdesk.ui.kb_desk import KbDeskUi

        self.kb_desk = KbDeskUi(self)  # knowledge base: Ctrl+Alt+B, editor Ctrl+Alt+Shift+B
        from csdesk.ui.macro_desk import MacroDeskUi

        # Macros and canned responses (docs/macros.md): Ctrl+Alt+A, Z, C, 1…9.
        self.macro_desk = MacroDeskUi(self)
        # Translation (issue 13, docs/languages.md): Ctrl+Alt+J a message, Ctrl+Alt+Shift+J
        # the reply.
        from csdesk.ui.translate_desk import TranslateDeskUi

        self.translate_desk = TranslateDeskUi(self)
        # The macro editor (docs/macros.md): Ctrl+Alt+Shift+A manages macros.
        from csdesk.ui.macro_editing import MacroEditingUi

        self.macro_editing = MacroEditingUi(self)
        from csdesk.ui.mention_desk import MentionDeskUi

        # Mentions (docs/mentions.md): the composer's @-completer, news, Ctrl+Alt+Shift+M.
        self.mention_desk = MentionDeskUi(self)
        from csdesk.ui.conversation_merge_desk import ConversationMergeUi

        # Merging and splitting conversations (docs/merge-split.md): Ctrl+Alt+Shift+E, Z, X.
        self.conversation_merge = ConversationMergeUi(self)
        from csdesk.ui.scheduled_desk import ScheduledDesk

        # Scheduled send and reminders (docs/scheduled-send.md): Ctrl+Shift+Return and
        # Ctrl+Alt+Shift+S, R, L.
        self.scheduled_desk = ScheduledDesk(self)
        # --- pop-out conversations ---
        from csdesk.ui.pop_out_desk import PopOutDesk

        # A conversation in a window of its own (docs/pop-out.md): Ctrl+Alt+Shift+O.
        self.pop_outs = PopOutDesk(self)
        # --- end pop-out conversations ---
        # --- side conversations (docs/side-conversations.md): Ctrl+Alt+Shift+F and D ---
        from csdesk.ui.side_desk import SideDeskUi

        self.side_desk = SideDeskUi(self)
        composer = self.conversation.composer
        composer.send_requested.connect(self.send)
        composer.canned_requested.connect(self.choose_canned)
        composer.attach_requested.connect(self.attach_files)
        composer.template_requested.connect(self.actions_["template"].trigger)
        self.bridge.status.connect(self.on_status)
        self.bridge.changes.connect(self.on_changes)
        self.bridge.rejected.connect(self.on_rejected)
        self.inbox.search.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.inbox.search and event.type() == QEvent.Type.KeyPress:
            from PySide6.QtGui import QKeyEvent

            if isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
                self.inbox.search.clear()
                self.inbox.list.setFocus()
                return True
        return super().eventFilter(obj, event)

    def _focus_search(self) -> None:
        self.inbox.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.inbox.search.selectAll()

    def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None:
        """Tell a screen reader (and speech) without moving focus; ``speak=False`` when the
        text is spoken by its own rule (new messages) or is about speech itself."""
        if self.speech is not None:
            message = self.speech.shape(message)
        announce(self, message, assertive=assertive)
        self.announced.emit(message)
        if speak and self.speech is not None:
            self.speech.speaker.announcement(message, assertive=assertive)

    def show_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.say(text)

    # --- the list ------------------------------------------------------------------------

    def _view_chosen(self, view: str) -> None:
        self.view = view
        self.reload_list(recount=False)

    def _query_changed(self, text: str) -> None:
        self.query = text if searchable(text) else ""  # one letter matches most of the cache
        self.reload_list(recount=False)

    def _sort_changed(self, value: str) -> None:
        self.sort = Sort(value)
        remember_sort(self.settings, self.sort)
        self.reload_list(recount=False)

    @property
    def _reorder_pending(self) -> bool:
        """An inbox query runs or waits."""
        return self._latest.busy

    def reload_list(self, *, recount: bool = True) -> None:
        """Re-run the ordering query on the query lane; with ``recount`` (the data or the
        clock moved, not the agent's view, sort or search) the counts and Mine too. A query
        asked while one runs replaces any waiting one, and the running one's answer is
        dropped; a recount asked for is kept until an answer with counts arrives."""
        self._recount_owed = self._recount_owed or recount
        recount = self._recount_owed
        view, sort, query = self.view, self.sort, self.query
        scope = view if self.search_in_view or not query.strip() else View.EVERYWHERE
        shown, known, ws, open_id = self.model.ids(), self._known_mine, self.ws, self.open_id

        def work() -> ListLoaded:
            ids = ws.ordered_ids(scope, sort, query)
            same = same_items(shown, ids)
            row = position(ids, open_id) if open_id else None
            if not recount:
                return ListLoaded(view, ids, same, open_id=open_id, open_row=row)
            # Showing Mine unsearched, the list is Mine: no second query for it.
            mine = dict.fromkeys(ids) if scope == View.MINE and not query else ws.mine()
            new = tuple(sorted(c for c in mine if c not in known)) if known is not None else ()
            return ListLoaded(view, ids, same, ws.counts(), mine, new, open_id, row)

        self._latest.submit(work, self._list_loaded, self._list_failed)

    def _list_loaded(self, result: ListLoaded) -> None:
        self._after_first_list()
        view, ids = result.view, result.ids
        self.shown_view = view
        old_row = self.inbox.list.currentIndex().row()
        current = self.open_id
        # The list replaced (or the new copy of the same list) is freed a slice at a time.
        self._release.release(result.ids if result.same else self.model.set_ids(ids))
        del ids
        total = self.model.total()
        if result.counts is not None and result.mine is not None:
            self._recount_owed = False
            self.views.set_counts(result.counts)
            if self._known_mine is not None and self.caught_up:
                for cid in result.new_mine:
                    self.new_for_me.emit(cid)
                    self._notify_new(cid)
            self._release.release(self._known_mine)
            self._known_mine = result.mine
        if self.query.strip():
            self._show_search_scope(view, bool(total))
        else:
            self.inbox.show_scope(None)
            self.inbox.show_empty(None if total else empty_view_text(view))
        had_focus = self.inbox.list.hasFocus()
        if current and result.open_id == current:  # the worker looked for it already
            found = result.open_row is not None and self.inbox.select_id(current, result.open_row)
        else:
            found = bool(current) and self.inbox.select_id(current)
        if found:
            pass
        elif total and old_row >= 0:
            # The open conversation left this view (taken by someone else): it stays open and
            # nothing else is highlighted (the highlight is always the open conversation), but
            # J and K go on from its place; nothing else opens by itself.
            self.inbox.park(min(old_row, total - 1))
        if had_focus:
            self.inbox.list.setFocus()
        if not self._reorder_pending:  # the latest asked for: what a Down waited for
            self.inbox.open_first_result()

    def _notify_new(self, cid: str) -> None:
        # New for me, or back from a snooze the server woke ("Snooze over: …").
        text = self.ws.arrival_notice(cid)
        if text is None:
            return
        self.say(text)
        if self.tray is not None:
            self.tray.showMessage("csdesk", text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _tick(self) -> None:
        self.model.tick()
        self.conversation.model.refresh()
        if self.speech is not None:
            self.speech.check_sla()
        self.reload_list()  # SLA-at-risk membership moves with the clock

    # --- the open conversation -----------------------------------------------------------

    def open_conversation(self, cid: str) -> None:
        if self._quiet or (cid == self.open_id and self.open_conv is not None):
            return
        self.open_id = cid
        self._load_conversation(cid, announce_it=True)
        self.collision.follow(cid)

    def _open_from_customer(self, cid: str) -> None:
        if not self.inbox.select_id(cid):
            self.views.choose(list(self._all_views()).index(View.ALL_OPEN))
            self.open_id = cid
            self._load_conversation(cid, announce_it=True)

    @staticmethod
    def _all_views() -> tuple[str, ...]:
        from csdesk.app.inbox import ALL_VIEWS

        return ALL_VIEWS

    def _load_conversation(self, cid: str, *, announce_it: bool = False) -> None:
        def work() -> tuple[ConversationView | None, CustomerContext | None]:
            conv = self.ws.conversation(cid)
            ctx = self.ws.customer(conv.customer_id) if conv else None
            if conv is not None:
                self.ws.mark_read(cid)
            return conv, ctx

        def done(result: tuple[ConversationView | None, CustomerContext | None]) -> None:
            if cid != self.open_id:
                return  # the agent moved on meanwhile
            conv, ctx = result
            self.open_conv, self.customer_ctx = conv, ctx
            assignee = self._names.get(conv.assignee_id or "") if conv else None
            email = (ctx.email or "") if ctx else ""
            self.conversation.show_conversation(
                conv, ctx.name if ctx else "", assignee, email_to=email
            )
            self.customer.show_customer(ctx, current=cid)
            self.visitor_typing.follow(conv)
            self.model.refresh({cid})
            if announce_it and conv is not None:
                self.say(
                    _("Opened: {header}. {n} messages.").format(
                        header=self.conversation.header.text(), n=len(conv.messages)
                    )
                )

        self.tasks.run(work, done, self._task_failed)

    # --- sync news -----------------------------------------------------------------------

    def on_status(self, status: SyncStatus) -> None:
        state = {
            SyncState.ONLINE: _("Online"),
            SyncState.SYNCING: _("Syncing"),
            SyncState.OFFLINE: _("Offline — working from the local copy"),
            SyncState.SIGNED_OUT: _("Signed out"),
        }[status.state]
        parts = [
            state,
            ngettext(
                "{n} action waiting to be sent", "{n} actions waiting to be sent", status.pending
            ).format(n=status.pending),
        ]
        if status.rejected:
            parts.append(
                ngettext(
                    "{n} refused by the server", "{n} refused by the server", status.rejected
                ).format(n=status.rejected)
            )
        if status.last_sync_at:
            parts.append(
                _("last sync {time}").format(
                    time=status.last_sync_at.astimezone().strftime("%H:%M:%S")
                )
            )
        if status.last_error and status.state == SyncState.OFFLINE:
            parts.append(status.last_error)
        text = " · ".join(parts)
        if status.state == SyncState.ONLINE and not self.caught_up:
            self.caught_up = True
            self._release.release(self._known_mine)  # a slice at a time: 300 k ids at 1 M
            self._known_mine = None  # the next complete list is the baseline
            self.reload_list()
        old = self.sync_label.text()
        self.sync_label.setText(text)
        self.sync_label.setAccessibleDescription(text)
        if (
            old
            and old.split(" · ")[0] != state
            and status.state in (SyncState.OFFLINE, SyncState.ONLINE)
        ):
            self.say(_("Connection: {state}").format(state=state))

    def on_changes(self, changes: ChangeSet) -> None:
        self.order_changes(changes)
        self.outreach_changes(changes)
        if (
            changes.everything
            or changes.touches(Entity.CONVERSATION)
            or changes.touches(Entity.USER)
        ):
            if changes.touches(Entity.USER):
                self.tasks.run(self.ws.users, lambda users: self._names.update(dict(users)))
            self.model.refresh(set(changes.ids(Entity.CONVERSATION)))
            self.reload_list()
        cid = self.open_id
        if cid is None:
            return
        conv = self.open_conv
        touched = changes.everything or cid in changes.ids(Entity.CONVERSATION)
        if conv is not None and not touched:
            cust = conv.customer_id
            touched = cust in changes.ids(Entity.CUSTOMER) or bool(
                changes.ids(Entity.ORDER)
                | changes.ids(Entity.SHIPMENT)
                | changes.ids(Entity.RETURN)
                | changes.ids(Entity.ORDER_ACTION)
                | changes.ids(Entity.IDENTITY)
                | changes.ids(Entity.IDENTITY_CLAIM)
                # The customer record: figures, profile changes, order actions, calls.
                | changes.ids(Entity.CUSTOMER_STATS)
                | changes.ids(Entity.CUSTOMER_EVENT)
                | changes.ids(Entity.ORDER_ACTION)
                | changes.ids(Entity.CALL)
            )
        if touched:
            before = len(conv.messages) if conv else 0
            self._load_conversation(cid)
            self._announce_new_messages(cid, before)

    def _announce_new_messages(self, cid: str, before: int) -> None:
        def check() -> ConversationView | None:
            return self.ws.conversation(cid)

        def done(conv: ConversationView | None) -> None:
            if conv is None or cid != self.open_id:
                return
            for msg in conv.messages[before:]:
                if msg.direction == "in":
                    self.visitor_typing.message_arrived()
                    self.say(
                        _("New message from {who}: {text}").format(
                            who=msg.author_name, text=msg.body_text[:200]
                        ),
                        speak=False,  # WindowSpeech speaks new messages by the agent's rules
                    )

        self.tasks.run(check, done)

    def on_rejected(self, rejection: Rejection) -> None:
        text = _("The server refused this: {reason}").format(reason=rejection.message)
        self.customer_refused(rejection)
        self.order_refused(rejection)
        if rejection.args.get("conversation_id") == self.open_id:
            self.conversation.show_rejection(text)
        self.show_notice(text)
        self.say(text, assertive=True)

    def _task_failed(self, exc: Exception) -> None:
        self.show_notice(_("Something went wrong: {error}").format(error=exc))

    # read_aloud, stop_speech, pause_speech: SpeechKeys (window_speech.py), shared with the
    # pop-outs (docs/pop-out.md).

    def set_theme(self, theme: Theme) -> None:
        """A new theme is in force (settings or the OS): repaint what paints with tokens."""
        self.theme = theme
        self.inbox.set_theme(theme)
        self.conversation.messages.set_theme(theme)
        self.views.set_theme(theme)  # the look: icons in theme colours
        self.conversation.set_theme(theme)
        self.panes.fit()  # the text size may have changed

    def show_settings(self) -> None:
        from csdesk.ui.panels.settings import SettingsDialog

        if self.settings is None or self.appearance is None:
            self.say(_("Settings are not available in this window."))
            return
        focus = self.focusWidget()
        speaker = self.speech.speaker if self.speech is not None else None
        dialog = SettingsDialog(self.settings, self.appearance, speaker, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per opening, not kept
        settings = self.settings

        def closed(_result: int) -> None:
            self.settings_dialog = None
            # On the writer: a window closing (Ctrl+Q right after) waits for it, and the
            # desk ends with os._exit, which would cut a save left on the pool.
            self.tasks.write(settings.save, None, self._settings_not_saved)
            if focus is not None:  # back where the agent was, as after any dialog
                self.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(closed)
        dialog.language_changed.connect(self.language_changed)  # languages (issue 13)
        self.settings_dialog = dialog
        dialog.open()  # window-modal without a nested event loop

    def _settings_not_saved(self, exc: Exception) -> None:
        self.show_notice(_("Could not save settings: {error}").format(error=exc))

    # Dialogs are imported when first opened: the first paint does not need them.

    def _open_template_dialog(self) -> None:
        from csdesk.ui.panels.template_dialog import open_template_dialog

        open_template_dialog(self)

    def _open_training(self) -> None:
        from csdesk.ui.panels.training import open_training

        open_training(self)

    def _open_dashboard(self) -> None:
        from csdesk.ui.panels.dashboard_window import open_dashboard

        open_dashboard(self)

    def open_from_dashboard(self, cid: str) -> None:
        """Open a conversation the KPI dashboard listed (it may be in no view shown now)."""
        self._open_from_customer(cid)

    def _open_training_review(self) -> None:
        from csdesk.ui.panels.training_review import open_training_review

        open_training_review(self)

    def _open_sla_editor(self) -> None:
        from csdesk.ui.panels.sla_editor import open_sla_editor

        open_sla_editor(self)

    def show_shortcuts(self) -> None:
        from csdesk.ui.panels.shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(list(self.actions_), self)
        focus = self.focusWidget()
        dialog.exec()
        if focus is not None:
            focus.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        if event.spontaneous() and not self.may_leave(quitting=True):  # the title bar's X
            event.ignore()
            return
        self._clock.stop()
        self.collision.stop()
        self.tasks.shutdown()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)

    # --- languages (issue 13): a rebuilt window continues where the old one was -----------

    def take_over(self, old: MainWindow) -> None:
        """Continue where ``old`` (the same session, built in the previous language) was: its
        place and size, view, sort, search, the open conversation with its customer, and the
        reply being written. Everything shown is data already in memory, re-rendered in the
        language now in force; the list and the conversation then reload as usual. The reply keeps
        its files, and a macro still waiting can still be taken back."""
        self.setGeometry(old.geometry())
        if old.isMaximized():
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        self.panes.split.setSizes(old.panes.split.sizes())
        self.search_in_view = old.search_in_view
        self._names.update(old._names)
        self.views.choose(old.views.currentRow())
        self.inbox.sort.setCurrentIndex(max(0, self.inbox.sort.findData(old.sort.value)))
        self.inbox.search.setText(old.inbox.search.text())
        self.macro_desk.last_batch = old.macro_desk.last_batch  # Ctrl+Alt+Z still takes it back
        self.scheduled_desk.carry_over(old.scheduled_desk)  # reminders said are not said again
        self.pop_outs.carry_over(old.pop_outs)  # pop-out conversations (docs/pop-out.md)
        cid = old.open_id
        if cid is None:
            return
        self.open_id = cid
        conv, ctx = old.open_conv, old.customer_ctx
        self.open_conv, self.customer_ctx = conv, ctx
        if conv is not None:
            assignee = self._names.get(conv.assignee_id or "")
            self.conversation.show_conversation(
                conv, ctx.name if ctx else "", assignee, email_to=(ctx.email or "") if ctx else ""
            )
            self.customer.show_customer(ctx, current=cid)
        draft = draft_of(old.conversation.composer)  # files on the reply stay on it
        if not draft.empty():
            put_draft(self.conversation.composer, draft)
        self.collision.follow(cid)
        self._load_conversation(cid)
