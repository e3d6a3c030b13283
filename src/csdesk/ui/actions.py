"""One registry of actions: shortcut, accessible name, description (qutebrowser's idea).

The shortcuts sheet, menus and screen-reader labels are generated from it, never hand-kept.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from csdesk.app.inbox import ALL_VIEWS
from csdesk.app.present import view_label
from csdesk.i18n import _


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    shortcuts: tuple[str, ...]
    description: str
    group: str


def _spec(
    id: str, text: str, keys: str | tuple[str, ...], description: str, group: str
) -> ActionSpec:
    return ActionSpec(id, text, (keys,) if isinstance(keys, str) else keys, description, group)


def specs() -> list[ActionSpec]:
    """Every action of the workstation (built at call time so translations apply).

    No key here may be a text field's own editing key on any platform (Ctrl+Shift+Z is Redo,
    Ctrl+Shift+A Deselect and Ctrl+E end-of-line on Linux, Ctrl+Up/Down start/end of document
    on macOS): tests/gui/test_shortcut_clashes.py walks every focus context for that."""
    nav, conv, app = _("Navigation"), _("Conversation"), _("Application")
    return [
        _spec(
            "next_conversation",
            _("Next conversation"),
            ("J", "Ctrl+PgDown"),
            _("Select the next conversation in the list"),
            nav,
        ),
        _spec(
            "previous_conversation",
            _("Previous conversation"),
            ("K", "Ctrl+PgUp"),
            _("Select the previous conversation in the list"),
            nav,
        ),
        _spec(
            "focus_inbox",
            _("Go to the inbox list"),
            "Ctrl+1",
            _("Move the focus to the conversation list"),
            nav,
        ),
        _spec(
            "focus_thread",
            _("Go to the messages"),
            "Ctrl+2",
            _("Move the focus to the messages of the open conversation"),
            nav,
        ),
        _spec(
            "focus_customer",
            _("Go to the customer"),
            "Ctrl+3",
            _("Move the focus to the customer pane"),
            nav,
        ),
        _spec(
            "focus_views",
            _("Go to the views"),
            "Ctrl+0",
            _("Move the focus to the list of inbox views"),
            nav,
        ),
        _spec(
            "search",
            _("Search"),
            ("Ctrl+F", "/"),
            _("Search messages, customers, emails, phones and order numbers"),
            nav,
        ),
        *[
            _spec(
                f"view_{n}",
                _("Show {view}").format(view=view_label(view)),
                f"Alt+{n}",
                _("Show the conversations of the view {view}").format(view=view_label(view)),
                nav,
            )
            for n, view in enumerate(ALL_VIEWS[:9], start=1)
        ],
        _spec(
            "go_to_view",
            _("Go to view…"),
            "Ctrl+G",
            _("Choose any inbox view from a list (the side bar also moves with the arrow keys)"),
            nav,
        ),
        _spec("reply", _("Reply"), ("R", "Ctrl+R"), _("Write a reply to the customer"), conv),
        _spec(
            "note",
            _("Internal note"),
            ("N", "Ctrl+Shift+N"),
            _("Write an internal note only agents see"),
            conv,
        ),
        _spec("send", _("Send"), "Ctrl+Return", _("Send the reply or note being written"), conv),
        _spec(
            "canned",
            _("Insert canned response"),
            "Ctrl+Shift+C",
            _("Choose a canned response; placeholders are filled from the customer"),
            conv,
        ),
        _spec(
            "template",
            _("Use template…"),
            "Ctrl+Shift+M",
            _(
                "Send an approved WhatsApp template: the only message allowed when the "
                "customer has not written for 24 hours"
            ),
            conv,
        ),
        # Files on replies (ui/panels/attachments_strip.py, conversation_actions.attach_files).
        _spec(
            "attach",
            _("Attach file…"),
            "Ctrl+Shift+F",
            _("Add a file to the reply or note being written; each channel has its size limits"),
            conv,
        ),
        _spec(
            "assign_me", _("Assign to me"), ("A", "Ctrl+Shift+I"), _("Take this conversation"), conv
        ),
        _spec(
            "assign_other",
            _("Assign to…"),
            "Ctrl+Shift+T",
            _("Assign this conversation to a teammate or a team"),
            conv,
        ),
        _spec(
            "resolve",
            _("Resolve"),
            ("E", "Ctrl+Shift+E"),
            _("Mark this conversation resolved"),
            conv,
        ),
        _spec("pending", _("Set pending"), "Ctrl+Shift+P", _("Waiting for the customer"), conv),
        _spec("reopen", _("Reopen"), "Ctrl+Shift+O", _("Set the conversation open again"), conv),
        _spec(
            "snooze",
            _("Snooze…"),
            ("B", "Ctrl+Shift+B"),
            _("Hide the conversation until a chosen time"),
            conv,
        ),
        _spec(
            "priority",
            _("Change priority…"),
            "Ctrl+Shift+Y",
            _("Set low, normal, high or urgent priority"),
            conv,
        ),
        _spec("tags", _("Edit tags…"), "Ctrl+Shift+G", _("Add or remove tags"), conv),
        # The customer's profile (ui/customer_actions.py binds these; buttons on the card).
        _spec(
            "edit_customer",
            _("Edit customer…"),
            "Ctrl+Shift+U",
            _("Change the customer's name, email, phone, language, notes or tags"),
            _("Customer"),
        ),
        _spec(
            "merge_customer",
            _("Merge into another customer…"),
            "Ctrl+Shift+K",
            _("Fold this customer into another profile; a preview shows what moves"),
            _("Customer"),
        ),
        _spec(
            "unmerge_customer",
            _("Undo merge"),
            "Ctrl+Shift+X",
            _("Give a profile merged into this customer its own profile back"),
            _("Customer"),
        ),
        # Orders and loyalty (ui/order_actions.py binds these).
        _spec(
            "refund_order",
            _("Refund…"),
            "F8",
            _("Refund an order of this customer: in full, or chosen lines, or an amount"),
            _("Orders"),
        ),
        _spec(
            "return_order",
            _("Return or exchange…"),
            "Shift+F8",
            _("Start a return or an exchange of an order's lines, with instructions"),
            _("Orders"),
        ),
        _spec(
            "order_actions",
            _("Other order actions…"),
            "F9",
            _("Cancel an unshipped order, resend lines, change the address or add a note"),
            _("Orders"),
        ),
        _spec(
            "goodwill",
            _("Goodwill…"),
            "F7",
            _("Grant the customer loyalty points or store credit, within your limit"),
            _("Orders"),
        ),
        _spec(
            "approvals",
            _("Refunds waiting for approval…"),
            "Shift+F9",
            _("Supervisors: approve or decline refunds above the limit"),
            _("Orders"),
        ),
        _spec(
            "link_conversation",
            _("Link conversation to another customer…"),
            "Ctrl+Alt+L",
            _("File the open conversation under another customer; both timelines show it"),
            _("Customer"),
        ),
        _spec(
            "focus_timeline",
            _("Go to the customer's timeline"),
            "Ctrl+Alt+H",
            _("Move the focus to the customer's timeline; Enter opens what an event names"),
            _("Customer"),
        ),
        # Writing first (ui/outreach_actions.py binds these).
        _spec(
            "new_conversation",
            _("New conversation…"),
            "Ctrl+Alt+N",
            _(
                "Write to a customer first, on any channel they have: the open conversation's "
                "customer, or one you find by name, email or phone"
            ),
            _("Customer"),
        ),
        _spec(
            "outreach_list",
            _("Late orders to write about…"),
            "Ctrl+Alt+O",
            _("Review the late orders the server found and send delay notices"),
            _("Customer"),
        ),
        _spec(
            "attachment",
            _("Open attachment…"),
            "Ctrl+Shift+D",
            _("Download the selected message's attachment and open it"),
            conv,
        ),
        _spec(
            "formatted",
            _("Show formatted email…"),
            "Ctrl+Shift+H",
            _("Show the selected email as its sender formatted it"),
            conv,
        ),
        _spec(
            "read_aloud",
            _("Read aloud"),
            "Ctrl+Shift+R",
            _("Speak the selected message: who wrote it, when, and what it says"),
            conv,
        ),
        # Phone calls (ui/call_desk.py binds these).
        _spec(
            "answer_call",
            _("Answer call"),
            "Ctrl+Shift+L",
            _("Take the ringing call: its conversation, customer and call script open"),
            _("Calls"),
        ),
        _spec(
            "wrap_up_call",
            _("Wrap up call…"),
            "Ctrl+Shift+W",
            _("Record notes and a disposition for your current call"),
            _("Calls"),
        ),
        _spec(
            "end_call",
            _("End demo call"),
            "Shift+F5",
            _("End a call of the demo (no real phone call is made); the wrap-up opens"),
            _("Calls"),
        ),
        _spec(
            "focus_call_script",
            _("Go to the call script"),
            "Ctrl+4",
            _("Move the focus to the call script panel"),
            nav,
        ),
        _spec(
            "open_script",
            _("Open a call script…"),
            "Ctrl+Shift+J",
            _("Walk a call script for this conversation, on a call or a chat"),
            _("Calls"),
        ),
        # Click-to-call and callbacks (ui/callback_desk.py binds these).
        _spec(
            "call_customer",
            _("Call the customer"),
            "F5",
            _("Ring your phone, then the open conversation's customer (needs a connection)"),
            _("Calls"),
        ),
        _spec(
            "schedule_callback",
            _("Schedule a callback…"),
            "F4",
            _("Choose when to call this customer back, and whether you or the queue will"),
            _("Calls"),
        ),
        _spec(
            "callback_list",
            _("Callbacks…"),
            "Shift+F4",
            _("The callbacks that are yours or in the queue; Enter calls back"),
            _("Calls"),
        ),
        _spec(
            "set_call_phone",
            _("My phone for calls…"),
            "Ctrl+Shift+F5",
            _("The phone (or client:NAME) that rings first when you call a customer"),
            _("Calls"),
        ),
        # Quality review (ui/qa_desk.py binds these; docs/qa.md).
        _spec(
            "qa_review",
            _("Review this conversation…"),
            "Ctrl+Alt+R",
            _(
                "Score the open conversation against the rubric and comment on its messages "
                "(supervisors and administrators)"
            ),
            _("Quality"),
        ),
        _spec(
            "qa_my_reviews",
            _("My reviews…"),
            "Ctrl+Alt+M",
            _("The quality reviews of your conversations, with scores and comments"),
            _("Quality"),
        ),
        _spec(
            "qa_rubric",
            _("Review rubric…"),
            "Ctrl+Alt+U",
            _(
                "Add, change and reorder the review criteria and their weights (supervisors "
                "and administrators)"
            ),
            _("Quality"),
        ),
        _spec(
            "stop_speech",
            _("Stop speaking"),
            "Ctrl+Shift+S",
            _("Stop speech and drop what is waiting to be spoken"),
            app,
        ),
        _spec(
            "pause_speech",
            _("Pause or resume speaking"),
            "Ctrl+Shift+Space",
            _("Hold speech where it is, or carry on from the sentence that was paused"),
            app,
        ),
        _spec(
            "settings",
            _("Settings…"),
            "Ctrl+,",
            _("Theme, text size, speech and announcements"),
            app,
        ),
        _spec(
            "shortcuts",
            _("Keyboard shortcuts"),
            ("F1", "?"),
            _("Show every keyboard shortcut"),
            app,
        ),
        # Training mode (ui/panels/training.py binds the last two in its own dialog).
        _spec(
            "training",
            _("Training mode"),
            "Ctrl+T",
            _("Practise with simulated customers; scored, and never touches real customers"),
            app,
        ),
        _spec(
            "training_hint",
            _("Training: show hint"),
            "Ctrl+H",
            _("Show the hint for the simulated customer's current line"),
            _("Training"),
        ),
        _spec(
            "training_end",
            _("Training: end session"),
            "Ctrl+Shift+E",
            _("End the training session now and show the score card"),
            _("Training"),
        ),
        # The KPI dashboard (ui/panels/dashboard_window.py; docs/dashboard.md).
        _spec(
            "dashboard",
            _("KPI dashboard"),
            "Ctrl+Alt+K",
            _("Your figures (a supervisor: the team's) by period, with charts and drill-down"),
            app,
        ),
        # The supervisor's training review (ui/panels/training_review.py, issue 12).
        _spec(
            "training_review",
            _("Training review"),
            "Ctrl+Alt+G",
            _("Trainees' sessions, scores per rubric point, transcripts, comments and assignments"),
            app,
        ),
        # The live floor (ui/status_bar_status.py, ui/floor_window.py bind these).
        _spec(
            "set_status",
            _("Set my status…"),
            "Ctrl+Alt+S",
            _("Available, Away, On break or In training; every desk sees it"),
            _("Floor"),
        ),
        _spec(
            "show_floor",
            _("Supervisor's floor"),
            "Ctrl+Alt+F",
            _("The live board of queues and agents (supervisors and admins)"),
            _("Floor"),
        ),
        _spec(
            "agent_screen",
            _("Agent screen"),
            "Ctrl+Alt+W",
            _("Back to the agent workstation from the floor"),
            _("Floor"),
        ),
        _spec(
            "floor_listen",
            _("Listen in…"),
            "Ctrl+Alt+I",
            _("Open a conversation of the selected queue or agent read-only"),
            _("Floor"),
        ),
        _spec(
            "floor_reassign",
            _("Reassign a conversation…"),
            "Ctrl+Alt+R",
            _("Give a conversation of the selected queue or agent to a teammate"),
            _("Floor"),
        ),
        _spec(
            "floor_message",
            _("Message the agent…"),
            "Ctrl+Alt+M",
            _("Send the selected agent a message shown and announced on their desk"),
            _("Floor"),
        ),
        # Routing rules (docs/routing.md; ui/routing_desk.py binds it).
        _spec(
            "routing_rules",
            _("Routing rules…"),
            "Ctrl+Alt+E",
            _(
                "Order, edit, enable and dry-run the rules that route new conversations, and "
                "set agents' languages and channels (supervisors and administrators)"
            ),
            _("Quality"),
        ),
        # The SLA policy editor (ui/panels/sla_editor.py; docs/sla.md).
        _spec(
            "sla_policy",
            _("SLA policy…"),
            "Ctrl+Alt+P",
            _("Targets per channel and priority, teams' business hours, escalation (supervisors)"),
            _("Floor"),
        ),
        # The knowledge base (docs/knowledge-base.md; ui/kb_desk.py binds them).
        _spec(
            "kb_insert",
            _("Knowledge base…"),
            "Ctrl+Alt+B",
            _(
                "Search the knowledge base, suggested from the customer's last message, and "
                "insert an excerpt or a link into the reply"
            ),
            conv,
        ),
        _spec(
            "kb_editor",
            _("Edit knowledge base…"),
            "Ctrl+Alt+Shift+B",
            _(
                "Create, edit and delete articles and their languages, public or internal "
                "(supervisors and administrators)"
            ),
            _("Quality"),
        ),
        _spec(
            "sign_out", _("Sign out"), "Ctrl+Shift+Q", _("Sign out and remove the saved token"), app
        ),
        _spec("quit", _("Quit"), "Ctrl+Q", _("Close csdesk"), app),
        # Canned responses and macros (docs/macros.md; ui/macro_desk.py binds these).
        _spec(
            "macro_apply",
            _("Apply a macro…"),
            "Ctrl+Alt+A",
            _("Choose a macro, read what it will do to this conversation, apply it"),
            conv,
        ),
        _spec(
            "macro_undo",
            _("Take back the last macro"),
            "Ctrl+Alt+Z",
            _("Undo the last macro while all of it still waits to be sent"),
            conv,
        ),
        _spec(
            "canned_manage",
            _("Manage canned responses…"),
            "Ctrl+Alt+C",
            _("Create, edit, share and delete canned responses"),
            conv,
        ),
        *[
            _spec(
                f"macro_favourite_{n}",
                _("Favourite macro {n}").format(n=n),
                f"Ctrl+Alt+{n}",
                _("Preview and apply your number {n} most used macro").format(n=n),
                conv,
            )
            for n in range(1, 10)
        ],
        # Translation (issue 13, docs/languages.md; ui/translate_desk.py binds these).
        _spec(
            "translate_message",
            _("Translate message"),
            "Ctrl+Alt+J",
            _(
                "Translate the selected message (or the customer's last one) into your "
                "language; the translation shows under the original for every agent"
            ),
            conv,
        ),
        _spec(
            "translate_reply",
            _("Translate my reply…"),
            "Ctrl+Alt+Shift+J",
            _(
                "Translate the reply you are writing into the customer's language; compare "
                "both, then use the translation or keep your text"
            ),
            conv,
        ),
        # The macro editor (docs/macros.md; ui/macro_editing.py binds it).
        _spec(
            "macro_manage",
            _("Manage macros…"),
            "Ctrl+Alt+Shift+A",
            _("Create, edit, duplicate, share and delete macros; choose their favourite keys"),
            conv,
        ),
        # Mentions (issue 14, docs/mentions.md): ui/mention_desk.py binds it.
        _spec(
            "mentions",
            _("Mentions…"),
            "Ctrl+Alt+Shift+M",
            _("List the notes that mention you, unread first; Enter opens the conversation there"),
            conv,
        ),
        # Merging and splitting conversations (docs/merge-split.md; ui/conversation_merge_desk.py).
        _spec(
            "conversation_merge",
            _("Merge into…"),
            "Ctrl+Alt+Shift+E",
            _("Merge this conversation into another conversation of the same customer"),
            conv,
        ),
        _spec(
            "conversation_unmerge",
            _("Undo merge"),
            "Ctrl+Alt+Shift+Z",
            _("Undo the last merge into this conversation while no new message arrived"),
            conv,
        ),
        _spec(
            "conversation_split",
            _("Split off this message…"),
            "Ctrl+Alt+Shift+X",
            _("Move the focused message of the thread into a new conversation"),
            conv,
        ),
        # Scheduled send and reminders (docs/scheduled-send.md; ui/scheduled_desk.py binds these).
        _spec(
            "send_later",
            _("Send later…"),
            "Ctrl+Shift+Return",
            _("Choose when the server sends the reply you are writing"),
            conv,
        ),
        _spec(
            "scheduled_list",
            _("Scheduled replies…"),
            "Ctrl+Alt+Shift+S",
            _("The replies waiting for their time here; Enter edits, Delete cancels"),
            conv,
        ),
        _spec(
            "remind_me",
            _("Remind me…"),
            "Ctrl+Alt+Shift+R",
            _("Be reminded of this conversation later, by default only if the customer is quiet"),
            conv,
        ),
        _spec(
            "reminders",
            _("Reminders…"),
            "Ctrl+Alt+Shift+L",
            _("Your follow-up reminders, due ones first; Enter opens, Delete dismisses"),
            nav,
        ),
        # --- pop-out conversations (docs/pop-out.md; ui/pop_out_desk.py binds it) ---
        _spec(
            "pop_out",
            _("Pop out conversation"),
            "Ctrl+Alt+Shift+O",
            _(
                "Open the conversation in a window of its own, with its reply and actions; "
                "several can be open at once. Escape closes one"
            ),
            conv,
        ),
        # --- side conversations (docs/side-conversations.md; ui/side_desk.py binds these) ---
        _spec(
            "forward_email",
            _("Forward by email…"),
            "Ctrl+Alt+Shift+F",
            _(
                "Mail this conversation, or the focused message, to a supplier or carrier; "
                "their replies stay beside the thread"
            ),
            conv,
        ),
        _spec(
            "side_conversations",
            _("Side conversations…"),
            "Ctrl+Alt+Shift+D",
            _("What this conversation forwarded by email and the replies that came back"),
            conv,
        ),
    ]


#: Single-key shortcuts act only where typing is not going on (not in text fields).
def single_key(keys: str) -> bool:
    return len(keys) == 1


def _takes_text(widget: QWidget | None) -> bool:
    """Whether typed letters belong to ``widget`` (an editable text field)."""
    if isinstance(widget, QLineEdit | QAbstractSpinBox):
        return not widget.isReadOnly()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()


_CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
_ALT_GR_IS_CTRL_ALT = sys.platform == "win32"


class _TextKeysFirst(QObject):
    """Lets a text field claim plain printable keys before any shortcut sees them (the
    ShortcutOverride protocol), so typing "j" in a reply is text, not "next conversation"."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            plain = (
                event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
                == Qt.KeyboardModifier.NoModifier
            )
            # AltGr is Ctrl+Alt on Windows: AltGr+O types "ó" on a Polish keyboard, text
            # that must not open the outreach list (Ctrl+Alt+O) from a text field. (A real
            # Ctrl+Alt+letter there carries no printable text, so the shortcut still works.)
            alt_gr = _ALT_GR_IS_CTRL_ALT and event.modifiers() & _CTRL_ALT == _CTRL_ALT
            if (
                (plain or alt_gr)
                and event.text().isprintable()
                and event.text()
                and isinstance(obj, QWidget)
                and _takes_text(obj)
            ):
                event.accept()
        return False


class ActionRegistry:
    """Single-key shortcuts (J, K, R, ?) act only where the focus is not in a text field;
    the Ctrl/Alt ones work everywhere."""

    def __init__(self, window: QWidget) -> None:
        self._window = window
        self._specs = {s.id: s for s in specs()}
        self._actions: dict[str, QAction] = {}
        self._guard = _TextKeysFirst(window)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.installEventFilter(self._guard)

    def bind(self, action_id: str, handler: Callable[[], None]) -> QAction:
        spec = self._specs[action_id]
        action = QAction(spec.text, self._window)
        action.setObjectName(f"action_{spec.id}")
        action.setShortcuts([QKeySequence(k) for k in spec.shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{spec.text} ({', '.join(spec.shortcuts)})")
        action.setStatusTip(spec.description)
        action.setWhatsThis(spec.description)
        action.triggered.connect(handler)
        self._window.addAction(action)
        self._actions[action_id] = action
        return action

    def __getitem__(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(self._specs.values())

    def enable(self, ids: list[str], on: bool) -> None:
        for i in ids:
            if i in self._actions:
                self._actions[i].setEnabled(on)
