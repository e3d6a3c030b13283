"""The first-run hint: the three keys that matter most, above the inbox, until dismissed.

J / K move through the list, R replies and Ctrl+Enter sends, E resolves; F1 lists the rest.
The keys are read from the action registry, so the hint never names a key that changed.
Dismissing it is remembered in the settings (``first_run_hint_seen``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from csdesk import settings as opts
from csdesk.i18n import _
from csdesk.settings import Settings
from csdesk.ui.a11y import announce
from csdesk.ui.actions import ActionRegistry
from csdesk.ui.plain_text import PlainLabel

__all__ = ["FirstRunHint", "hint_text", "install_first_run_hint"]


def _keys(actions: ActionRegistry, name: str) -> str:
    action = actions[name]
    return action.shortcut().toString() or "?"


def hint_text(actions: ActionRegistry) -> str:
    return _(
        "Three keys to start: {next} / {previous} move through the list · {reply} replies and "
        "{send} sends · {resolve} resolves. {help} shows every shortcut."
    ).format(
        next=_keys(actions, "next_conversation"),
        previous=_keys(actions, "previous_conversation"),
        reply=_keys(actions, "reply"),
        send=_keys(actions, "send"),
        resolve=_keys(actions, "resolve"),
        help=_keys(actions, "shortcuts"),
    )


class FirstRunHint(QFrame):
    """No signals: "Got it" hides it and remembers that in the settings."""

    def __init__(self, text: str, settings: Settings | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("first_run_hint")
        self.setProperty("banner", "info")
        self.settings = settings
        self.label = PlainLabel(text, self)
        self.label.setWordWrap(True)
        self.dismiss = QPushButton(_("Got it"), self)
        self.dismiss.setObjectName("first_run_hint_dismiss")
        self.dismiss.setAccessibleName(_("Hide the keyboard hint"))
        self.dismiss.clicked.connect(self.done)
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.dismiss)

    def done(self) -> None:
        if self.settings is not None:
            self.settings.set(opts.FIRST_RUN_HINT_SEEN, True)
        parent = self.parentWidget()
        self.hide()
        if parent is not None:
            announce(parent, _("Keyboard hint hidden; F1 shows every shortcut."))
        self.deleteLater()


def install_first_run_hint(
    layout: QVBoxLayout, parent: QWidget, actions: ActionRegistry, settings: Settings | None
) -> FirstRunHint | None:
    """Put the hint at the top of ``layout`` unless it was dismissed before (or there is no
    settings file to remember it in: tests and embedded windows start without it)."""
    if settings is None or settings.get(opts.FIRST_RUN_HINT_SEEN):
        return None
    hint = FirstRunHint(hint_text(actions), settings, parent)
    layout.insertWidget(0, hint)
    return hint
