"""One conversation in a window of its own (docs/pop-out.md), beside the agent screen.

The same conversation panel as the main window (thread, composer, action buttons), the same
keys (its own action registry binds the conversation's shortcuts to this window), and the same
actions: ``ConversationActions`` is the main window's mixin, so a reply, a note, resolve, assign,
snooze, priority and tags go through the same workstation calls, the same serial writer and
the outbox. Reads and writes run on the main window's lanes; results that arrive after this
window closed are dropped (``_WindowLanes``), while writes already queued still complete.

The conversation's desks are the main window's too, built once more for this window's panel
and conversation (ui/desk_host.py): macros (``MacroDeskUi``), send later and reminders
(``ScheduledDesk``), translation (``TranslateDeskUi``), WhatsApp templates
(``open_template_dialog``), merge and split (``ConversationMergeUi``) and read aloud
(``SpeechKeys``, the main window's voice). Ctrl+3 shows a compact customer pane beside the
conversation: the main window's ``CustomerDetails`` (identities, notes, orders, shipments,
returns, earlier conversations; a link opens in the main window).

Signals: ``announced(str)`` — every announcement (tests and speech); ``closing(str, object)``
— the window is closing: its conversation id and its ``Draft`` (the desk keeps it);
``moved(str, str)`` — the agent merged this window's conversation into another from here:
the window follows it (old id, new id; the desk files the window under the new one).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QPushButton, QSplitter, QVBoxLayout, QWidget

from csdesk.app import mentions
from csdesk.app.thread import ConversationView, CustomerContext
from csdesk.domain import macros as rules
from csdesk.domain.bidi import isolate
from csdesk.domain.enums import ConversationStatus
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, RejectCode
from csdesk.sync.events import ChangeSet, Rejection
from csdesk.theme.tokens import Theme
from csdesk.ui.a11y import announce
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.conversation_actions import ConversationActions
from csdesk.ui.conversation_merge_desk import ConversationMergeUi
from csdesk.ui.drafts import Draft, draft_of, put_draft
from csdesk.ui.macro_desk import MacroDeskUi
from csdesk.ui.main_window import CONVERSATION_ACTIONS
from csdesk.ui.panels.conversation import ConversationPanel
from csdesk.ui.panels.customer import CustomerDetails, open_in_browser
from csdesk.ui.panels.mention_completer import MentionCompleter
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.scheduled_desk import ScheduledDesk
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.tasks import Tasks
from csdesk.ui.translate_desk import TranslateDeskUi
from csdesk.ui.visitor_typing import VisitorTypingWatch
from csdesk.ui.window_speech import SpeechKeys

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["PopOutWindow", "title_text"]

T = TypeVar("T")
#: The conversation's own actions, as the main window's panel shows them (its buttons).
PANEL_ACTIONS = tuple(CONVERSATION_ACTIONS)
#: Every key the window answers to besides the panel's buttons.
KEY_ACTIONS = ("reply", "note", "send", "canned", "attach", "focus_thread", "formatted",
               "attachment", "template", "read_aloud", "stop_speech", "pause_speech",
               "macro_manage")  # fmt: skip
#: The desks' actions that change the conversation or send: off once the window stopped
#: (its desks bind them: macro_desk, scheduled_desk, translate_desk).
DESK_WRITES = (
    "macro_apply",
    *(f"macro_favourite_{n}" for n in range(1, rules.FAVOURITES + 1)),
    "send_later",
    "remind_me",
    "translate_reply",
    "conversation_merge",
    "conversation_unmerge",
    "conversation_split",
    "scheduled_list",  # its list edits and cancels the conversation's queued replies
)
#: What still works in a stopped window: reading, listening, lists.
STILL_ON = ("focus_thread", "focus_customer", "formatted", "attachment", "read_aloud",
            "stop_speech", "pause_speech", "macro_manage")  # fmt: skip
#: How much wider the window grows when the customer pane is first shown (Ctrl+3).
CUSTOMER_WIDTH = 300
#: A refusal with one of these codes means the conversation is gone for this agent (the server
#: says "not found" of what a caller may not read).
GONE_CODES = {RejectCode.DELETED.value, RejectCode.NOT_FOUND.value}
TITLE_MAX = 80


def _one_line(text: str) -> str:
    """Outside text for a window title: one line (control characters, line and paragraph
    separators become spaces), at most ``TITLE_MAX`` characters, isolated (domain/bidi.py),
    and Qt's "[*]" placeholder shown as typed rather than swallowed."""
    flat = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    flat = " ".join(flat.split())
    if len(flat) > TITLE_MAX:
        flat = flat[: TITLE_MAX - 1] + "…"
    return isolate(flat).replace("[*]", "[*][*]")


def title_text(customer: str, subject: str) -> str:
    """The window's title: the customer's name, then the subject."""
    who = _one_line(customer) or _("Unknown customer")
    if not subject.strip():
        return _("{customer} — csdesk").format(customer=who)
    return _("{customer} — {subject} — csdesk").format(customer=who, subject=_one_line(subject))


class _WindowLanes(Tasks):
    """The main window's lanes for this window: one serial writer keeps every action in the
    order the agent took it, whichever window it came from. After ``shutdown`` (this window
    closed) no result reaches this window's widgets; the work itself still runs."""

    def __init__(self, lanes: Tasks) -> None:
        super().__init__(None, workers=1)  # its own pools are never used (threads start lazily)
        self._lanes = lanes

    def _gate(self, callback: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
        if callback is None:
            return None
        return lambda value: None if self.closed else callback(value)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        return self._lanes.run(fn, self._gate(on_done), self._gate(on_error))

    def write(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        return self._lanes.write(fn, self._gate(on_done), self._gate(on_error))

    def query(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        return self._lanes.query(fn, self._gate(on_done), self._gate(on_error))

    def shutdown(self) -> None:
        self.closed = True  # the lanes are the main window's: they go on


class _Mentions:
    """The @-completer of this window's composer (docs/mentions.md), as the window's
    ``mention_desk`` that ``ConversationActions.send`` asks who a note mentions."""

    def __init__(self, pop: PopOutWindow) -> None:
        self._pop = pop
        composer = pop.conversation.composer
        self.completer = MentionCompleter.attach(
            composer, composer.text, composer.note.isChecked, pop.say
        )
        composer.note.toggled.connect(self.completer.refresh)  # a reply offers nobody
        self.load()

    def load(self) -> None:
        ws = self._pop.ws
        self._pop.tasks.run(lambda: mentions.teammates(ws), self.completer.set_teammates)

    def chosen_in(self, body: str) -> list[str]:
        return self.completer.chosen_in(body)

    def sent(self, chosen: list[str]) -> None:
        n = len(chosen)
        self._pop.say(
            ngettext("{n} teammate will be notified", "{n} teammates will be notified", n).format(
                n=n
            )
        )


Loaded = tuple[ConversationView | None, CustomerContext | None, str | None]


class PopOutWindow(ConversationActions, SpeechKeys, QMainWindow):
    announced = Signal(str)
    closing = Signal(str, object)
    moved = Signal(str, str)

    def __init__(self, main: MainWindow, conversation_id: str, draft: Draft | None = None) -> None:
        super().__init__(main)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("pop_out_window")
        self.main, self.cid = main, conversation_id
        self.ws, self.settings, self.theme = main.ws, main.settings, main.theme
        # The desk-wide parts the conversation desks use (ui/desk_host.py): one sync bridge,
        # one voice, one tray icon.
        self.bridge, self.speech, self.tray = main.bridge, main.speech, main.tray
        self.tasks = _WindowLanes(main.tasks)
        self.open_conv: ConversationView | None = None
        self.customer_ctx: CustomerContext | None = None
        self.stopped: str | None = None  # why nothing can be sent from here any more
        self._draft = draft
        self._sending: str | None = None  # a reply queued and not yet confirmed
        self._loading = self._again = self._announced = False
        self._customer = ""
        self.setWindowTitle(title_text("", ""))
        self.setAccessibleName(_("Conversation window"))
        self.setAccessibleDescription(_("One conversation in its own window; Escape closes it"))

        self.actions_ = ActionRegistry(self)
        self._bind_actions()
        self.conversation = ConversationPanel(
            main.ws.me.id, main.theme, [self.actions_[a] for a in PANEL_ACTIONS], self
        )
        self.gone = PlainLabel(self)
        self.gone.setObjectName("pop_out_gone")
        self.gone.setWordWrap(True)
        self.gone.setProperty("banner", "warning")
        self.gone.hide()
        self.follow = QPushButton(_("Open it in the main window"), self)
        self.follow.setObjectName("pop_out_follow")
        self.follow.setAccessibleName(_("Open the conversation it went into in the main window"))
        self.follow.hide()
        self.follow.clicked.connect(self._follow_in_main)
        # The compact customer pane (Ctrl+3): the main window's details, hidden until asked.
        self.customer = CustomerDetails(self)
        self.customer.setObjectName("pop_out_customer")
        self.customer.open_conversation.connect(self._open_from_customer)
        self.customer.open_external.connect(open_in_browser)
        self.customer.hide()
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.conversation)
        self.split.addWidget(self.customer)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self.gone)
        layout.addWidget(self.follow, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.split, 1)
        self.setCentralWidget(body)
        self.notice_label = PlainLabel(self)
        self.notice_label.setObjectName("pop_out_notice")
        self.statusBar().addWidget(self.notice_label, 1)

        # Ctrl+W, and the platform's other "close" keys (``QKeySequence(StandardKey.Close)``
        # is only the first of them: Ctrl+F4 here, and Ctrl+W did nothing).
        closers = {k.toString() for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Close)}
        for keys in sorted(closers | {"Ctrl+W"}):
            close = QShortcut(QKeySequence(keys), self)
            close.setContext(Qt.ShortcutContext.WindowShortcut)
            close.activated.connect(self.close)
        composer = self.conversation.composer
        composer.send_requested.connect(self.send)
        composer.canned_requested.connect(self.choose_canned)
        composer.attach_requested.connect(self.attach_files)
        composer.template_requested.connect(self.actions_["template"].trigger)
        self.mention_desk = _Mentions(self)
        # The main window's conversation desks, for this window (docs/pop-out.md): the same
        # keys, dialogs and sentences; desk-wide news stays the main window's.
        self.macro_desk = MacroDeskUi(self, everywhere=False)
        self.scheduled_desk = ScheduledDesk(self, everywhere=False)
        self.translate_desk = TranslateDeskUi(self)
        self.conversation_merge = ConversationMergeUi(self, everywhere=False)
        self.visitor_typing = VisitorTypingWatch(
            self.ws, self.tasks, self.conversation, lambda t: self.say(t, speak=False), self
        )
        main.bridge.changes.connect(self.on_changes)
        main.bridge.rejected.connect(self.on_rejected)
        if main.appearance is not None:
            main.appearance.theme_changed.connect(self.set_theme)
        self._clock = QTimer(self)  # "5 minutes ago" moves, as in the main window
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self.conversation.model.refresh)
        self._clock.start()
        self.load()

    def _bind_actions(self) -> None:
        a = self.actions_
        a.bind("reply", lambda: self.conversation.composer.start(note=False))
        a.bind("note", lambda: self.conversation.composer.start(note=True))
        a.bind("send", lambda: self.conversation.composer.submit())
        a.bind("canned", self.choose_canned)
        a.bind("attach", self.attach_files)
        a.bind("focus_thread", lambda: self.conversation.messages.setFocus())
        a.bind("formatted", self.show_formatted)
        a.bind("attachment", self.open_attachment)
        a.bind("assign_me", self.assign_me)
        a.bind("assign_other", self.assign_other)
        a.bind("resolve", self.resolve)
        a.bind("pending", lambda: self._status(ConversationStatus.PENDING, _("Set pending")))
        a.bind("reopen", lambda: self._status(ConversationStatus.OPEN, _("Reopened")))
        a.bind("snooze", self.snooze)
        a.bind("priority", self.change_priority)
        a.bind("tags", self.edit_tags)
        a.bind("template", self._open_template_dialog)
        a.bind("read_aloud", self.read_aloud)
        a.bind("stop_speech", self.stop_speech)
        a.bind("pause_speech", self.pause_speech)
        a.bind("macro_manage", self._manage_macros_in_main)
        a.bind("focus_customer", self.toggle_customer)

    # --- what the actions need (ConversationActions) ------------------------------------

    def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None:
        """As the main window says things (its speech rules too), from this window, so a
        screen reader in it hears them."""
        speech = self.main.speech
        if speech is not None:
            message = speech.shape(message)
        announce(self, message, assertive=assertive)
        self.announced.emit(message)
        if speak and speech is not None:
            speech.speaker.announcement(message, assertive=assertive)

    def _task_failed(self, exc: Exception) -> None:
        self._sending = None  # a reply that could not be queued stays a draft
        text = _("Something went wrong: {error}").format(error=exc)
        self.notice_label.setText(text)
        self.say(text)

    def _move_on(self, cid: str) -> None:
        """The window stays on its conversation (the main window moves on to the next)."""

    def send(self, body: str, note: bool, subject: str) -> None:
        if self.stopped is not None:
            self.say(self.stopped, assertive=True)
            return
        self._sending = body
        super().send(body, note, subject)

    # --- loading -------------------------------------------------------------------------

    def load(self) -> None:
        """Read the conversation on a worker; one read at a time, the latest news after it."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        ws, cid = self.ws, self.cid

        def work() -> Loaded:
            conv = ws.conversation(cid)
            ctx = ws.customer(conv.customer_id) if conv else None
            assignee = dict(ws.users()).get(conv.assignee_id or "") if conv else None
            if conv is not None and conv.id == cid:
                ws.mark_read(cid)
            return conv, ctx, assignee

        self.tasks.run(work, self._loaded, self._load_failed)

    def _load_failed(self, exc: Exception) -> None:
        self._loading = False
        self._task_failed(exc)

    def _loaded(self, result: Loaded) -> None:
        self._loading = False
        conv, ctx, assignee = result
        before = self.open_conv
        if conv is None:
            self._stop(
                _(
                    "This conversation is no longer available to you: it was deleted or you "
                    "lost access to it. Nothing can be sent from this window."
                )
            )
        else:
            self.open_conv, self.customer_ctx = conv, ctx
            self._customer = ctx.name if ctx else ""
            self.conversation.show_conversation(
                conv, self._customer, assignee, email_to=(ctx.email or "") if ctx else ""
            )
            self.setWindowTitle(title_text(self._customer, conv.subject))
            self.setAccessibleName(
                _("Conversation with {customer}").format(
                    customer=_one_line(self._customer) or _("Unknown customer")
                )
            )
            self.visitor_typing.follow(conv)
            self.customer.show_customer(ctx, current=conv.id)
            if self._draft is not None:  # the draft the window was opened with
                put_draft(self.conversation.composer, self._draft)
                self._draft = None
            if conv.id != self.cid:
                self._stop(
                    _(
                        "This conversation was merged into another conversation of the "
                        "customer, shown here. Nothing can be sent from this window; open "
                        "it in the main window to go on."
                    ),
                    follow=True,
                )
            elif self.stopped is not None:
                self._apply_stop()  # showing a conversation enables its controls again
            self._announce(conv, before)
        if self._again:
            self._again = False
            self.load()

    def _announce(self, conv: ConversationView, before: ConversationView | None) -> None:
        if not self._announced:
            self._announced = True
            self.say(
                _("Opened in its own window: {header}. {n} messages.").format(
                    header=self.conversation.header.text(), n=len(conv.messages)
                )
            )
            return
        if before is None or before.id != conv.id:
            return
        known = {m.id for m in before.messages}
        for msg in conv.messages:
            if msg.id not in known and msg.direction == "in":
                self.visitor_typing.message_arrived()
                self.say(
                    _("New message from {who}: {text}").format(
                        who=msg.author_name, text=msg.body_text[:200]
                    ),
                    speak=False,  # the main window's speech speaks new messages by its rules
                )

    # --- sync news -----------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if self.tasks.closed:
            return
        ids = changes.ids(Entity.CONVERSATION)
        conv, ctx = self.open_conv, self.customer_ctx
        if (
            changes.everything
            or self.cid in ids
            or (conv is not None and conv.id in ids)
            or (ctx is not None and ctx.id in changes.ids(Entity.CUSTOMER))
            or changes.touches(Entity.USER)
        ):
            self.load()
        if changes.everything or changes.touches(Entity.USER):
            self.mention_desk.load()

    def on_rejected(self, rejection: Rejection) -> None:
        if self.tasks.closed:
            return
        named = {str(v) for k, v in rejection.args.items() if k.endswith("conversation_id")}
        if self.cid not in named and (self.open_conv is None or self.open_conv.id not in named):
            return
        text = _("The server refused this: {reason}").format(reason=rejection.message)
        self.conversation.show_rejection(text)
        if rejection.code in GONE_CODES and rejection.args.get("conversation_id") == self.cid:
            self._stop(text + " " + _("Nothing can be sent from this window."))
        else:
            self.say(text, assertive=True)

    # --- stopped: merged away or no longer readable ----------------------------------------

    def _stop(self, reason: str, *, follow: bool = False) -> None:
        first = self.stopped != reason
        self.stopped = reason
        self.follow.setVisible(follow)
        self._apply_stop()
        if first:
            self.say(reason, assertive=True)

    def _apply_stop(self) -> None:
        if self.stopped is None:
            return
        self.gone.setText(self.stopped)
        self.gone.show()
        self.actions_.enable([*PANEL_ACTIONS, *KEY_ACTIONS, *DESK_WRITES], False)
        self.actions_.enable(list(STILL_ON), True)
        for button in self.conversation.buttons:
            button.setEnabled(False)
        # The draft stays readable and copyable; only sending is off.
        composer = self.conversation.composer
        for push in (composer.send, composer.canned, composer.attach, composer.template):
            push.setEnabled(False)
        composer.text.setReadOnly(True)

    def _resume(self) -> None:
        """Sending again (this window follows the conversation it merged its own into)."""
        self.stopped = None
        self.gone.hide()
        self.follow.hide()
        self.actions_.enable([*PANEL_ACTIONS, *KEY_ACTIONS, *DESK_WRITES], True)
        composer = self.conversation.composer
        for push in (composer.canned, composer.attach, composer.template):
            push.setEnabled(True)
        composer.text.setReadOnly(False)  # Send: the composer's own rules, on the next show

    def open_conversation(self, cid: str) -> None:
        """The agent merged this window's conversation into ``cid`` from here (Ctrl+Alt+Shift+E,
        ``ConversationMergeUi``): the window goes on with that one, sending again."""
        if cid == self.cid:
            return
        old, self.cid = self.cid, cid
        self.moved.emit(old, cid)
        if self.stopped is not None:
            self._resume()
        self.load()

    def _follow_in_main(self) -> None:
        conv = self.open_conv
        if conv is None:
            return
        self.main.open_from_dashboard(conv.id)
        self.main.raise_()
        self.main.activateWindow()

    # --- what the conversation desks need besides ConversationActions (ui/desk_host.py) ---

    @property
    def open_id(self) -> str | None:
        """The conversation shown (after a merge elsewhere: the one it went into)."""
        return self.open_conv.id if self.open_conv is not None else None

    def show_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.say(text)

    def _load_conversation(self, _cid: str, *, announce_it: bool = False) -> None:
        """Read the conversation again (a translation synced into one of its messages)."""
        self.load()

    def _open_from_customer(self, cid: str) -> None:
        """A conversation chosen in a list (a reminder's): it opens in the main window."""
        self.main._open_from_customer(cid)
        self.main.raise_()
        self.main.activateWindow()

    def _desk_window(self) -> PopOutWindow:
        return self  # read aloud: this window's thread (SpeechKeys)

    def _open_template_dialog(self) -> None:
        if self.stopped is not None:
            self.say(self.stopped, assertive=True)
            return
        from csdesk.ui.panels.template_dialog import open_template_dialog

        open_template_dialog(self)

    def toggle_customer(self) -> None:
        """Ctrl+3: the customer beside the conversation, and the focus there; Ctrl+3 again from
        there hides it and goes back to the messages."""
        if self.customer.isVisible() and self.customer.hasFocus():
            self.customer.hide()
            self.conversation.messages.setFocus(Qt.FocusReason.OtherFocusReason)
            self.say(_("Customer pane hidden."), speak=False)
            return
        if not self.customer.isVisible():
            self.customer.show()
            resize_within_screen(self, self.width() + CUSTOMER_WIDTH, self.height())
            self.split.setSizes([self.width() - CUSTOMER_WIDTH, CUSTOMER_WIDTH])
        self.customer.setFocus(Qt.FocusReason.OtherFocusReason)

    def _manage_macros_in_main(self) -> None:
        """The macro editor is the desk's, one for all windows: it opens over the main one."""
        self.main.raise_()
        self.main.activateWindow()
        self.main.actions_["macro_manage"].trigger()

    # --- the window ----------------------------------------------------------------------

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.conversation.set_theme(theme)
        self.conversation.messages.set_theme(theme)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Escape that no control used (a completer's list, a dialog) closes the window.
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def home_id(self) -> str:
        """Where the conversation lives now: merged away, the conversation it went into (the
        inbox never shows the merged-away id again), so a draft kept goes there."""
        return self.open_conv.id if self.open_conv is not None else self.cid

    def draft(self) -> Draft:
        """The reply being written here (none when it is the one just queued for sending)."""
        draft = draft_of(self.conversation.composer)
        if self._sending is not None and draft.text.strip() == self._sending.strip():
            return Draft("")
        return draft

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.tasks.closed:
            self.tasks.shutdown()
            self._clock.stop()
            self.visitor_typing.follow(None)
            bridge = self.main.bridge
            with contextlib.suppress(RuntimeError, TypeError):
                bridge.changes.disconnect(self.on_changes)
                bridge.rejected.disconnect(self.on_rejected)
            self.closing.emit(self.cid, self.draft())
        super().closeEvent(event)
